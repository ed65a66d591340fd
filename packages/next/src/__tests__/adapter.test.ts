/**
 * getSmart() and the proxy against the real sandbox and the real core. Only Next.js's request scope
 * (`next/headers`) is simulated: a Route Handler / Server Action jar accepts cookies().set(), a
 * Server Component jar throws like Next.js does; `connection()` (next/server) records its call.
 * The example app's tests cover the real runtime (with cacheComponents).
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { NextRequest } from 'next/server.js';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { smartNext, type SmartNext } from '../index.js';
import { TestBrowser } from '../../../../test/helpers/browser.js';

type Jar = { set: (name: string, value: string, options: Record<string, unknown>) => void };
const scope = vi.hoisted(() => ({ headers: new Headers(), jar: undefined as unknown as Jar, calls: [] as string[] }));
vi.mock('next/headers.js', () => ({
  headers: async () => (scope.calls.push('headers'), scope.headers),
  cookies: async () => (scope.calls.push('cookies'), scope.jar),
}));
vi.mock('next/server.js', async (original) => ({ ...(await original<typeof import('next/server.js')>()), connection: async () => void scope.calls.push('connection') }));

const SECRET = 'adapter-test-session-secret-0123456789abcdef';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cookies set through cookies().set(), as in a Route Handler or a Server Action. */
function routeHandlerJar() {
  const set = vi.fn<Jar['set']>();
  return { jar: { set }, set };
}
/** A Server Component: Next.js refuses cookie writes while rendering. */
const serverComponentJar: Jar = {
  set() {
    throw new Error('Cookies can only be modified in a Server Action or Route Handler.');
  },
};

let sandbox: Sandbox;
let server: Server;
let base: string;
let app: SmartNext;
let fail401 = 0;
const warnings: string[] = [];

function request(cookie: string, path = '/', accept = 'text/html'): void {
  scope.headers = new Headers({ cookie, host: new URL(base).host, accept });
  void path;
}
const nextRequest = (path: string, cookie: string | undefined, accept = 'text/html') =>
  new NextRequest(`${base}${path}`, { headers: { host: new URL(base).host, accept, ...(cookie ? { cookie } : {}) } });

async function login(): Promise<TestBrowser> {
  const browser = new TestBrowser();
  const r = await browser.navigate(`${base}/launch`);
  expect(r.body).toBe('app page');
  expect([...browser.cookies.keys()].some((n) => n.startsWith('smart_session~'))).toBe(true);
  return browser;
}
// One cookie per launch (ADR 0008): `smart_session~<handle>`.
const sessionCookie = (setCookie: string[]) => setCookie.find((c) => c.startsWith('smart_session~') && !/Max-Age=0/.test(c))!.split(';')[0]!;
const slotOf = (browser: TestBrowser) => [...browser.cookies].find(([n]) => n.startsWith('smart_session~'))!;

beforeAll(async () => {
  // 62 s tokens and the default 60 s skew: a token needs refreshing ~2 s after it was issued.
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
  server = createServer(async (req, res) => {
    const web = new Request(`${base}${req.url}`, { method: req.method, headers: req.headers as Record<string, string> });
    const out = ['/launch', '/callback', '/logout'].includes(new URL(web.url).pathname) ? await app.handlers.GET(web) : new Response('app page');
    res.writeHead(out.status, [...out.headers].filter(([k]) => k !== 'set-cookie').concat(out.headers.getSetCookie().map((c) => ['set-cookie', c])).flat());
    res.end(Buffer.from(await out.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  app = smartNext({
    issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }],
    session: { secret: SECRET },
    logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    // A FHIR 401 with a still-valid token can't be provoked at the real server on demand.
    fetch: async (input, init) => {
      if (fail401 > 0 && String(input instanceof Request ? input.url : input).includes('/fhir/Patient/')) {
        fail401--;
        return new Response('{}', { status: 401 });
      }
      return fetch(input, init);
    },
  });
});
afterAll(async () => {
  await new Promise<void>((r) => server?.close(() => r()));
  await sandbox?.stop();
});
beforeEach(() => {
  warnings.length = 0;
  sandbox.resetStats();
});

describe('getSmart()', () => {
  it('returns the same SmartContext as req.smart, and null without a session', async () => {
    const browser = await login();
    const { jar, set } = routeHandlerJar();
    scope.jar = jar;
    request(browser.cookieHeader(`${base}/`));
    const s = await app.getSmart();
    expect(s).toMatchObject({ patient: expect.any(String), serverUrl: sandbox.fhirBaseUrl, tokenType: expect.stringMatching(/bearer/i) });
    expect(s!.scopes.has('patient/Patient.rs')).toBe(true);
    const patient = await s!.fhir.read('Patient', s!.patient!);
    expect(patient.id).toBe(s!.patient);
    expect(set).not.toHaveBeenCalled();
    request('');
    expect(await app.getSmart()).toBeNull();
    request('smart_session=forged');
    scope.calls.length = 0;
    expect(await app.getSmart()).toBeNull();
    // cacheComponents: the request is marked dynamic before the session (and its clock) is read.
    expect(scope.calls[0]).toBe('connection');
  });

  it('in a Route Handler or Server Action: refreshes an expiring token and saves it with cookies().set()', async () => {
    const browser = await login();
    await wait(2500);
    sandbox.resetStats();
    const { jar, set } = routeHandlerJar();
    scope.jar = jar;
    request(browser.cookieHeader(`${base}/`));
    const s = await app.getSmart();
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    expect(set).toHaveBeenCalledWith(expect.stringMatching(/^smart_session~/), expect.any(String), expect.objectContaining({ path: '/', httpOnly: true, sameSite: 'lax' }));
    const saved = set.mock.calls.find(([n]) => String(n).startsWith('smart_session~'))!;
    // The cookie lives as long as the session has left (absolute lifetime: 8 h from login).
    expect(saved[2].maxAge).toBeGreaterThan(28_700);
    expect(saved[2].maxAge).toBeLessThanOrEqual(28_800);
    expect(saved[1]).not.toBe(slotOf(browser)[1].value);
    // The saved cookie carries the new token: no second refresh.
    request(`${saved[0]}=${saved[1]}`);
    expect((await app.getSmart())!.accessToken).toBe(s!.accessToken);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
  });

  it('in a Route Handler: the refresh after a FHIR 401 is saved too', async () => {
    const browser = await login();
    const { jar, set } = routeHandlerJar();
    scope.jar = jar;
    request(browser.cookieHeader(`${base}/`));
    const s = (await app.getSmart())!;
    fail401 = 1;
    await s.fhir.read('Patient', s.patient!);
    expect(fail401).toBe(0);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    expect(set).toHaveBeenCalledWith(expect.stringMatching(/^smart_session~/), expect.any(String), expect.objectContaining({ httpOnly: true }));
  });

  it('in a Server Component after the proxy: reads the refreshed session the proxy put on the request, refreshes nothing', async () => {
    const browser = await login();
    await wait(2500);
    sandbox.resetStats();
    const old = browser.cookieHeader(`${base}/`);
    const res = await app.createProxy()(nextRequest('/', old));
    expect(res.headers.get('x-middleware-next')).toBe('1');
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    // The browser gets the new cookie, and this request's Cookie header is rewritten to it.
    const fresh = sessionCookie(res.headers.getSetCookie());
    expect(res.headers.get('x-middleware-override-headers')).toContain('cookie');
    expect(res.headers.get('x-middleware-request-cookie')!.split('; ')).toContain(fresh);
    scope.jar = serverComponentJar;
    request(res.headers.get('x-middleware-request-cookie')!);
    const s = await app.getSmart();
    expect(s!.expiresAt! - Date.now() / 1000).toBeGreaterThan(60);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('in a Server Component without the proxy: a refresh it cannot save is not lost (re-sent on the next request)', async () => {
    const browser = await login();
    await wait(2500);
    sandbox.resetStats();
    const old = browser.cookieHeader(`${base}/`);
    scope.jar = serverComponentJar;
    request(old);
    const s = await app.getSmart();
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    expect(warnings.some((w) => /could not be saved from a Server Component/.test(w))).toBe(true);
    // The next request still carries the old cookie: the proxy answers with the newer session.
    const res = await app.createProxy()(nextRequest('/', old));
    const resent = sessionCookie(res.headers.getSetCookie());
    const { jar } = routeHandlerJar();
    scope.jar = jar;
    request(resent);
    expect((await app.getSmart())!.accessToken).toBe(s!.accessToken);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
  });
});

describe('proxy()', () => {
  const guard = () => app.createProxy({ requireSession: ['/api/', '/chart'] });

  it('without a session: 401 JSON for APIs, a launch redirect for pages, unprotected paths pass', async () => {
    const api = await guard()(nextRequest('/api/context', undefined, 'application/json'));
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toBe('Bearer');
    expect(await api.json()).toEqual({ error: 'not_authenticated', message: expect.any(String) });
    const page = await guard()(nextRequest('/chart/vitals?x=1', undefined));
    expect(page.status).toBe(307);
    expect(page.headers.get('location')).toBe(`${base}/launch?returnTo=${encodeURIComponent('/chart/vitals?x=1')}`);
    // A path that only shares a prefix is not protected.
    expect((await guard()(nextRequest('/charts', undefined))).headers.get('x-middleware-next')).toBe('1');
    expect((await guard()(nextRequest('/', undefined))).headers.get('x-middleware-next')).toBe('1');
  });

  it('lets a signed-in request through untouched when nothing changed', async () => {
    const browser = await login();
    const res = await guard()(nextRequest('/api/context', browser.cookieHeader(`${base}/`), 'application/json'));
    expect(res.headers.get('x-middleware-next')).toBe('1');
    expect(res.headers.get('x-middleware-override-headers')).toBeNull();
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('never touches the SMART routes (logout must see the browser cookie)', async () => {
    const browser = await login();
    await wait(2500);
    sandbox.resetStats();
    const res = await guard()(nextRequest('/logout', browser.cookieHeader(`${base}/`)));
    expect(res.headers.get('x-middleware-next')).toBe('1');
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(0);
  });

  it('an ended session: 401 session_expired and the cookie cleared', async () => {
    const browser = await login();
    sandbox.fail({ kind: 'refresh_invalid_grant', clientId: 'demo-public' });
    await wait(2500);
    const res = await guard()(nextRequest('/api/patient', browser.cookieHeader(`${base}/`), 'application/json'));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('session_expired');
    expect(res.headers.getSetCookie().some((c) => /^smart_session~[^=]+=;/.test(c) && /Max-Age=0/.test(c))).toBe(true);
  });
});
