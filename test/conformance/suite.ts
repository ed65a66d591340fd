/**
 * The HTTP-level conformance suite every example app (Express, Next.js, NestJS) must pass: the
 * same launches, client types, refresh, logout and negative cases, driven through the example
 * apps' documented routes and env variables (README.md) against the real sandbox EHR.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { TestBrowser } from '../helpers/browser.js';
import { repoRoot } from '../helpers/processes.js';

export interface AppUnderTest {
  baseUrl: string;
  stop(): Promise<void>;
}
export type StartApp = (env: Record<string, string>) => Promise<AppUnderTest>;

export const SECRET = 'conformance-session-secret-0123456789abcdef';
const key = (name: string) => readFileSync(`${repoRoot}/packages/sandbox/keys/${name}`, 'utf8');

/** Standalone launch from the app's /launch to the page it lands on. */
export async function standaloneLogin(app: AppUnderTest, browser = new TestBrowser(), query = '') {
  const r = await browser.navigate(`${app.baseUrl}/launch${query}`);
  return { browser, ...r };
}

export async function ehrLogin(app: AppUnderTest, sandbox: Sandbox, patient = 'p2', browser = new TestBrowser(), encounter?: string) {
  const r = await browser.navigate(`${sandbox.origin}/ehr/launch?launch_url=${encodeURIComponent(`${app.baseUrl}/launch`)}&patient=${patient}&user=pr1${encounter ? `&encounter=${encounter}` : ''}`);
  return { browser, ...r };
}

async function context(app: AppUnderTest, browser: TestBrowser) {
  const res = await browser.fetch(`${app.baseUrl}/api/context`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function sessionCookieValue(browser: TestBrowser): string {
  return [...browser.cookies].filter(([n]) => n.startsWith('smart_session~')).map(([, c]) => c.value).join('');
}

/** Session cookies (one slot per launch, ADR 0008: `smart_session~<handle>`, chunks `.1`...). */
const hasSession = (browser: TestBrowser) => [...browser.cookies.keys()].some((n) => n.startsWith('smart_session~'));
const HANDLE = /[A-Za-z0-9_-]{10}/;

/** Runs a standalone launch in `browser` up to (not including) the app's callback. */
async function untilCallback(app: AppUnderTest, browser: TestBrowser): Promise<string> {
  let url = `${app.baseUrl}/launch`;
  let init: RequestInit = {};
  for (let i = 0; i < 15; i++) {
    const res = await browser.fetch(url, init);
    const loc = res.headers.get('location');
    const body = await res.text();
    init = {};
    if (loc) {
      url = new URL(loc, url).href;
      if (url.startsWith(`${app.baseUrl}/callback`)) return url;
    } else {
      const { autoPostForm } = await import('../helpers/browser.js');
      const form = autoPostForm(body);
      if (!form) throw new Error(`stuck at ${url} (${res.status})`);
      url = new URL(form.action, url).href;
      init = { method: 'POST', body: new URLSearchParams(form.fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
  }
  throw new Error('no callback');
}

/**
 * A top-level page load as a browser sends it (fetch() can't: undici forces Sec-Fetch-Mode: cors),
 * with the browser's cookies.
 */
function pageLoad(browser: TestBrowser, url: string, headers: Record<string, string> = {}): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'same-origin', cookie: browser.cookieHeader(url), ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, ...(res.headers.location ? { location: res.headers.location } : {}), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export function conformanceSuite(name: string, start: StartApp): void {
  describe(`conformance: ${name}`, () => {
    let sandbox: Sandbox;
    const apps: AppUnderTest[] = [];
    const launchApp = async (env: Record<string, string> = {}) => {
      const app = await start({ SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET, ...env });
      apps.push(app);
      return app;
    };

    beforeAll(async () => {
      // Tokens fall due 2 s after login (refresh skew 60 s); refreshed ones live 5 min, so a slow machine
      // answering a test's requests cannot make the refreshed token fall due too and refresh twice.
      sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
    });
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.stop()));
      await sandbox?.stop();
    });

    describe('public client', () => {
      let app: AppUnderTest;
      beforeAll(async () => {
        app = await launchApp();
      });

      it('without a session: / links to /launch and the API answers 401 JSON', async () => {
        const b = new TestBrowser();
        const page = await b.navigate(`${app.baseUrl}/`);
        expect(page.res.status).toBe(200);
        expect(page.body).toContain('href="/launch"');
        const ctx = await context(app, b);
        expect(ctx.status).toBe(401);
        expect(ctx.body.error).toBe('not_authenticated');
        const pat = await b.fetch(`${app.baseUrl}/api/patient`, { headers: { accept: 'application/json' } });
        expect(pat.status).toBe(401);
      });

      it('standalone launch: authorize request carries PKCE S256, state, aud; the app shows the patient', async () => {
        const { browser, res, body, url } = await standaloneLogin(app);
        expect(res.status).toBe(200);
        expect(new URL(url).origin).toBe(app.baseUrl);
        expect(body).toContain('id="patient-name"');
        // The authorize request, by GET or by POST form.
        const authorize = browser.hops.find((h) => h.url.startsWith(sandbox.origin) && /auth/.test(new URL(h.url).pathname));
        expect(authorize).toBeDefined();
        const launchHop = browser.hops.find((h) => h.url.startsWith(`${app.baseUrl}/launch`))!;
        expect(launchHop.setCookie.some((c) => /^smart_session_tx_[A-Za-z0-9_-]+=/.test(c) && /HttpOnly/.test(c) && /SameSite=Lax/.test(c))).toBe(true);
        const ctx = await context(app, browser);
        expect(ctx.status).toBe(200);
        expect(ctx.body).toMatchObject({ patient: expect.any(String), serverUrl: sandbox.fhirBaseUrl });
        expect(Object.keys(ctx.body).sort()).toEqual(['encounter', 'expiresAt', 'fhirUser', 'patient', 'scope', 'serverUrl']);
        expect(String(ctx.body.fhirUser)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir\/(Practitioner|Patient)\//);
        expect(String(ctx.body.scope)).toContain('patient/');
        const p = await browser.fetch(`${app.baseUrl}/api/patient`);
        expect(p.status).toBe(200);
        const patient = (await p.json()) as { resourceType: string; id: string };
        expect(patient).toMatchObject({ resourceType: 'Patient', id: ctx.body.patient });
      });

      it('the callback clears the code from the URL with a no-referrer redirect', async () => {
        const { browser } = await standaloneLogin(app);
        const cb = browser.hops.find((h) => h.url.startsWith(`${app.baseUrl}/callback`))!;
        expect(cb.status).toBe(302);
        // The redirect names the new launch (ADR 0008).
        expect(cb.location).toMatch(new RegExp(`^/\\?smart_launch=${HANDLE.source}$`));
        expect(cb.setCookie.some((c) => c.startsWith('smart_session~'))).toBe(true);
        expect(cb.setCookie.find((c) => c.startsWith('smart_session~'))).toMatch(/HttpOnly/);
        // No token ever appears in a URL.
        for (const h of browser.hops) expect(`${h.url} ${h.location ?? ''}`).not.toMatch(/access_token|refresh_token|id_token=/);
      });

      it('EHR launch: patient and encounter come from the EHR launch context', async () => {
        const { browser, body } = await ehrLogin(app, sandbox, 'p2', new TestBrowser(), 'e2-1');
        expect(body).toContain('id="patient-name"');
        const launchHop = browser.hops.find((h) => h.url.startsWith(`${app.baseUrl}/launch`))!;
        const q = new URL(launchHop.url).searchParams;
        expect(q.get('iss')).toBe(sandbox.fhirBaseUrl);
        expect(q.get('launch')).toBeTruthy();
        const ctx = await context(app, browser);
        expect(ctx.body.patient).toBe('p2');
        expect(ctx.body.encounter).toBe('e2-1');
      });

      it('returnTo is honoured only as a same-origin path (no open redirect)', async () => {
        const ok = await standaloneLogin(app, new TestBrowser(), '?returnTo=%2Fapi%2Fcontext');
        expect(ok.url).toMatch(new RegExp(`^${app.baseUrl}/api/context\\?smart_launch=${HANDLE.source}$`));
        const evil = await standaloneLogin(app, new TestBrowser(), `?returnTo=${encodeURIComponent('https://evil.example/steal')}`);
        expect(evil.url).toMatch(new RegExp(`^${app.baseUrl}/\\?smart_launch=${HANDLE.source}$`));
        const evil2 = await standaloneLogin(app, new TestBrowser(), `?returnTo=${encodeURIComponent('//evil.example/steal')}`);
        expect(evil2.url).toMatch(new RegExp(`^${app.baseUrl}/\\?smart_launch=${HANDLE.source}$`));
      });

      it('logout ends the session, and its old cookie does not come back', async () => {
        const { browser } = await standaloneLogin(app);
        const oldCookie = browser.cookieHeader(`${app.baseUrl}/`);
        const out = await browser.fetch(`${app.baseUrl}/logout`);
        expect(out.status).toBe(302);
        expect(out.headers.getSetCookie().some((c) => /^smart_session~[^=]+=;/.test(c) && /Max-Age=0/.test(c))).toBe(true);
        expect((await context(app, browser)).status).toBe(401);
        const replay = await fetch(`${app.baseUrl}/api/context`, { headers: { cookie: oldCookie, accept: 'application/json' } });
        expect(replay.status).toBe(401);
      });

      it('a tampered session cookie is no session', async () => {
        const { browser } = await standaloneLogin(app);
        const c = [...browser.cookies].find(([n]) => n.startsWith('smart_session~'))![1];
        c.value = c.value.slice(0, 40) + (c.value[40] === 'A' ? 'B' : 'A') + c.value.slice(41);
        expect((await context(app, browser)).status).toBe(401);
      });
    });

    describe('negative cases', () => {
      let app: AppUnderTest;
      let evil: Server;
      let evilHits = 0;
      beforeAll(async () => {
        app = await launchApp();
        evil = createServer((_req, res) => {
          evilHits++;
          res.end('{}');
        });
        await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
      });
      afterAll(() => new Promise<void>((r) => evil.close(() => r())));

      it('an iss that is not allowlisted is refused before any request goes out', async () => {
        const port = (evil.address() as { port: number }).port;
        const b = new TestBrowser();
        const res = await b.fetch(`${app.baseUrl}/launch?iss=${encodeURIComponent(`http://127.0.0.1:${port}/fhir`)}&launch=abc`);
        expect(res.status).toBe(403);
        expect(await res.text()).toContain('iss_not_allowed');
        expect(evilHits).toBe(0);
      });

      it('a callback with an unknown state is refused; no session is created', async () => {
        const b = new TestBrowser();
        const res = await b.fetch(`${app.baseUrl}/callback?code=abc&state=forged-state-value`);
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('state_mismatch');
        expect(hasSession(b)).toBe(false);
      });

      it('a callback without state is refused', async () => {
        const res = await fetch(`${app.baseUrl}/callback?code=abc`, { redirect: 'manual' });
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('state_missing');
      });

      it('a callback URL is single use, and useless in another browser', async () => {
        const victim = new TestBrowser();
        // Stop at the callback: navigate until the sandbox redirects to the app's callback.
        const callbackUrl = await untilCallback(app, victim);
        // Another browser (no transaction cookie) cannot use the code.
        const attacker = new TestBrowser();
        expect((await attacker.fetch(callbackUrl)).status).toBe(400);
        // The victim's first use works, a replay with the same cookie does not.
        const txCookie = victim.cookieHeader(callbackUrl);
        expect((await victim.fetch(callbackUrl)).status).toBe(302);
        const replay = await fetch(callbackUrl, { headers: { cookie: txCookie }, redirect: 'manual' });
        expect(replay.status).toBe(400);
      });

      it('a denied authorization becomes a typed, escaped error page and no session', async () => {
        sandbox.fail({ kind: 'access_denied', clientId: 'demo-public' });
        const { browser, res, body } = await standaloneLogin(app);
        expect(res.status).toBe(403);
        expect(body).toContain('authorization_denied');
        expect(body).not.toMatch(/<script(?! nonce)/);
        expect(hasSession(browser)).toBe(false);
      });

      it('an invalid_scope error is surfaced with its OAuth error code', async () => {
        sandbox.fail({ kind: 'invalid_scope', clientId: 'demo-public' });
        const { res, body } = await standaloneLogin(app);
        expect(res.status).toBe(400);
        expect(body).toContain('authorization_error');
        expect(body).toContain('invalid_scope');
      });

      it('a token endpoint failure is a safe 502 page', async () => {
        sandbox.fail({ kind: 'token_500', clientId: 'demo-public' });
        const { res, body, browser } = await standaloneLogin(app);
        expect(res.status).toBe(502);
        expect(body).toContain('token_request_failed');
        expect(hasSession(browser)).toBe(false);
      });
    });

    describe('refresh', () => {
      let app: AppUnderTest;
      beforeAll(async () => {
        app = await launchApp();
      });

      it('refreshes before expiry and sends the new session cookie', async () => {
        // Counted from the sign-in on: on a slow machine the refresh may already happen on the
        // first context read; refreshed tokens live 5 min, so there is exactly one either way.
        sandbox.resetStats();
        const { browser } = await standaloneLogin(app);
        const before = sessionCookieValue(browser);
        expect((await context(app, browser)).status).toBe(200);
        await new Promise((r) => setTimeout(r, 2500));
        const p = await browser.fetch(`${app.baseUrl}/api/patient`);
        expect(p.status).toBe(200);
        expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
        expect(sessionCookieValue(browser)).not.toBe(before);
        // The session now holds the refreshed token (5 min), not the first one (62 s).
        const second = await context(app, browser);
        expect(Number(second.body.expiresAt)).toBeGreaterThan(Date.now() / 1000 + 200);
      });

      it('50 concurrent requests with an expiring token cause exactly one refresh', async () => {
        const { browser } = await standaloneLogin(app);
        await new Promise((r) => setTimeout(r, 2500));
        sandbox.resetStats();
        const cookie = browser.cookieHeader(`${app.baseUrl}/`);
        const results = await Promise.all(Array.from({ length: 50 }, () => fetch(`${app.baseUrl}/api/patient`, { headers: { cookie } })));
        expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
        expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
      });

      it('a revoked refresh token ends the session cleanly (401, cookie cleared)', async () => {
        const { browser } = await standaloneLogin(app);
        await sandbox.revokeRefreshTokens('demo-public');
        await new Promise((r) => setTimeout(r, 2500));
        const res = await browser.fetch(`${app.baseUrl}/api/context`, { headers: { accept: 'application/json' } });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: string }).error).toBe('session_expired');
        expect(hasSession(browser)).toBe(false);
      });
    });

    describe.each([
      ['confidential symmetric (client_secret_basic)', { SMART_CLIENT_ID: 'demo-symmetric', SMART_CLIENT_SECRET: 'demo-secret' }],
      ['confidential asymmetric RS384 (private_key_jwt)', { SMART_CLIENT_ID: 'demo-asymmetric', SMART_PRIVATE_KEY: key('demo-rs384.private.jwk.json') }],
      ['confidential asymmetric ES384 (private_key_jwt)', { SMART_CLIENT_ID: 'demo-asymmetric', SMART_PRIVATE_KEY: key('demo-es384.private.jwk.json') }],
    ])('%s', (_label, env) => {
      let app: AppUnderTest;
      beforeAll(async () => {
        app = await launchApp(env);
      });
      it('standalone and EHR launch, then a refresh', async () => {
        const s = await standaloneLogin(app);
        expect(s.body).toContain('id="patient-name"');
        const e = await ehrLogin(app, sandbox, 'p3');
        expect((await context(app, e.browser)).body.patient).toBe('p3');
        await new Promise((r) => setTimeout(r, 2500));
        sandbox.resetStats();
        expect((await e.browser.fetch(`${app.baseUrl}/api/patient`)).status).toBe(200);
        expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
      });

      // The app's JWKS for a `jwks_uri` registration (SMART App Launch 2.x, Client Authentication:
      // Asymmetric, https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html;
      // JWK Set, RFC 7517 section 5): only the public half of the configured key; no key, no route.
      it('GET /.well-known/jwks.json: the public half of the configured key only (jwks); 404 without a private key', async () => {
        const res = await fetch(`${app.baseUrl}/.well-known/jwks.json`);
        if (!('SMART_PRIVATE_KEY' in env)) {
          expect(res.status).toBe(404);
          expect(await res.text()).not.toContain('"keys"');
          return;
        }
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/json/);
        const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
        const configured = JSON.parse(env.SMART_PRIVATE_KEY) as Record<string, unknown>;
        expect(keys).toHaveLength(1);
        const [published] = keys as [Record<string, unknown>];
        for (const p of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(published, p).not.toHaveProperty(p);
        expect(published).toMatchObject({ kid: configured.kid, kty: configured.kty });
        const pub = configured.kty === 'RSA' ? ['n', 'e'] : ['crv', 'x', 'y'];
        for (const p of pub) expect(published[p], p).toBe(configured[p]);
      });
    });

    describe('several launches in one browser (issue 13, ADR 0008)', () => {
      let app: AppUnderTest;
      let small: AppUnderTest;
      beforeAll(async () => {
        [app, small] = await Promise.all([launchApp(), launchApp({ SMART_MAX_LAUNCHES: '2' })]);
      });
      const json = { accept: 'application/json' };
      const handleOf = (url: string) => new URL(url).searchParams.get('smart_launch')!;
      /** Two EHR launches in one browser: p2 (tab A), then p3 (tab B). */
      async function twoTabs(target = app) {
        const browser = new TestBrowser();
        const a = await ehrLogin(target, sandbox, 'p2', browser);
        const b = await ehrLogin(target, sandbox, 'p3', browser);
        return { browser, a: handleOf(a.url), b: handleOf(b.url), urlA: a.url, urlB: b.url };
      }
      const patientOf = async (res: Response) => ((await res.json()) as { patient?: string; error?: string });

      it('each launch names itself in the URL; the query, X-Smart-Launch and a same-origin Referer each reach their own patient', async () => {
        const { browser, a, b, urlA, urlB } = await twoTabs();
        expect(a).toMatch(HANDLE);
        expect(a).not.toBe(b);
        expect(await patientOf(await browser.fetch(`${app.baseUrl}/api/context?smart_launch=${a}`, { headers: json }))).toMatchObject({ patient: 'p2' });
        expect(await patientOf(await browser.fetch(`${app.baseUrl}/api/context?smart_launch=${b}`, { headers: json }))).toMatchObject({ patient: 'p3' });
        expect(await patientOf(await browser.fetch(`${app.baseUrl}/api/context`, { headers: { ...json, 'x-smart-launch': a } }))).toMatchObject({ patient: 'p2' });
        expect(await patientOf(await browser.fetch(`${app.baseUrl}/api/context`, { headers: { ...json, referer: urlB } }))).toMatchObject({ patient: 'p3' });
        expect(await patientOf(await browser.fetch(`${app.baseUrl}/api/patient`, { headers: { ...json, referer: urlA } }))).toMatchObject({ id: 'p2' } as never);
      });

      it("each tab's GET / keeps showing the patient of the launch that opened it (CONTRACTS)", async () => {
        const { browser, urlA, urlB } = await twoTabs();
        const nameOf = async (id: string) => {
          const p = (await (await browser.fetch(`${app.baseUrl}/api/patient`, { headers: { ...json, 'x-smart-launch': handleOf(id === 'p2' ? urlA : urlB) } })).json()) as { name?: { given?: string[]; family?: string; text?: string }[] };
          const n = p.name?.[0];
          return n?.text ?? [...(n?.given ?? []), n?.family ?? ''].join(' ').trim();
        };
        const [nameA, nameB] = [await nameOf('p2'), await nameOf('p3')];
        expect(nameA).not.toBe(nameB);
        for (let i = 0; i < 2; i++) {
          expect((await browser.navigate(urlA)).body).toContain(nameA);
          expect((await browser.navigate(urlB)).body).toContain(nameB);
        }
        expect((await browser.navigate(urlA)).body).not.toContain(nameB);
      });

      it('several launches and none named: 409 launch_ambiguous for fetches, the relaunch page for page loads; never a patient', async () => {
        const { browser } = await twoTabs();
        const api = await browser.fetch(`${app.baseUrl}/api/context`, { headers: json });
        expect(api.status).toBe(409);
        expect(await patientOf(api)).toMatchObject({ error: 'launch_ambiguous' });
        const nav = await pageLoad(browser, `${app.baseUrl}/`);
        expect(nav.status).toBe(409);
        const html = nav.body;
        expect(html).toContain('launch_ambiguous');
        expect(html).not.toContain('id="patient-name"');
        // A cross-site Referer names no launch.
        expect((await browser.fetch(`${app.baseUrl}/api/context`, { headers: { ...json, referer: `http://evil.example/?smart_launch=x` } })).status).toBe(409);
      });

      it("a page load that found its launch through Referer is redirected to carry it; a handle of another browser's launch is not signed in", async () => {
        const { browser, a, urlA } = await twoTabs();
        const nav = await pageLoad(browser, `${app.baseUrl}/?from=link`, { referer: urlA });
        expect(nav.status).toBe(303);
        expect(new URL(nav.location!, app.baseUrl).href).toBe(`${app.baseUrl}/?from=link&smart_launch=${a}`);
        const other = await twoTabs();
        const foreign = await browser.fetch(`${app.baseUrl}/api/context?smart_launch=${other.a}`, { headers: json });
        expect(foreign.status).toBe(401);
        expect(await patientOf(foreign)).toMatchObject({ error: 'launch_not_found' });
      });

      it('maxLaunches (SMART_MAX_LAUNCHES=2): a third launch ends the oldest; its tab is signed out cleanly, the others keep their patients', async () => {
        const { browser, a, b } = await twoTabs(small);
        const c = handleOf((await ehrLogin(small, sandbox, 'p4', browser)).url);
        const gone = await browser.fetch(`${small.baseUrl}/api/context?smart_launch=${a}`, { headers: json });
        expect(gone.status).toBe(401);
        expect(await patientOf(gone)).toMatchObject({ error: 'launch_not_found' });
        expect(await patientOf(await browser.fetch(`${small.baseUrl}/api/context?smart_launch=${b}`, { headers: json }))).toMatchObject({ patient: 'p3' });
        expect(await patientOf(await browser.fetch(`${small.baseUrl}/api/context?smart_launch=${c}`, { headers: json }))).toMatchObject({ patient: 'p4' });
        // The evicted tab's page shows "signed out" with a launch link, never another patient.
        const page1 = await browser.navigate(`${small.baseUrl}/?smart_launch=${a}`);
        expect(page1.body).toContain('href="/launch"');
        expect(page1.body).not.toContain('id="patient-name"');
      });

      it('logout ends only the launch it names (and returns naming it); logout?all=1 ends every launch', async () => {
        const { browser, a, b, urlA } = await twoTabs();
        const out = await browser.fetch(`${app.baseUrl}/logout`, { headers: { referer: urlA } });
        expect(out.status).toBe(302);
        expect(out.headers.get('location')).toBe(`/?smart_launch=${a}`);
        expect((await browser.fetch(`${app.baseUrl}/api/context?smart_launch=${a}`, { headers: json })).status).toBe(401);
        expect(await patientOf(await browser.fetch(`${app.baseUrl}/api/context?smart_launch=${b}`, { headers: json }))).toMatchObject({ patient: 'p3' });
        const c = handleOf((await ehrLogin(app, sandbox, 'p4', browser)).url);
        const all = await browser.fetch(`${app.baseUrl}/logout?all=1`);
        expect(all.status).toBe(302);
        expect(hasSession(browser)).toBe(false);
        expect((await browser.fetch(`${app.baseUrl}/api/context?smart_launch=${c}`, { headers: json })).status).toBe(401);
      });
    });

    describe('security (issue 9)', () => {
      let app: AppUnderTest;
      beforeAll(async () => {
        app = await launchApp();
      });
      const sessionNames = (b: TestBrowser) => [...b.cookies.keys()].filter((n) => n.startsWith('smart_session') && !n.includes('_tx_'));


      it('HEAD /callback (a link scanner) spends no code and creates no session; the GET still signs in', async () => {
        const browser = new TestBrowser();
        const callbackUrl = await untilCallback(app, browser);
        sandbox.resetStats();
        const head = await browser.fetch(callbackUrl, { method: 'HEAD' });
        expect(head.status).toBe(405);
        expect(sessionNames(browser)).toEqual([]);
        expect(sandbox.stats().token.authorization_code ?? 0).toBe(0);
        const get = await browser.fetch(callbackUrl);
        expect(get.status).toBe(302);
        expect(sandbox.stats().token.authorization_code ?? 0).toBe(1);
        expect((await context(app, browser)).status).toBe(200);
      });

      it('a session cookie with bytes appended, or with a chunk we did not write, is no session', async () => {
        const { browser } = await standaloneLogin(app);
        expect((await context(app, browser)).status).toBe(200);
        const [name] = sessionNames(browser);
        const original = browser.cookies.get(name!)!.value;
        browser.cookies.set(name!, { value: `${original}AAAA`, path: '/' });
        expect((await context(app, browser)).status).toBe(401);
        const again = await standaloneLogin(app);
        const [name2] = sessionNames(again.browser);
        again.browser.cookies.set(`${name2}.1`, { value: 'x', path: '/' });
        expect((await context(app, again.browser)).status).toBe(401);
      });

      it('GET /logout from another site asks first; without Fetch Metadata (ADR 0004) it logs out', async () => {
        const { browser } = await standaloneLogin(app);
        const cross = await browser.fetch(`${app.baseUrl}/logout`, { headers: { 'sec-fetch-site': 'cross-site' } });
        expect(cross.status).toBe(200);
        expect(await cross.text()).toMatch(/<form method="post"/);
        expect((await context(app, browser)).status).toBe(200);
        const legacy = await browser.fetch(`${app.baseUrl}/logout`);
        expect(legacy.status).toBe(302);
        expect((await context(app, browser)).status).toBe(401);
      });

      describe('with a hostile EHR on the allowlist', () => {
        let hostile: Server;
        let hostileApp: AppUnderTest;
        const mode = { bigDiscovery: false };
        beforeAll(async () => {
          hostile = createServer((req, res) => {
            const origin = `http://127.0.0.1:${(hostile.address() as { port: number }).port}`;
            const url = new URL(req.url!, origin);
            if (url.pathname === '/fhir/.well-known/smart-configuration') {
              res.writeHead(200, { 'content-type': 'application/json' });
              return res.end(JSON.stringify({ authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, capabilities: ['launch-standalone', 'launch-ehr', 'client-public'], code_challenge_methods_supported: ['S256'], ...(mode.bigDiscovery ? { padding: 'p'.repeat(2 * 1024 * 1024) } : {}) }));
            }
            if (url.pathname === '/authorize') {
              const back = new URL(url.searchParams.get('redirect_uri')!);
              back.searchParams.set('code', 'code-1');
              back.searchParams.set('state', url.searchParams.get('state')!);
              res.writeHead(302, { location: back.href });
              return res.end();
            }
            if (url.pathname === '/token') {
              // A 14 KB access token (random: real tokens are signed or encrypted, they don't compress).
              res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
              return res.end(JSON.stringify({ access_token: randomBytes(10_500).toString('base64url'), token_type: 'Bearer', expires_in: 3600, scope: 'launch/patient patient/*.rs offline_access', patient: 'p1' }));
            }
            res.writeHead(404, { 'content-type': 'application/json' });
            res.end('{}');
          });
          await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
          // No openid: this EHR publishes no issuer/jwks_uri to validate an id_token with.
          hostileApp = await launchApp({ SMART_ISS: `http://127.0.0.1:${(hostile.address() as { port: number }).port}/fhir`, SMART_SCOPE: 'launch/patient patient/*.rs offline_access' });
        });
        afterAll(() => new Promise<void>((r) => hostile.close(() => r())));

        // First: a failed discovery is not cached, a good one is (for discoveryTtlSeconds).
        it('a 2 MB discovery document fails the launch with response_too_large', async () => {
          mode.bigDiscovery = true;
          try {
            const res = await new TestBrowser().fetch(`${hostileApp.baseUrl}/launch`, { headers: { accept: 'application/json' } });
            expect(res.status).toBe(502);
            expect(await res.text()).toContain('response_too_large');
          } finally {
            mode.bigDiscovery = false;
          }
        });

        it('a 14 KB token set fails the callback with session_too_large; no cookie locks the user out', async () => {
          const { res, body, browser } = await standaloneLogin(hostileApp);
          expect(res.status).toBe(500);
          expect(body).toContain('session_too_large');
          expect(sessionNames(browser)).toEqual([]);
          const cookieBytes = browser.cookieHeader(`${hostileApp.baseUrl}/`).length;
          expect(cookieBytes).toBeLessThan(7 * 1024);
          for (const path of ['/', '/logout', '/launch']) {
            expect((await browser.fetch(`${hostileApp.baseUrl}${path}`)).status).not.toBe(431);
          }
        });
      });
    });

    describe('wrong client credentials', () => {
      it('a wrong client secret is rejected at the token endpoint: no session', async () => {
        const app = await launchApp({ SMART_CLIENT_ID: 'demo-symmetric', SMART_CLIENT_SECRET: 'not-the-secret' });
        const { res, body, browser } = await standaloneLogin(app);
        expect(res.status).toBe(502);
        expect(body).toContain('invalid_client');
        expect(body).not.toContain('not-the-secret');
        expect(hasSession(browser)).toBe(false);
      });
    });
  });
}
