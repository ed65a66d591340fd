import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSmart, type Smart } from '../src/index.js';
import { Discovery } from '../src/oauth/discovery.js';
import { cookiesOf, FAKE_APP, fakeLogin, fakeTokens, sessionCookie, startFakeAs, type FakeAs } from './fake-as.js';

const secret = 'session-test-secret-0123456789abcdefgh';
const APP = FAKE_APP;
let as: FakeAs;
beforeAll(async () => {
  as = await startFakeAs();
});
afterAll(() => as.close());
beforeEach(() => {
  as.requests.length = 0;
});



const make = (extra: object = {}) => createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET', scope: 'launch/patient patient/*.rs offline_access' }], session: { secret }, ...extra });
const tokens = fakeTokens;

describe('session lifecycle', () => {
  it('sends Set-Cookie only when the session changed', async () => {
    const smart = make();
    const cookie = await fakeLogin(smart, as, tokens());
    const r = await smart.session({ cookie, url: `${APP}/` });
    expect(r.context?.patient).toBe('p1');
    expect(r.setCookie).toEqual([]);
  });

  it('refreshes on a FHIR 401 once, retries, and hands the new cookie to the adapter', async () => {
    const smart = make();
    const cookie = await fakeLogin(smart, as, tokens());
    as.fhir = (path, token) => (token === 'AT-2' ? { status: 200, body: { resourceType: 'Patient', id: 'p1' } } : { status: 401, body: {} });
    as.tokenResponse = async (form) => ({ status: 200, body: form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === 'RT-1' ? tokens({ access_token: 'AT-2', refresh_token: 'RT-2' }) : { error: 'invalid_grant' } });
    const pushed: string[][] = [];
    const r = await smart.session({ cookie, url: `${APP}/` }, { setCookie: (v) => pushed.push(v) });
    const patient = await r.context!.fhir.read('Patient', 'p1');
    expect(patient.id).toBe('p1');
    expect(as.requests.filter((x) => x.path === '/token' && x.body.includes('grant_type=refresh_token'))).toHaveLength(1);
    expect(pushed).toHaveLength(1);
    const next = await smart.session({ cookie: sessionCookie(pushed[0]!), url: `${APP}/` });
    expect(next.context!.accessToken).toBe('AT-2');
  });

  it('a refresh response without a refresh_token keeps the old one (Cerner)', async () => {
    const smart = make({ refreshSkewSeconds: 3600 });
    const cookie = await fakeLogin(smart, as, tokens({ expires_in: 60 }));
    let seen: string | null = null;
    as.tokenResponse = async (form) => {
      seen = form.get('refresh_token');
      return { status: 200, body: { access_token: 'AT-3', token_type: 'bearer', expires_in: 60, scope: 'launch/patient patient/*.rs' } };
    };
    const r = await smart.session({ cookie, url: `${APP}/` });
    expect(seen).toBe('RT-1');
    expect(r.context!.accessToken).toBe('AT-3');
    // The new cookie still refreshes with RT-1.
    seen = null;
    await smart.session({ cookie: sessionCookie(r.setCookie), url: `${APP}/` });
    expect(seen).toBe('RT-1');
  });

  it('a transient refresh failure keeps the still-valid token; an expired one is an error, not a pass', async () => {
    const smart = make({ refreshSkewSeconds: 3600 });
    const cookie = await fakeLogin(smart, as, tokens({ expires_in: 120 }));
    as.tokenResponse = async () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    const r = await smart.session({ cookie, url: `${APP}/` });
    expect(r.context?.accessToken).toBe('AT-1');
    const expired = make();
    const cookie2 = await fakeLogin(expired, as, tokens({ expires_in: 1 }));
    await new Promise((r) => setTimeout(r, 1100));
    const r2 = await expired.session({ cookie: cookie2, url: `${APP}/` });
    expect(r2.context).toBeNull();
    expect(r2.error?.code).toBe('refresh_failed');
  });

  it('without a refresh token an expired session ends (session_expired) and its cookies are cleared', async () => {
    const smart = make();
    const { refresh_token: _rt, ...noRt } = tokens({ expires_in: 1 });
    const cookie = await fakeLogin(smart, as, noRt);
    const r = await smart.session({ cookie, url: `${APP}/` });
    expect(r.context).toBeNull();
    expect(r.error?.code).toBe('session_expired');
    expect(r.setCookie.some((c) => /^smart_session~[^=]+=;.*Max-Age=0/.test(c))).toBe(true);
  });

  it('logout revokes the refresh token at the revocation endpoint', async () => {
    const smart = make();
    const cookie = await fakeLogin(smart, as, tokens());
    const res = (await smart.handle(new Request(`${APP}/logout?returnTo=%2Fbye`, { headers: { cookie } })))!;
    expect(res.status).toBe(302);
    // ADR 0008: back to returnTo naming the ended launch, so that tab never falls back to another one.
    expect(res.headers.get('location')).toMatch(/^\/bye\?smart_launch=[A-Za-z0-9_-]{10}$/);
    const revoke = as.requests.find((r) => r.path === '/revoke')!;
    expect(new URLSearchParams(revoke.body).get('token')).toBe('RT-1');
    expect(new URLSearchParams(revoke.body).get('token_type_hint')).toBe('refresh_token');
  });
});

describe('discovery', () => {
  it('falls back to the CapabilityStatement oauth-uris extension (SMART v1)', async () => {
    as.smartConfigStatus = 404;
    as.capabilityStatement = { resourceType: 'CapabilityStatement', rest: [{ security: { extension: [{ url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris', extension: [{ url: 'authorize', valueUri: `${as.url}/authorize` }, { url: 'token', valueUri: `${as.url}/token` }] }] } }] };
    try {
      const d = new Discovery({ fetch, ttlSeconds: 60, timeoutMs: 2000, allowInsecureHttp: false });
      const doc = await d.get(as.fhirBase);
      expect(doc.authorization_endpoint).toBe(`${as.url}/authorize`);
      expect(doc.token_endpoint).toBe(`${as.url}/token`);
      expect(as.requests.find((r) => r.path === '/fhir/metadata')!.headers.accept).toMatch(/json/);
    } finally {
      as.smartConfigStatus = 200;
      delete as.capabilityStatement;
    }
  });

  it('caches per issuer with a TTL, does not cache failures, resolves relative endpoints', async () => {
    const d = new Discovery({ fetch, ttlSeconds: 60, timeoutMs: 2000, allowInsecureHttp: false });
    as.smartConfigStatus = 500;
    await expect(d.get(as.fhirBase, { capabilityStatementFallback: false })).rejects.toMatchObject({ code: 'discovery_failed' });
    as.smartConfigStatus = 200;
    const saved = as.smartConfig;
    as.smartConfig = { ...saved, token_endpoint: '../token' };
    try {
      const doc = await d.get(`${as.fhirBase}/`);
      expect(doc.token_endpoint).toBe(`${as.url}/token`);
      await d.get(as.fhirBase);
      expect(as.requests.filter((r) => r.path === '/fhir/.well-known/smart-configuration')).toHaveLength(2);
    } finally {
      as.smartConfig = saved;
    }
  });
});
