/**
 * Negative tests of issue 9's rules (each fails when its rule is removed): the issuer mix-up guard
 * (RFC 9700 4.4), the session cookie budget, authenticated chunked cookies, HEAD on the callback,
 * capped response bodies, discovery redirects decided from Location, and id_token `iat`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSmart, MemoryStore, type SmartConfig } from '../src/index.js';
import { Discovery } from '../src/oauth/discovery.js';
import { registerClient } from '../src/registration/index.js';
import { introspect } from '../src/resource-server/index.js';
import { cookiesOf, FAKE_APP, fakeTokens, startFakeAs, type FakeAs } from './fake-as.js';

const secret = 'security-test-secret-0123456789abcdefgh';
const APP = FAKE_APP;
const json = { accept: 'application/json' };
let h: FakeAs;
let e: FakeAs;
beforeAll(async () => {
  [h, e] = await Promise.all([startFakeAs(), startFakeAs()]);
});
afterAll(() => Promise.all([h.close(), e.close()]));
let saved: { h: Record<string, unknown>; e: Record<string, unknown> };
beforeEach(() => {
  h.requests.length = 0;
  e.requests.length = 0;
  saved = { h: h.smartConfig, e: e.smartConfig };
});
afterEach(() => {
  h.smartConfig = saved.h;
  e.smartConfig = saved.e;
  vi.restoreAllMocks();
});

const issuerEntry = (as: FakeAs, over: Partial<SmartConfig['issuers'][number]> = {}) => ({ iss: as.fhirBase, clientId: 'demo-public', authorizeMethod: 'GET' as const, scope: 'launch/patient patient/*.rs offline_access', ...over });
const make = (extra: Partial<SmartConfig> = {}, as: FakeAs = h) => createSmart({ issuers: [issuerEntry(as)], session: { secret }, discoveryTtlSeconds: 0, ...extra });
const tokenCalls = (as: FakeAs) => as.requests.filter((r) => r.path === '/token').length;
/** The session cookies a response sets (whatever their names: one per launch), as a Cookie header. */
const sessionPairs = (set: string[]) => set.filter((c) => c.startsWith('smart_session') && !c.includes('_tx_') && !/Max-Age=0/.test(c)).map((c) => c.split(';')[0]).join('; ');
const clearsSession = (set: readonly string[]) => set.some((c) => c.startsWith('smart_session') && !c.includes('_tx_') && /Max-Age=0/.test(c));

/** Launch + callback through `smart.handle()` with the fake AS answering `body`: the session cookies. */
async function login(smart: { handle(r: Request): Promise<Response | undefined> }, as: FakeAs, body: Record<string, unknown> = fakeTokens()): Promise<string> {
  const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
  if (launch.status !== 302) throw new Error(`launch answered ${launch.status}`);
  const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
  const saved = as.tokenResponse;
  as.tokenResponse = async () => ({ status: 200, body });
  try {
    const cb = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, { headers: { cookie: cookiesOf(launch) } })))!;
    if (cb.status !== 302) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
    return sessionPairs(cb.headers.getSetCookie());
  } finally {
    as.tokenResponse = saved;
  }
}

describe('issuer mix-up (RFC 9700 4.4)', () => {
  /** E claims H's issuer and JWKS but keeps its own authorize and token endpoints. */
  const spoof = () => {
    e.smartConfig = { ...e.smartConfig, issuer: h.smartConfig.issuer, jwks_uri: h.smartConfig.jwks_uri };
  };

  it('a launch at an EHR that claims another allowlisted EHR\'s issuer is refused before any redirect', async () => {
    spoof();
    const smart = make({ issuers: [issuerEntry(h), issuerEntry(e)] });
    const res = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(e.fhirBase)}&launch=x`, { headers: json })))!;
    expect(res.status).toBe(502);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(((await res.json()) as { error: string }).error).toBe('issuer_conflict');
    // No code, no verifier: nothing was sent to any token endpoint.
    expect(tokenCalls(e) + tokenCalls(h)).toBe(0);
    // The honest EHR's own launches are refused too while the allowlist is inconsistent.
    const honest = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(h.fhirBase)}&launch=x`, { headers: json })))!;
    expect(((await honest.json()) as { error: string }).error).toBe('issuer_conflict');
  });

  it('one authorization server behind two FHIR bases (same authorize, token, JWKS) stays legal', async () => {
    e.smartConfig = { ...e.smartConfig, issuer: h.smartConfig.issuer, jwks_uri: h.smartConfig.jwks_uri, authorization_endpoint: h.smartConfig.authorization_endpoint, token_endpoint: h.smartConfig.token_endpoint };
    const smart = make({ issuers: [issuerEntry(h), issuerEntry(e)] });
    const res = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(e.fhirBase)}&launch=x`)))!;
    expect(res.status).toBe(302);
    expect(res.headers.get('location')!.startsWith(`${h.url}/authorize?`)).toBe(true);
  });

  it('an unreachable other EHR blocks a launch only when it is needed to decide', async () => {
    const dead = 'http://127.0.0.1:1/fhir';
    const issuers = [issuerEntry(h), { ...issuerEntry(h), iss: dead }];
    // H's issuer is on H's own origin: no other host can be its authorization server. Goes on.
    const ok = (await make({ issuers }).handle(new Request(`${APP}/launch?iss=${encodeURIComponent(h.fhirBase)}&launch=x`)))!;
    expect(ok.status).toBe(302);
    // E claims an issuer on another origin (H's): the dead peer might be that server. Refused.
    spoof();
    const refused = (await make({ issuers: [issuerEntry(e), { ...issuerEntry(h), iss: dead }] }).handle(new Request(`${APP}/launch?iss=${encodeURIComponent(e.fhirBase)}&launch=x`, { headers: json })))!;
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { error: string }).error).toBe('discovery_failed');
    expect(tokenCalls(e)).toBe(0);
  });
});

describe('issuer mix-up with tenant templates (RFC 9700 4.4)', () => {
  // H's tenant base `{h}/fhir` is allowlisted only through the template `{h}/:tenant`; E is exact.
  let a: FakeAs;
  beforeAll(async () => {
    a = await startFakeAs();
  });
  afterAll(() => a.close());
  beforeEach(() => {
    a.requests.length = 0;
  });
  const template = () => ({ ...issuerEntry(h), iss: `${h.url}/:tenant` });
  const smartWith = (extra: Partial<SmartConfig> = {}) => make({ issuers: [template(), issuerEntry(e)], ...extra });
  const launchAt = (smart: ReturnType<typeof make>, base: string) => smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(base)}&launch=x`, { headers: json })) as Promise<Response>;
  const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;
  /** Oracle Health layout: the tenant's authorization server is on another host (`{a}/tenants/fhir`). */
  const oracleLayout = () => {
    h.smartConfig = { ...h.smartConfig, issuer: `${a.url}/tenants/fhir`, authorization_endpoint: `${a.url}/authorize`, token_endpoint: `${a.url}/token`, jwks_uri: `${a.url}/jwks` };
  };
  /** A launch at the tenant H and its callback (RFC 9207 `iss` = the tenant's issuer): the callback status. */
  async function tenantLogin(smart: ReturnType<typeof make>, tokenAs: FakeAs): Promise<number> {
    const launch = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(h.fhirBase)}&launch=x`)))!;
    expect(launch.status).toBe(302);
    const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
    tokenAs.tokenResponse = async () => ({ status: 200, body: fakeTokens() });
    const cb = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(String(h.smartConfig.issuer))}`, { headers: { cookie: cookiesOf(launch) } })))!;
    return cb.status;
  }

  it('an exact entry claiming a template tenant\'s issuer (same host) is refused; codes only ever go to H', async () => {
    // E claims H's issuer and JWKS, keeps its own authorize and token endpoints (the original attack).
    const spoof = () => {
      e.smartConfig = { ...saved.e, issuer: h.smartConfig.issuer, jwks_uri: h.smartConfig.jwks_uri };
    };
    spoof();
    const smart = smartWith();
    // Before any tenant was discovered: the issuer is on the template's host.
    const first = await launchAt(smart, e.fhirBase);
    expect(first.status).toBe(502);
    expect(first.headers.get('location')).toBeNull();
    expect(await errorOf(first)).toBe('issuer_conflict');
    // (While E spoofs, the exact peer E also blocks the tenant's own launches, as between exact entries.)
    e.smartConfig = saved.e;
    expect(await tenantLogin(smart, h)).toBe(302);
    spoof();
    const again = await launchAt(smart, e.fhirBase);
    expect(await errorOf(again)).toBe('issuer_conflict');
    expect(tokenCalls(e)).toBe(0);
    expect(tokenCalls(h)).toBe(1);
  });

  it('Oracle layout (AS on another host): refused before and after a tenant was discovered; codes only go to the tenant\'s AS', async () => {
    oracleLayout();
    const spoof = () => {
      e.smartConfig = { ...saved.e, issuer: `${a.url}/tenants/fhir`, authorization_endpoint: `${a.url}/authorize`, jwks_uri: `${a.url}/jwks` };
    };
    spoof();
    const smart = smartWith();
    // No tenant seen yet: the template's AS host is unknown and E's flow spans two hosts.
    const first = await launchAt(smart, e.fhirBase);
    expect(first.status).toBe(502);
    expect(await errorOf(first)).toBe('issuer_conflict');
    e.smartConfig = saved.e;
    expect(await tenantLogin(smart, a)).toBe(302);
    spoof();
    // Now the tenant is a peer and its AS host is the template's: E's split flow is refused.
    const again = await launchAt(smart, e.fhirBase);
    expect(again.headers.get('location')).toBeNull();
    expect(await errorOf(again)).toBe('issuer_conflict');
    expect(tokenCalls(e) + tokenCalls(h)).toBe(0);
    expect(tokenCalls(a)).toBe(1);
  });

  it('a discovered tenant is a peer: its issuer with other endpoints, even on its AS host, is refused', async () => {
    oracleLayout();
    const smart = smartWith();
    expect(await tenantLogin(smart, a)).toBe(302);
    e.smartConfig = { ...saved.e, issuer: `${a.url}/tenants/fhir`, authorization_endpoint: `${a.url}/tenants/x/authorize`, token_endpoint: `${a.url}/tenants/x/token`, jwks_uri: `${a.url}/jwks` };
    expect(await errorOf(await launchAt(smart, e.fhirBase))).toBe('issuer_conflict');
    expect(tokenCalls(e)).toBe(0);
  });

  it('legit: an exact EHR with its own AS, and another tenant of the same real AS (other persona host), still launch', async () => {
    const smart = smartWith();
    // E's own AS on its own host, before and after a tenant launch.
    expect((await launchAt(smart, e.fhirBase)).status).toBe(302);
    expect(await tenantLogin(smart, h)).toBe(302);
    expect((await launchAt(smart, e.fhirBase)).status).toBe(302);
    // Oracle: an exact base on another FHIR host served by the same authorization server.
    oracleLayout();
    e.smartConfig = { ...e.smartConfig, issuer: `${a.url}/tenants/other`, authorization_endpoint: `${a.url}/tenants/other/authorize`, token_endpoint: `${a.url}/tenants/other/token`, jwks_uri: `${a.url}/jwks` };
    const oracle = smartWith();
    const before = await launchAt(oracle, e.fhirBase);
    expect(before.status).toBe(302);
    expect(await tenantLogin(oracle, a)).toBe(302);
    const after = await launchAt(oracle, e.fhirBase);
    expect(after.status).toBe(302);
    expect(after.headers.get('location')!.startsWith(`${a.url}/tenants/other/authorize?`)).toBe(true);
  });

  it('legit: two tenants of one template sharing one AS issuer both launch', async () => {
    // `{h}/t2` answers the same document as `{h}/fhir` (one AS, one issuer, two tenants).
    const fetchT2: typeof fetch = (input, init) => globalThis.fetch(String(input instanceof Request ? input.url : input).replace(`${h.url}/t2/`, `${h.url}/fhir/`), init);
    const smart = make({ issuers: [template()], fetch: fetchT2 });
    expect(await tenantLogin(smart, h)).toBe(302);
    const t2 = await launchAt(smart, `${h.url}/t2`);
    expect(t2.status).toBe(302);
    expect(t2.headers.get('location')!.startsWith(`${h.url}/authorize?`)).toBe(true);
  });
});

describe('session cookie budget', () => {
  // Random (incompressible) like a real signed or encrypted token.
  const big = (n: number) => fakeTokens({ access_token: `AT-${randomBytes(n).toString('base64url').slice(0, n)}` });

  it('a 14 KB access token fails the callback with session_too_large and writes no session', async () => {
    const smart = make();
    const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
    const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
    h.tokenResponse = async () => ({ status: 200, body: big(14_000) });
    const res = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(h.url)}`, { headers: { cookie: cookiesOf(launch), ...json } })))!;
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('session_too_large');
    expect(body.message).toContain('session.store');
    expect(body.message).not.toContain('AT-');
    const set = res.headers.getSetCookie();
    // Nothing but clearing cookies (the transaction's among them): no session cookie is written.
    expect(set.length).toBeGreaterThan(0);
    expect(set.every((c) => /Max-Age=0/.test(c))).toBe(true);
    expect(set.some((c) => c.includes('_tx_'))).toBe(true);
    expect(sessionPairs(set)).toBe('');
    h.tokenResponse = async () => ({ status: 200, body: fakeTokens() });
  });

  it('the same token set works with a session store (one small cookie)', async () => {
    const smart = make({ session: { secret, store: new MemoryStore() } });
    const cookie = await login(smart, h, big(14_000));
    expect(cookie.length).toBeLessThan(400);
    expect((await smart.session({ cookie, url: `${APP}/` })).context?.accessToken.length).toBe(14_003);
  });

  it('the budget is configurable, and a session over one chunk logs one warning with the fix', async () => {
    const warn = vi.fn();
    const smart = make({ session: { secret, maxCookieBytes: 12_000 }, logger: { warn, error: () => {} } });
    const cookie = await login(smart, h, big(7_500));
    expect(cookie.split('; ').length).toBeGreaterThan(1);
    await login(smart, h, big(7_500));
    const chunkWarnings = warn.mock.calls.filter(([m]) => /needs \d+ cookies/.test(String(m)));
    expect(chunkWarnings).toHaveLength(1);
    expect(String(chunkWarnings[0]![0])).toContain('session.store');
    expect((await smart.session({ cookie, url: `${APP}/` })).context?.patient).toBe('p1');
    // The default budget (7 KB) refuses the same tokens.
    await expect(login(make(), h, big(7_500))).rejects.toThrow(/callback answered 500/);
  });

  it('a refresh that no longer fits ends the session and clears its cookies instead of writing them', async () => {
    const smart = make({ refreshSkewSeconds: 3600 });
    const cookie = await login(smart, h, fakeTokens({ expires_in: 120 }));
    h.tokenResponse = async () => ({ status: 200, body: big(14_000) });
    try {
      const r = await smart.session({ cookie, url: `${APP}/` });
      expect(r.setCookie.length).toBeGreaterThan(0);
      expect(r.setCookie.every((c) => /Max-Age=0/.test(c))).toBe(true);
      expect(clearsSession(r.setCookie)).toBe(true);
      expect((await smart.session({ cookie, url: `${APP}/` })).context).toBeNull();
    } finally {
      h.tokenResponse = async () => ({ status: 200, body: fakeTokens() });
    }
  });

  it('an Epic-sized token set fits one cookie of at most 4096 bytes', async () => {
    const smart = make();
    const epic = fakeTokens({
      access_token: `eyJ${randomBytes(1400).toString('base64url').slice(0, 1400)}`,
      refresh_token: randomBytes(120).toString('base64url').slice(0, 120),
      scope: 'launch openid fhirUser patient/Patient.read patient/Observation.read patient/Condition.read patient/MedicationRequest.read patient/AllergyIntolerance.read patient/Encounter.read offline_access',
      need_patient_banner: 'true', smart_style_url: 'https://fhir.epic.com/interconnect-fhir-oauth/api/epic/2019/EDI/HTTP/style/100013/XXXXXXXXXXXXXXXXXXXXXXXX.json',
      encounter: 'eXXXXXXXXXXXXXXXXXXXXXXXXXXXXX3', '__epic.dstu2.patient': 'TXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX3', location: 'eXXXXXXXXXXXXXXXXXX3', loginDepartment: 'eXXXXXXXXXXXXXXXXXXX3', unconstrained: 'false', tenant: 'tenantXYZ',
    });
    const cookie = await login(smart, h, epic);
    expect(cookie.split('; ')).toHaveLength(1);
    expect(cookie.length).toBeLessThanOrEqual(4096);
  });
});

describe('session cookies are authenticated whole', () => {
  it('trailing bytes or an extra chunk make the cookie no session, and it is cleared', async () => {
    const smart = make();
    const cookie = await login(smart, h);
    expect((await smart.session({ cookie, url: `${APP}/` })).context).not.toBeNull();
    const name = cookie.split('=')[0]!;
    expect(cookie.split('; ')).toHaveLength(1);
    for (const forged of [`${cookie}x`, `${cookie}; ${name}.1=x`, `${cookie}; ${name}.2=x`, `${cookie}; ${name}.x=1`]) {
      // A fresh instance (nothing cached) and the one that wrote the cookie both refuse it.
      for (const s of [smart, make()]) {
        const r = await s.session({ cookie: forged, url: `${APP}/` });
        expect(r.context).toBeNull();
        expect(clearsSession(r.setCookie)).toBe(true);
      }
    }
  });
});

describe('HEAD on the callback', () => {
  it('does not redeem the code nor create a session; the GET that follows still works', async () => {
    const smart = make();
    const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
    const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
    const url = `${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(h.url)}`;
    const head = (await smart.handle(new Request(url, { method: 'HEAD', headers: { cookie: cookiesOf(launch) } })))!;
    expect(head.status).toBe(405);
    expect(head.headers.getSetCookie()).toEqual([]);
    expect(tokenCalls(h)).toBe(0);
    const get = (await smart.handle(new Request(url, { headers: { cookie: cookiesOf(launch) } })))!;
    expect(get.status).toBe(302);
    expect(sessionPairs(get.headers.getSetCookie())).toMatch(/^smart_session/);
    expect(tokenCalls(h)).toBe(1);
  });
});

describe('response bodies from the EHR are capped', () => {
  let endless: Server;
  let endlessUrl: string;
  beforeAll(async () => {
    // A discovery document that never ends (no Content-Length): only a streaming cap stops it.
    endless = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"x":"');
      const timer = setInterval(() => res.write('a'.repeat(64 * 1024)), 1);
      req.socket.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
    endlessUrl = `http://127.0.0.1:${(endless.address() as { port: number }).port}/fhir`;
  });
  afterAll(() => new Promise<void>((r) => endless.close(() => r())));

  it('an endless discovery document is refused (response_too_large) once past the cap', async () => {
    const d = new Discovery({ fetch, ttlSeconds: 0, timeoutMs: 20_000, allowInsecureHttp: false, maxResponseBytes: 256 * 1024 });
    const started = Date.now();
    await expect(d.get(endlessUrl, { capabilityStatementFallback: false })).rejects.toMatchObject({ code: 'response_too_large', status: 502 });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a token response over maxResponseBytes fails the callback with response_too_large, no session', async () => {
    const smart = make({ maxResponseBytes: 64 * 1024 });
    const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
    const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
    h.tokenResponse = async () => ({ status: 200, body: fakeTokens({ padding: 'p'.repeat(200 * 1024) }) });
    try {
      const res = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(h.url)}`, { headers: { cookie: cookiesOf(launch), ...json } })))!;
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: string }).error).toBe('response_too_large');
      expect(sessionPairs(res.headers.getSetCookie())).toBe('');
    } finally {
      h.tokenResponse = async () => ({ status: 200, body: fakeTokens() });
    }
  });

  it('a discovery document over the configured cap fails the launch with response_too_large', async () => {
    h.smartConfig = { ...h.smartConfig, padding: 'p'.repeat(2 * 1024 * 1024) };
    const res = (await make().handle(new Request(`${APP}/launch`, { headers: json })))!;
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toBe('response_too_large');
  });
});

describe('registration and introspection answers are capped too', () => {
  let big: Server;
  let base: string;
  beforeAll(async () => {
    big = createServer((req, res) => {
      const origin = `http://127.0.0.1:${(big.address() as { port: number }).port}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url === '/fhir/.well-known/smart-configuration') {
        return res.end(JSON.stringify({ issuer: origin, token_endpoint: `${origin}/token`, registration_endpoint: `${origin}/register`, introspection_endpoint: `${origin}/introspect`, capabilities: [] }));
      }
      // 2 MB of JSON, sent in pieces (no Content-Length).
      res.write('{"active":true,"client_id":"x","padding":"');
      for (let i = 0; i < 32; i++) res.write('p'.repeat(64 * 1024));
      res.end('"}');
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(big.address() as { port: number }).port}/fhir`;
  });
  afterAll(() => new Promise<void>((r) => big.close(() => r())));

  it('a 2 MB registration response is refused with response_too_large', async () => {
    await expect(registerClient(base, { redirect_uris: ['http://127.0.0.1:3999/callback'], token_endpoint_auth_method: 'none' }, { maxResponseBytes: 64 * 1024 })).rejects.toMatchObject({ code: 'response_too_large' });
  });

  it('a 2 MB introspection response is refused with response_too_large', async () => {
    await expect(introspect('some-token', { iss: base, bearerToken: 'rs-token', maxResponseBytes: 64 * 1024 })).rejects.toMatchObject({ code: 'response_too_large' });
  });
});

describe('discovery redirects', () => {
  it('a redirect to plain http off loopback is refused from its Location: no request leaves for it', async () => {
    const redirector = createServer((_req, res) => {
      res.writeHead(302, { location: 'http://ehr.example.com/fhir/.well-known/smart-configuration' });
      res.end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
    const requested: string[] = [];
    const recording: typeof fetch = (input, init) => {
      requested.push(String(input));
      return fetch(input, init);
    };
    try {
      const base = `http://127.0.0.1:${(redirector.address() as { port: number }).port}/fhir`;
      const d = new Discovery({ fetch: recording, ttlSeconds: 0, timeoutMs: 5000, allowInsecureHttp: false });
      await expect(d.get(base, { capabilityStatementFallback: false })).rejects.toMatchObject({ code: 'insecure_endpoint' });
      expect(requested.some((u) => u.startsWith('http://ehr.example.com'))).toBe(false);
      expect(requested).toEqual([`${base}/.well-known/smart-configuration`]);
    } finally {
      await new Promise<void>((r) => redirector.close(() => r()));
    }
  });
});

describe('id_token iat', () => {
  const loginWithIdToken = async (iat: number) => {
    const smart = make({ issuers: [issuerEntry(h, { scope: 'launch/patient openid fhirUser patient/*.rs' })] });
    const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
    const q = new URL(launch.headers.get('location')!).searchParams;
    const now = Math.floor(Date.now() / 1000);
    const idToken = await h.signIdToken({ iss: h.url, aud: 'demo-public', sub: 'u1', iat, exp: now + 3600 + iat - now, nonce: q.get('nonce'), fhirUser: 'Practitioner/pr1' });
    h.tokenResponse = async () => ({ status: 200, body: fakeTokens({ id_token: idToken, scope: 'launch/patient openid fhirUser patient/*.rs' }) });
    try {
      return (await smart.handle(new Request(`${APP}/callback?code=c&state=${q.get('state')}&iss=${encodeURIComponent(h.url)}`, { headers: { cookie: cookiesOf(launch), ...json } })))!;
    } finally {
      h.tokenResponse = async () => ({ status: 200, body: fakeTokens() });
    }
  };

  it('an id_token issued an hour in the future is refused; within the clock tolerance it is fine', async () => {
    const now = Math.floor(Date.now() / 1000);
    const future = await loginWithIdToken(now + 3600);
    expect(future.status).toBe(502);
    const body = (await future.json()) as { error: string; message: string };
    expect(body.error).toBe('id_token_invalid');
    expect(body.message).toContain('iat');
    expect((await loginWithIdToken(now + 30)).status).toBe(302);
  });
});
