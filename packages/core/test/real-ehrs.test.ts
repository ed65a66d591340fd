/**
 * The client against what real servers do (smart-launcher, Epic, Oracle Health, Medplum, v1
 * servers), on the scriptable fake AS: lenient where a server gets an optional thing wrong,
 * strict on every security check (each leniency has its negative test here).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SignJWT, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { createSmart, type Smart, type SmartConfig } from '../src/index.js';
import { findIssuer, matchesTemplate, resolveConfig } from '../src/config.js';
import { toV1Scopes } from '../src/fhir/scopes.js';
import { cookiesOf, FAKE_APP, sessionCookie, startFakeAs, type FakeAs } from './fake-as.js';

const secret = 'real-ehrs-test-secret-0123456789abcdef';
const APP = FAKE_APP;
let as: FakeAs;
beforeAll(async () => {
  as = await startFakeAs();
});
afterAll(() => as.close());
let savedConfig: Record<string, unknown>;
beforeEach(() => {
  as.requests.length = 0;
  savedConfig = { ...as.smartConfig };
  as.openidConfigs = {};
  return () => {
    as.smartConfig = savedConfig;
  };
});

type Issuer = Partial<SmartConfig['issuers'][number]>;
interface Log { level: string; message: string; meta?: unknown }
function make(issuer: Issuer = {}, extra: Partial<SmartConfig> = {}): { smart: Smart; logs: Log[] } {
  const logs: Log[] = [];
  const logger = { warn: (message: string, meta?: unknown) => logs.push({ level: 'warn', message, meta }), error: (message: string, meta?: unknown) => logs.push({ level: 'error', message, meta }), debug: (message: string, meta?: unknown) => logs.push({ level: 'debug', message, meta }) };
  const smart = createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET', scope: 'launch/patient openid fhirUser offline_access patient/*.rs', ...issuer }], session: { secret }, discoveryTtlSeconds: 0, logger, ...extra });
  return { smart, logs };
}
const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (nonce: string | null, over: Record<string, unknown> = {}) => ({ iss: as.url, aud: 'app', sub: 'u1', exp: now() + 300, iat: now(), ...(nonce ? { nonce } : {}), fhirUser: 'Practitioner/pr1', ...over });
const tokens = (over: Record<string, unknown> = {}) => ({ access_token: 'AT-1', token_type: 'Bearer', expires_in: 3600, scope: 'launch/patient openid fhirUser offline_access patient/*.rs', patient: 'p1', refresh_token: 'RT-1', ...over });

/** Launch + callback; `body` builds the token response from the authorize request's nonce. */
async function login(smart: Smart, body: (nonce: string | null) => Promise<Record<string, unknown>> | Record<string, unknown>, launchQuery = '', callbackIss = as.url) {
  const launch = (await smart.handle(new Request(`${APP}/launch${launchQuery}`, { headers: { accept: 'application/json' } })))!;
  if (launch.status !== 302) throw new Error(`launch answered ${launch.status}: ${await launch.text()}`);
  const authorize = new URL(launch.headers.get('location')!);
  const saved = as.tokenResponse;
  const b = await body(authorize.searchParams.get('nonce'));
  as.tokenResponse = async () => ({ status: 200, body: b });
  try {
    const res = (await smart.handle(new Request(`${APP}/callback?code=c&state=${authorize.searchParams.get('state')}&iss=${encodeURIComponent(callbackIss)}`, { headers: { cookie: cookiesOf(launch), accept: 'application/json' } })))!;
    return { res, authorize, cookie: sessionCookie(res.headers.getSetCookie()) };
  } finally {
    as.tokenResponse = saved;
  }
}
async function context(smart: Smart, cookie: string) {
  return smart.session({ cookie, url: `${APP}/` });
}
const noSession = (res: Response) => !res.headers.getSetCookie().some((c) => /^smart_session~[A-Za-z0-9_-]+(\.\d+)?=[^;]/.test(c));

/** A session whose token is about to expire, so the next request refreshes. */
async function expiringLogin(smart: Smart) {
  const { res, cookie } = await login(smart, async (nonce) => tokens({ expires_in: 30, id_token: await as.signIdToken(claimsFor(nonce)) }));
  expect(res.status).toBe(302);
  return cookie;
}

describe('refresh keeps good tokens when the optional id_token is bad', () => {
  it('a refreshed id_token without aud (smart-launcher) is dropped: new tokens kept, identity kept, one warning without tokens', async () => {
    const { smart, logs } = make();
    const cookie = await expiringLogin(smart);
    const badIdToken = await as.signIdToken({ iss: as.url, sub: 'u1', exp: now() + 300, iat: now(), fhirUser: 'Practitioner/someone-else' });
    as.tokenResponse = async () => ({ status: 200, body: { access_token: 'AT-2', token_type: 'bearer', expires_in: 30, refresh_token: 'RT-2', scope: 'launch/patient openid fhirUser offline_access patient/*.rs', id_token: badIdToken } });
    const s = await context(smart, cookie);
    expect(s.error).toBeUndefined();
    expect(s.context).toMatchObject({ accessToken: 'AT-2', fhirUser: `${as.fhirBase}/Practitioner/pr1` });
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/refreshed id_token \(aud/);
    expect(JSON.stringify(logs)).not.toMatch(/AT-2|RT-2|AT-1|RT-1|eyJ/);
    // The rotated refresh token is the one used next time.
    as.requests.length = 0;
    as.tokenResponse = async () => ({ status: 200, body: tokens({ access_token: 'AT-3', refresh_token: 'RT-3', expires_in: 30 }) });
    const again = await context(smart, sessionCookie(s.setCookie as string[]));
    expect(again.context?.accessToken).toBe('AT-3');
    expect(new URLSearchParams(as.requests.find((r) => r.path === '/token')!.body).get('refresh_token')).toBe('RT-2');
  });

  it.each([['invalid_grant', 400], ['invalid_request', 400], ['invalid_grant', 401]])('a refused rotated refresh token (%s, %i) ends the session once, cleanly', async (error, status) => {
    const { smart } = make();
    const cookie = await expiringLogin(smart);
    as.tokenResponse = async () => ({ status, body: { error, error_description: 'refresh token already used' } });
    as.requests.length = 0;
    const s = await context(smart, cookie);
    expect(s.context).toBeNull();
    expect(s.error?.code).toBe('session_expired');
    expect(s.error?.status).toBe(401);
    expect(s.setCookie.some((c) => /^smart_session~[^=]+=;/.test(c) && /Max-Age=0/.test(c))).toBe(true);
    // The ended session is not refreshed again (no loop).
    const again = await context(smart, cookie);
    expect(again.context).toBeNull();
    expect(as.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  });

  it('a 5xx or a 429 at refresh is transient, not the end of the session', async () => {
    const { smart } = make();
    for (const status of [503, 429]) {
      const cookie = await expiringLogin(smart);
      as.tokenResponse = async () => ({ status, body: { error: status === 429 ? 'slow_down' : 'server_error' } });
      const s = await context(smart, cookie);
      // The token is still valid for a few seconds: kept, and the session is not destroyed.
      expect(s.context?.accessToken).toBe('AT-1');
      expect(s.setCookie.some((c) => /Max-Age=0/.test(c))).toBe(false);
    }
  });
});

describe('sign-in with openid', () => {
  it('accepts an ES256 id_token whose key is in the JWKS although the server advertises only RS256 (Medplum)', async () => {
    as.smartConfig = { ...as.smartConfig, id_token_signing_alg_values_supported: ['RS256'] };
    const { smart } = make();
    const { res, cookie } = await login(smart, async (nonce) => tokens({ id_token: await as.signIdToken(claimsFor(nonce), { alg: 'ES256' }) }));
    expect(res.status).toBe(302);
    expect((await context(smart, cookie)).context?.fhirUser).toBe(`${as.fhirBase}/Practitioner/pr1`);
  });

  const hs256 = async (nonce: string | null) => new SignJWT(claimsFor(nonce)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-shared-secret-of-enough-length-000'));
  const none = (nonce: string | null) => `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claimsFor(nonce))).toString('base64url')}.`;
  it.each<[string, (nonce: string | null) => Promise<string> | string]>([
    ['alg none', none],
    ['HS256 (a MAC, not a signature)', hs256],
    ['an ES256 key that is not in the JWKS', (n) => as.signIdToken(claimsFor(n), { alg: 'ES256', wrongKey: true })],
    ['an RS256 key that is not in the JWKS', (n) => as.signIdToken(claimsFor(n), { wrongKey: true })],
    ['a wrong aud', (n) => as.signIdToken(claimsFor(n, { aud: 'another-app' }), { alg: 'ES256' })],
    ['no aud', (n) => as.signIdToken(claimsFor(n, { aud: undefined }))],
    ['a wrong iss', (n) => as.signIdToken(claimsFor(n, { iss: 'https://evil.example' }), { alg: 'ES256' })],
    ['a wrong nonce', () => as.signIdToken(claimsFor('not-the-nonce'), { alg: 'ES256' })],
    ['no nonce', () => as.signIdToken(claimsFor(null))],
    ['an expired token', (n) => as.signIdToken(claimsFor(n, { exp: now() - 3600, iat: now() - 7200 }), { alg: 'ES256' })],
    ['azp of another client with several audiences', (n) => as.signIdToken(claimsFor(n, { aud: ['app', 'other'], azp: 'other' }))],
  ])('refuses an id_token with %s: typed error, no session', async (_label, idToken) => {
    const { smart } = make();
    const { res } = await login(smart, async (nonce) => tokens({ id_token: await idToken(nonce) }));
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toBe('id_token_invalid');
    expect(noSession(res)).toBe(true);
  });

  it('dangerouslyAllowIdTokenWithoutAudience / ...WithoutNonce relax only that check, per issuer', async () => {
    const noAud = make({ dangerouslyAllowIdTokenWithoutAudience: true });
    expect((await login(noAud.smart, async (n) => tokens({ id_token: await as.signIdToken(claimsFor(n, { aud: undefined })) }))).res.status).toBe(302);
    // A present, wrong aud is still refused.
    expect((await login(noAud.smart, async (n) => tokens({ id_token: await as.signIdToken(claimsFor(n, { aud: 'x' })) }))).res.status).toBe(502);
    const noNonce = make({ dangerouslyAllowIdTokenWithoutNonce: true });
    expect((await login(noNonce.smart, async () => tokens({ id_token: await as.signIdToken(claimsFor(null)) }))).res.status).toBe(302);
    expect((await login(noNonce.smart, async () => tokens({ id_token: await as.signIdToken(claimsFor('wrong')) }))).res.status).toBe(502);
    expect(() => make({ dangerouslyAllowIdTokenWithoutNonce: 'yes' as unknown as boolean })).toThrow(/dangerouslyAllowIdTokenWithoutNonce/);
  });

  it('openid requested but no id_token granted: signed in without fhirUser, one warning', async () => {
    const { smart, logs } = make();
    const { res, cookie } = await login(smart, () => tokens({ scope: 'launch/patient offline_access patient/*.rs' }));
    expect(res.status).toBe(302);
    const s = await context(smart, cookie);
    expect(s.context?.patient).toBe('p1');
    expect(s.context?.fhirUser).toBeUndefined();
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([expect.stringMatching(/no id_token/)]);
  });

  it('an id_token that was not requested is ignored, valid or not (Medplum always sends one)', async () => {
    const { smart } = make({ scope: 'launch/patient offline_access patient/*.rs' });
    const { res, cookie, authorize } = await login(smart, async () => tokens({ id_token: await as.signIdToken(claimsFor(null, { aud: 'someone-else' }), { wrongKey: true }) }));
    expect(authorize.searchParams.get('nonce')).toBeNull();
    expect(res.status).toBe(302);
    expect((await context(smart, cookie)).context?.fhirUser).toBeUndefined();
  });

  it('without issuer/jwks_uri in the SMART configuration, uses {issuer}/.well-known/openid-configuration', async () => {
    const { jwks_uri: _j, ...noJwks } = savedConfig;
    as.smartConfig = noJwks;
    as.openidConfigs['/.well-known/openid-configuration'] = { issuer: as.url, jwks_uri: `${as.url}/jwks`, token_endpoint: `${as.url}/token`, id_token_signing_alg_values_supported: ['RS256'] };
    const { smart } = make();
    const { res, cookie, authorize } = await login(smart, async (nonce) => tokens({ id_token: await as.signIdToken(claimsFor(nonce), { alg: 'ES256' }) }));
    expect(authorize.searchParams.get('scope')).toContain('openid fhirUser');
    expect(res.status).toBe(302);
    expect((await context(smart, cookie)).context?.fhirUser).toBe(`${as.fhirBase}/Practitioner/pr1`);
    expect(as.requests.some((r) => r.path === '/.well-known/openid-configuration')).toBe(true);
  });

  it('no issuer at all: the FHIR base (or the authorize endpoint\'s parent) is asked for its OpenID configuration', async () => {
    const { jwks_uri: _j, issuer: _i, ...bare } = savedConfig;
    as.smartConfig = bare;
    as.openidConfigs['/fhir/.well-known/openid-configuration'] = { issuer: as.fhirBase, jwks_uri: `${as.url}/jwks`, token_endpoint: `${as.url}/token` };
    const { smart } = make();
    // RFC 9207: the authorization response's iss is that OpenID issuer too.
    const { res, cookie } = await login(smart, async (nonce) => tokens({ id_token: await as.signIdToken(claimsFor(nonce, { iss: as.fhirBase })) }), '', as.fhirBase);
    expect(res.status).toBe(302);
    expect((await context(smart, cookie)).context?.fhirUser).toBe(`${as.fhirBase}/Practitioner/pr1`);
  });

  it.each([
    ['names another issuer (OIDC Discovery 4.3)', () => ({ issuer: 'https://evil.example', jwks_uri: `${as.url}/jwks`, token_endpoint: `${as.url}/token` })],
    ['names another token endpoint', () => ({ issuer: as.url, jwks_uri: `${as.url}/jwks`, token_endpoint: `${as.url}/other-token` })],
    ['has no jwks_uri', () => ({ issuer: as.url, token_endpoint: `${as.url}/token` })],
    ['names no token endpoint', () => ({ issuer: as.url, jwks_uri: `${as.url}/jwks` })],
  ])('an OpenID configuration that %s is not used: clear launch error, no authorize request', async (_l, doc) => {
    const { jwks_uri: _j, ...noJwks } = savedConfig;
    as.smartConfig = noJwks;
    as.openidConfigs['/.well-known/openid-configuration'] = doc();
    const { smart } = make();
    const res = (await smart.handle(new Request(`${APP}/launch`, { headers: { accept: 'application/json' } })))!;
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toBe('capability_missing');
  });
});

describe('token responses as servers send them', () => {
  it('expires_in as a string or a float', async () => {
    const { smart } = make({ scope: 'launch/patient patient/*.rs' });
    for (const v of ['3600', 3599.7, '1800.5']) {
      const { res, cookie } = await login(smart, () => tokens({ expires_in: v, scope: 'launch/patient patient/*.rs' }));
      expect(res.status).toBe(302);
      const at = (await context(smart, cookie)).context!.expiresAt!;
      expect(Math.abs(at - (now() + Math.floor(Number(v))))).toBeLessThanOrEqual(2);
    }
  });

  it('expires_at when expires_in is missing; a garbage expires_in is dropped with a warning, not a failed sign-in', async () => {
    const { smart, logs } = make({ scope: 'launch/patient patient/*.rs' });
    const { expires_in: _e, ...noExpiresIn } = tokens({ scope: 'launch/patient patient/*.rs' });
    const a = await login(smart, () => ({ ...noExpiresIn, expires_at: now() + 900 }));
    expect((await context(smart, a.cookie)).context!.expiresAt).toBe(now() + 900);
    const b = await login(smart, () => tokens({ expires_in: 'soon', scope: 'launch/patient patient/*.rs' }));
    expect(b.res.status).toBe(302);
    expect((await context(smart, b.cookie)).context!.expiresAt).toBeUndefined();
    expect(logs.some((l) => l.level === 'warn' && /expires_in/.test(JSON.stringify(l.meta)))).toBe(true);
    expect(JSON.stringify(logs)).not.toMatch(/AT-1|RT-1/);
  });
});

describe('client authentication', () => {
  it('HTTP Basic keeps RFC 3986 unreserved characters (-._~) as they are, form-encodes the rest', async () => {
    const { smart } = make({ clientId: 'my-app_1.x~', clientSecret: 's-e.c~r_t', scope: 'launch/patient patient/*.rs' });
    await login(smart, () => tokens({ scope: 'launch/patient patient/*.rs' }));
    const req = as.requests.find((r) => r.path === '/token')!;
    expect(Buffer.from(String(req.headers.authorization).replace(/^Basic /, ''), 'base64').toString()).toBe('my-app_1.x~:s-e.c~r_t');
    const other = make({ clientId: "a b/c!'()*", clientSecret: 'p:w&d', scope: 'launch/patient patient/*.rs' });
    as.requests.length = 0;
    await login(other.smart, () => tokens({ scope: 'launch/patient patient/*.rs' }));
    const req2 = as.requests.find((r) => r.path === '/token')!;
    expect(Buffer.from(String(req2.headers.authorization).replace(/^Basic /, ''), 'base64').toString()).toBe('a+b%2Fc%21%27%28%29%2A:p%3Aw%26d');
  });

  it('Epic: jku in client assertions when the app\'s JWKS URL is set; none otherwise', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'epic-key' };
    for (const jwksUrl of ['https://app.example.com/.well-known/jwks.json', undefined]) {
      as.requests.length = 0;
      const { smart } = make({ privateKey: jwk, ...(jwksUrl ? { jwksUrl } : {}), scope: 'launch/patient patient/*.rs' });
      await login(smart, () => tokens({ scope: 'launch/patient patient/*.rs' }));
      const assertion = new URLSearchParams(as.requests.find((r) => r.path === '/token')!.body).get('client_assertion')!;
      const header = decodeProtectedHeader(assertion);
      expect(header.kid).toBe('epic-key');
      expect(header.jku).toBe(jwksUrl);
    }
    expect(() => make({ privateKey: jwk, jwksUrl: 'http://app.example.com/jwks' })).toThrow(/jwksUrl/);
  });

  it('Epic: per-issuer headers go with token and FHIR requests, never Authorization', async () => {
    as.fhir = (path) => (path === '/Patient/p1' ? { status: 200, body: { resourceType: 'Patient', id: 'p1' } } : { status: 404, body: {} });
    const { smart } = make({ headers: { 'Epic-Client-ID': 'app-123' }, scope: 'launch/patient patient/*.rs' });
    const { cookie } = await login(smart, () => tokens({ scope: 'launch/patient patient/*.rs' }));
    const s = await context(smart, cookie);
    await s.context!.fhir.read('Patient', 'p1');
    expect(as.requests.find((r) => r.path === '/token')!.headers['epic-client-id']).toBe('app-123');
    const fhirReq = as.requests.find((r) => r.path === '/fhir/Patient/p1')!;
    expect(fhirReq.headers['epic-client-id']).toBe('app-123');
    expect(fhirReq.headers.authorization).toBe('Bearer AT-1');
    for (const h of ['Authorization', 'cookie', 'Host', 'X-Bad\nHeader']) expect(() => make({ headers: { [h]: 'x' } })).toThrow(/headers/);
  });
});

describe('authorize method auto', () => {
  it('POSTs EHR launches to servers advertising authorize-post; GET for standalone launches and other servers', async () => {
    as.smartConfig = { ...savedConfig, capabilities: [...(savedConfig.capabilities as string[]), 'authorize-post'] };
    const { smart } = make({ authorizeMethod: 'auto', scope: 'launch/patient patient/*.rs' });
    const ehr = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(as.fhirBase)}&launch=L1`)))!;
    expect(ehr.status).toBe(200);
    expect(await ehr.text()).toContain('<form method="post"');
    const standalone = (await smart.handle(new Request(`${APP}/launch`)))!;
    expect(standalone.status).toBe(302);
    const get = make({ authorizeMethod: 'GET', scope: 'launch/patient patient/*.rs' });
    expect((await get.smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(as.fhirBase)}&launch=L1`)))!.status).toBe(302);
    as.smartConfig = savedConfig;
    expect((await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(as.fhirBase)}&launch=L1`)))!.status).toBe(302);
  });
});

describe('an error redirect without state', () => {
  it('shows the EHR\'s error and description, escaped; no session, no token request', async () => {
    const { smart } = make();
    const res = (await smart.handle(new Request(`${APP}/callback?error=invalid_client&error_description=${encodeURIComponent('<script>alert(1)</script> unknown client')}`)))!;
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('authorization_error');
    expect(html).toContain('invalid_client');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>alert');
    expect(noSession(res)).toBe(true);
    const denied = (await smart.handle(new Request(`${APP}/callback?error=access_denied`, { headers: { accept: 'application/json' } })))!;
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: string }).error).toBe('authorization_denied');
    // Without error and without state it is still state_missing.
    expect(((await (await smart.handle(new Request(`${APP}/callback?code=abc`, { headers: { accept: 'application/json' } })))!.json()) as { error: string }).error).toBe('state_missing');
    expect(as.requests.filter((r) => r.path === '/token')).toHaveLength(0);
  });
});

describe('tenant-templated issuers (Oracle Health)', () => {
  const t = { origin: 'https://fhir-ehr.cerner.com', segments: ['r4', ':tenant'] };
  it.each([
    ['https://fhir-ehr.cerner.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d', true],
    ['https://fhir-ehr.cerner.com/r4/tenant_1.a~b', true],
    ['https://evil.example/r4/t1', false],
    ['https://fhir-ehr.cerner.com.evil.example/r4/t1', false],
    ['https://fhir-ehr.cerner.com@evil.example/r4/t1', false],
    ['https://evil.example@fhir-ehr.cerner.com/r4/t1', false],
    ['https://user:pw@fhir-ehr.cerner.com/r4/t1', false],
    ['http://fhir-ehr.cerner.com/r4/t1', false],
    ['https://fhir-ehr.cerner.com:8443/r4/t1', false],
    ['https://FHIR-EHR.cerner.com/r4/t1', false],
    ['https://fhir-ehr.cerner.com/r4/t1/extra', false],
    ['https://fhir-ehr.cerner.com/r4', false],
    ['https://fhir-ehr.cerner.com/r4/', false],
    ['https://fhir-ehr.cerner.com/dstu2/t1', false],
    ['https://fhir-ehr.cerner.com/r4/a%2Fb', false],
    ['https://fhir-ehr.cerner.com/r4/a%2fevil', false],
    ['https://fhir-ehr.cerner.com/r4/..', false],
    ['https://fhir-ehr.cerner.com/r4/%2e%2e', false],
    ['https://fhir-ehr.cerner.com/r4/t1/../../evil', false],
    ['https://fhir-ehr.cerner.com/r4\\t1', false],
    ['https://fhir-ehr.cerner.com/r4/t1?x=1', false],
    ['https://fhir-ehr.cerner.com/r4/t1#f', false],
  ])('%s matches: %s', (iss, ok) => {
    expect(matchesTemplate(t, iss)).toBe(ok);
  });

  it('one client config for all tenants; exact entries win; templates are validated at startup', () => {
    const cfg = resolveConfig({
      issuers: [
        { iss: 'https://fhir-ehr.cerner.com/r4/:tenant', clientId: 'all-tenants' },
        { iss: 'https://fhir-ehr.cerner.com/r4/special', clientId: 'special' },
      ],
      session: { secret },
    });
    expect(findIssuer(cfg, 'https://fhir-ehr.cerner.com/r4/t1')).toMatchObject({ iss: 'https://fhir-ehr.cerner.com/r4/t1', clientId: 'all-tenants', entry: 'https://fhir-ehr.cerner.com/r4/:tenant' });
    expect(findIssuer(cfg, 'https://fhir-ehr.cerner.com/r4/special')?.clientId).toBe('special');
    expect(findIssuer(cfg, 'https://fhir-ehr.cerner.com/r4/t1/x')).toBeUndefined();
    expect(cfg.defaultIss).toBe('https://fhir-ehr.cerner.com/r4/special');
    expect(() => resolveConfig({ issuers: [{ iss: 'https://fhir-ehr.cerner.com/r4/:tenant.x', clientId: 'a' }], session: { secret } })).toThrow(/whole path segments/);
    expect(() => resolveConfig({ issuers: [{ iss: 'http://fhir-ehr.cerner.com/r4/:tenant', clientId: 'a' }], session: { secret } })).toThrow(/https/);
  });

  it('a full launch, callback and refresh through a template; another host is refused before any request', async () => {
    const { smart } = make({ iss: `${as.url}/:tenant`, scope: 'launch/patient patient/*.rs' });
    const { res, cookie } = await login(smart, () => tokens({ expires_in: 30, scope: 'launch/patient patient/*.rs' }), `?iss=${encodeURIComponent(as.fhirBase)}&launch=L1`);
    expect(res.status).toBe(302);
    as.tokenResponse = async () => ({ status: 200, body: tokens({ access_token: 'AT-2', scope: 'launch/patient patient/*.rs' }) });
    const s = await context(smart, cookie);
    expect(s.context).toMatchObject({ accessToken: 'AT-2', serverUrl: as.fhirBase });
    as.requests.length = 0;
    const other = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(`${as.url.replace('127.0.0.1', 'localhost')}/fhir`)}&launch=L1`, { headers: { accept: 'application/json' } })))!;
    expect(other.status).toBe(403);
    const extra = (await smart.handle(new Request(`${APP}/launch?iss=${encodeURIComponent(`${as.fhirBase}/x`)}&launch=L1`, { headers: { accept: 'application/json' } })))!;
    expect(extra.status).toBe(403);
    expect(as.requests).toHaveLength(0);
  });
});

describe('SMART v1 servers', () => {
  it('v2 scopes become v1; constrained ones are left out; other scopes kept', () => {
    expect(toV1Scopes('launch openid fhirUser offline_access patient/*.rs user/Observation.cruds patient/Condition.c user/Patient.read patient/Observation.rs?category=vital-signs'))
      .toEqual({ scope: 'launch openid fhirUser offline_access patient/*.read user/Observation.* patient/Condition.write user/Patient.read profile', dropped: ['patient/Observation.rs?category=vital-signs'] });
  });

  it('a server advertising only permission-v1 gets v1 scopes (openid fhirUser kept); the granted v1 scopes work', async () => {
    const caps = (savedConfig.capabilities as string[]).filter((c) => !c.startsWith('permission-'));
    as.smartConfig = { ...savedConfig, capabilities: [...caps, 'permission-v1'] };
    const { smart } = make();
    const { res, cookie, authorize } = await login(smart, async (nonce) => tokens({ scope: 'launch/patient openid fhirUser offline_access patient/*.read', id_token: await as.signIdToken(claimsFor(nonce)) }));
    expect(authorize.searchParams.get('scope')).toBe('launch/patient openid fhirUser offline_access patient/*.read profile');
    expect(res.status).toBe(302);
    const s = await context(smart, cookie);
    expect(s.context!.can('read', 'Observation')).toBe(true);
    expect(s.context!.can('search', 'Observation')).toBe(true);
    // Both advertised, or scopeVersion 'v2': the configured v2 scopes.
    as.smartConfig = { ...savedConfig, capabilities: [...caps, 'permission-v1', 'permission-v2'] };
    expect((await login(smart, () => tokens())).authorize.searchParams.get('scope')).toContain('patient/*.rs');
    as.smartConfig = { ...savedConfig, capabilities: [...caps, 'permission-v1'] };
    expect((await login(make({ scopeVersion: 'v2' }).smart, () => tokens())).authorize.searchParams.get('scope')).toContain('patient/*.rs');
  });
});
