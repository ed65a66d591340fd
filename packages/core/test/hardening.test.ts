import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSmart, MemoryStore, type Smart, type SmartConfig } from '../src/index.js';
import { safeReturnPath } from '../src/url.js';
import { cookiesOf, FAKE_APP, fakeLogin, fakeTokens, sessionCookie, startFakeAs, type FakeAs } from './fake-as.js';

const secret = 'hardening-test-secret-0123456789abcdef';
const APP = FAKE_APP;
let as: FakeAs;
beforeAll(async () => {
  as = await startFakeAs();
});
afterAll(() => as.close());
beforeEach(() => {
  as.requests.length = 0;
});
afterEach(() => {
  vi.restoreAllMocks();
});

const tokens = fakeTokens;
const make = (issuer: Partial<SmartConfig['issuers'][number]> = {}, extra: Partial<SmartConfig> = {}) =>
  createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET', scope: 'launch/patient patient/*.rs offline_access', ...issuer }], session: { secret }, ...extra });
const refreshRequests = () => as.requests.filter((r) => r.path === '/token' && r.body.includes('grant_type=refresh_token')).length;


describe('no open redirect through dot segments', () => {
  it.each(['/.//evil.example', '/a/..//evil.example', '/%2e//evil.example', '/./\\evil.example'])('%s falls back', (v) => {
    expect(safeReturnPath(v, '/')).toBe('/');
  });
  it('logout with a dot-segment returnTo stays on the app', async () => {
    const res = (await make().handle(new Request(`${APP}/logout?returnTo=${encodeURIComponent('/.//evil.example')}`)))!;
    expect(res.headers.get('location')).toBe('/');
  });
});

describe('refresh never spends a rotated or ended refresh token', () => {
  it('a FHIR 401 on an old context uses the session this process already refreshed', async () => {
    const smart = make({}, { refreshSkewSeconds: 0 });
    const cookie = await fakeLogin(smart, as, tokens({ expires_in: 3600 }));
    const old = (await smart.session({ cookie, url: `${APP}/` })).context!;
    as.tokenResponse = async (form) => ({ status: 200, body: form.get('refresh_token') === 'RT-1' ? tokens({ access_token: 'AT-2', refresh_token: 'RT-2' }) : { error: 'invalid_grant' } });
    // Another request refreshes first (its FHIR call got a 401).
    as.fhir = (_p, token) => (token === 'AT-2' ? { status: 200, body: { resourceType: 'Patient', id: 'p1' } } : { status: 401, body: {} });
    const other = (await smart.session({ cookie, url: `${APP}/` })).context!;
    await other.fhir.read('Patient', 'p1');
    expect(refreshRequests()).toBe(1);
    // The old context's 401 must not refresh again with RT-1 (rotated): it takes the newer session.
    const p = await old.fhir.read('Patient', 'p1');
    expect(p.id).toBe('p1');
    expect(refreshRequests()).toBe(1);
  });

  it('a session logged out meanwhile is not brought back by a refresh', async () => {
    for (const store of [undefined, new MemoryStore()]) {
      as.requests.length = 0;
      const smart = make({}, store ? { session: { secret, store } } : {});
      const cookie = await fakeLogin(smart, as);
      const ctx = (await smart.session({ cookie, url: `${APP}/` })).context!;
      await smart.handle(new Request(`${APP}/logout`, { headers: { cookie } }));
      as.fhir = () => ({ status: 401, body: {} });
      await expect(ctx.fhir.read('Patient', 'p1')).rejects.toMatchObject({ status: 401 });
      expect(refreshRequests()).toBe(0);
      expect((await smart.session({ cookie, url: `${APP}/` })).context).toBeNull();
    }
  });
});

describe('cookies', () => {
  it('are Secure for an https app behind a TLS-terminating proxy that forwards plain http', async () => {
    const res = (await make().handle(new Request('http://app.example.com/launch')))!;
    expect(res.headers.getSetCookie()[0]).toMatch(/; Secure/);
    const withBase = (await make({}, { baseUrl: 'https://app.example.com' }).handle(new Request('http://10.0.0.5:8080/launch')))!;
    expect(withBase.headers.getSetCookie()[0]).toMatch(/; Secure/);
    expect(new URL(withBase.headers.get('location')!).searchParams.get('redirect_uri')).toBe('https://app.example.com/callback');
  });

  it('the transaction cookie stays SameSite=Lax with sameSite "strict" (the callback is cross-site)', async () => {
    const smart = make({}, { session: { secret, sameSite: 'strict' } });
    const res = (await smart.handle(new Request(`${APP}/launch`)))!;
    expect(res.headers.getSetCookie()[0]).toMatch(/SameSite=Lax/);
    const cookie = await fakeLogin(smart, as);
    expect((await smart.session({ cookie, url: `${APP}/` })).context).not.toBeNull();
  });

  it('a long client_id and launch are chunked into several transaction cookies that still work', async () => {
    const smart = make({ clientId: `c${'x'.repeat(967)}`, scope: 'launch patient/*.rs' });
    const launch = 'L'.repeat(3000);
    const res = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(as.fhirBase)}&launch=${launch}`)))!;
    const set = res.headers.getSetCookie();
    expect(set.length).toBeGreaterThan(1);
    for (const c of set) expect(c.length).toBeLessThan(4096);
    const cookie = await fakeLogin(smart, as, tokens(), `?iss=${encodeURIComponent(as.fhirBase)}&launch=${launch}`);
    expect((await smart.session({ cookie, url: `${APP}/` })).context?.patient).toBe('p1');
  });

  it('the session lifetime is absolute: refreshing does not extend it past maxAge', async () => {
    const smart = make({}, { session: { secret, maxAge: 120 }, refreshSkewSeconds: 3600 });
    const cookie = await fakeLogin(smart, as, tokens({ expires_in: 60 }));
    as.tokenResponse = async () => ({ status: 200, body: tokens({ access_token: 'AT-2', refresh_token: 'RT-2', expires_in: 60 }) });
    const refreshed = await smart.session({ cookie, url: `${APP}/` });
    expect(refreshed.context?.accessToken).toBe('AT-2');
    const later = Date.now() + 121_000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    expect((await smart.session({ cookie: sessionCookie(refreshed.setCookie), url: `${APP}/` })).context).toBeNull();
  });
});

describe('openid and the id_token', () => {
  it('never drops openid fhirUser silently: no jwks_uri anywhere is a clear launch error, no authorize request', async () => {
    const saved = as.smartConfig;
    const { jwks_uri: _j, ...noJwks } = saved;
    as.smartConfig = noJwks;
    try {
      const res = (await make({ scope: 'launch/patient openid fhirUser patient/*.rs' }, { discoveryTtlSeconds: 0 }).handle(new Request(`${APP}/launch`, { headers: { accept: 'application/json' } })))!;
      expect(res.status).toBe(502);
      expect(res.headers.get('location')).toBeNull();
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('capability_missing');
      expect(body.message).toMatch(/jwks_uri/);
    } finally {
      as.smartConfig = saved;
    }
  });
});

describe('errors carry no token', () => {
  it('a malformed token response (tokens inside) becomes an error whose cause holds none of them', async () => {
    const smart = make();
    const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
    const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
    as.tokenResponse = async () => ({ status: 200, body: { access_token: 'AT-LEAK', refresh_token: 'RT-LEAK', token_type: 'weird', scope: ['not', 'a', 'string'] } });
    let caught: unknown;
    const res = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, { headers: { cookie: cookiesOf(launch), accept: 'application/json' } })))!;
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toMatch(/AT-LEAK|RT-LEAK/);
    // The same failure, caught directly: its whole cause chain is clean.
    try {
      const { toTokenError } = await import('../src/oauth/client.js');
      caught = toTokenError(Object.assign(new Error('invalid response encountered'), { code: 'OAUTH_INVALID_RESPONSE', cause: { body: { access_token: 'AT-LEAK', refresh_token: 'RT-LEAK' } } }), 'x');
    } finally {
      expect(inspect(caught, { depth: 10 })).not.toMatch(/AT-LEAK|RT-LEAK/);
    }
  });
});

describe('discovery', () => {
  it('an outage (5xx) is not a reason to fall back to the v1 CapabilityStatement', async () => {
    as.smartConfigStatus = 503;
    as.capabilityStatement = { resourceType: 'CapabilityStatement', rest: [{ security: { extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'authorize', valueUri: `${as.url}/authorize` }, { url: 'token', valueUri: `${as.url}/token` }] }] } }] };
    try {
      const res = (await make().handle(new Request(`${APP}/launch`, { headers: { accept: 'application/json' } })))!;
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: string }).error).toBe('discovery_failed');
      expect(as.requests.some((r) => r.path === '/fhir/metadata')).toBe(false);
    } finally {
      as.smartConfigStatus = 200;
      delete as.capabilityStatement;
    }
  });
});

describe('logout CSRF', () => {
  it('a cross-site GET asks for confirmation and keeps the session', async () => {
    const smart = make();
    const cookie = await fakeLogin(smart, as);
    const res = (await smart.handle(new Request(`${APP}/logout`, { headers: { cookie, 'sec-fetch-site': 'cross-site' } })))!;
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<form method="post" action="/logout?returnTo=%2F">');
    expect((await smart.session({ cookie, url: `${APP}/` })).context).not.toBeNull();
    expect(as.requests.some((r) => r.path === '/revoke')).toBe(false);
  });

  it('a POST from another origin is refused; from the app it logs out', async () => {
    const smart = make();
    const cookie = await fakeLogin(smart, as);
    const evil = (await smart.handle(new Request(`${APP}/logout`, { method: 'POST', headers: { cookie, origin: 'https://evil.example' } })))!;
    expect(evil.status).toBe(403);
    expect((await smart.session({ cookie, url: `${APP}/` })).context).not.toBeNull();
    const ok = (await smart.handle(new Request(`${APP}/logout`, { method: 'POST', headers: { cookie, origin: APP } })))!;
    expect(ok.status).toBe(302);
    expect((await smart.session({ cookie, url: `${APP}/` })).context).toBeNull();
  });
});
