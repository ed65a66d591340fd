import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { createSmart, type Smart, type SmartConfig } from '../src/index.js';
import { startFakeAs, type FakeAs } from './fake-as.js';

const secret = 'protocol-test-secret-0123456789abcdef';
let as: FakeAs;
const APP = 'http://127.0.0.1:3999';

beforeAll(async () => {
  as = await startFakeAs();
});
afterAll(() => as.close());
beforeEach(() => {
  as.requests.length = 0;
});

function smartFor(issuer: Partial<SmartConfig['issuers'][number]> = {}, extra: Partial<SmartConfig> = {}): Smart {
  return createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET', ...issuer }], session: { secret }, ...extra });
}

function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

async function launch(smart: Smart, query = '') {
  const res = (await smart.handle(new Request(`${APP}/launch${query}`)))!;
  expect(res.status).toBe(302);
  const authorize = new URL(res.headers.get('location')!);
  return { res, authorize, params: authorize.searchParams, cookie: cookiesOf(res) };
}

async function callback(smart: Smart, cookie: string, params: Record<string, string>) {
  return (await smart.handle(new Request(`${APP}/callback?${new URLSearchParams(params)}`, { headers: { cookie, accept: 'application/json' } })))!;
}

describe('authorization request (SMART app-launch step 4)', () => {
  it('sends every required parameter, PKCE S256 and a high-entropy state', async () => {
    const { params, authorize } = await launch(smartFor());
    expect(authorize.origin + authorize.pathname).toBe(`${as.url}/authorize`);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('client_id')).toBe('app');
    expect(params.get('redirect_uri')).toBe(`${APP}/callback`);
    expect(params.get('aud')).toBe(as.fhirBase);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // >= 122 bits: 43 base64url chars = 256 bits.
    expect(params.get('state')!.length).toBeGreaterThanOrEqual(22);
    expect(params.get('nonce')).toBeTruthy();
    // Standalone: no launch parameter and no bare `launch` scope.
    expect(params.get('launch')).toBeNull();
    expect(params.get('scope')!.split(' ')).not.toContain('launch');
  });

  it('EHR launch: echoes launch verbatim and adds the launch scope', async () => {
    const { params } = await launch(smartFor({ scope: 'openid fhirUser patient/*.rs' }), `?iss=${encodeURIComponent(as.fhirBase)}&launch=xyz%2B1`);
    expect(params.get('launch')).toBe('xyz+1');
    expect(params.get('scope')!.split(' ')).toContain('launch');
  });

  it('states differ per launch, and each launch gets its own transaction cookie', async () => {
    const smart = smartFor();
    const a = await launch(smart);
    const b = await launch(smart);
    expect(a.params.get('state')).not.toBe(b.params.get('state'));
    expect(a.cookie.split('=')[0]).not.toBe(b.cookie.split('=')[0]);
  });

  it('POSTs the authorize request as an auto-submitted form when asked', async () => {
    const res = (await smartFor({ authorizeMethod: 'POST' }).handle(new Request(`${APP}/launch`)))!;
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`action="${as.url}/authorize"`);
    expect(html).toContain('name="code_challenge_method" value="S256"');
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /nonce-([A-Za-z0-9_-]+)/.exec(csp)![1];
    expect(html).toContain(`<script nonce="${nonce}">`);
  });

  it('refuses an EHR whose configuration lacks the needed capability', async () => {
    const saved = as.smartConfig;
    as.smartConfig = { ...saved, capabilities: ['launch-ehr'] };
    const smart = smartFor();
    const res = (await smart.handle(new Request(`${APP}/launch`, { headers: { accept: 'application/json' } })))!;
    as.smartConfig = saved;
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toBe('capability_missing');
  });

  it('refuses discovery that points to plain-http endpoints off loopback', async () => {
    const saved = as.smartConfig;
    as.smartConfig = { ...saved, token_endpoint: 'http://ehr.example.com/token' };
    const res = (await smartFor().handle(new Request(`${APP}/launch`, { headers: { accept: 'application/json' } })))!;
    as.smartConfig = saved;
    expect(((await res.json()) as { error: string }).error).toBe('insecure_endpoint');
  });
});

describe('callback and code exchange', () => {
  async function login(smart: Smart, tokenBody?: (form: URLSearchParams, nonce: string) => Promise<Record<string, unknown>>) {
    const { params, cookie } = await launch(smart);
    const nonce = params.get('nonce')!;
    const saved = as.tokenResponse;
    if (tokenBody) as.tokenResponse = async (form) => ({ status: 200, body: await tokenBody(form, nonce) });
    try {
      const res = await callback(smart, cookie, { code: 'CODE-1', state: params.get('state')!, iss: as.url });
      return { res, params, cookie };
    } finally {
      as.tokenResponse = saved;
    }
  }
  const good = async (_f: URLSearchParams, nonce: string) => ({
    access_token: 'AT-1', token_type: 'bearer', expires_in: '3600', scope: 'openid fhirUser patient/*.rs launch/patient ', patient: 'Patient/p1', refresh_token: 'RT-1',
    id_token: await as.signIdToken({ iss: as.url, aud: 'app', sub: 'u1', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000), nonce, fhirUser: 'Practitioner/pr1' }),
  });

  it('redeems the code with the PKCE verifier and the identical redirect_uri; validates the id_token', async () => {
    const smart = smartFor();
    const { res, params } = await login(smart, good);
    expect(res.status).toBe(302);
    const tokenReq = as.requests.find((r) => r.path === '/token')!;
    const form = new URLSearchParams(tokenReq.body);
    expect(form.get('grant_type')).toBe('authorization_code');
    expect(form.get('redirect_uri')).toBe(`${APP}/callback`);
    expect(form.get('client_id')).toBe('app');
    const challenge = createHash('sha256').update(form.get('code_verifier')!).digest('base64url');
    expect(challenge).toBe(params.get('code_challenge'));
    const cookie = cookiesOf(res);
    const s = await smart.session({ cookie, url: `${APP}/` });
    expect(s.context).toMatchObject({ patient: 'p1', accessToken: 'AT-1', fhirUser: `${as.fhirBase}/Practitioner/pr1`, scope: 'openid fhirUser patient/*.rs launch/patient', serverUrl: as.fhirBase });
    expect(s.context!.can('read', 'Observation')).toBe(true);
    // Nothing secret in the cookie in the clear.
    expect(cookie).not.toMatch(/AT-1|RT-1/);
  });

  it('rejects an id_token signed with a key not in the JWKS', async () => {
    const { res } = await login(smartFor(), async (f, nonce) => ({ ...(await good(f, nonce)), id_token: await as.signIdToken({ iss: as.url, aud: 'app', sub: 'u1', exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000), nonce }, { wrongKey: true }) }));
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: string }).error).toBe('id_token_invalid');
  });

  it('rejects an id_token with the wrong nonce, audience or issuer', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [
      { iss: as.url, aud: 'app', nonce: 'other' },
      { iss: as.url, aud: 'someone-else' },
      { iss: 'https://evil.example', aud: 'app' },
    ]) {
      const { res } = await login(smartFor(), async (f, nonce) => ({ ...(await good(f, nonce)), id_token: await as.signIdToken({ sub: 'u1', exp: now + 300, iat: now, nonce, ...claims }) }));
      expect(res.status).toBe(502);
      expect(res.headers.getSetCookie().some((c) => /^smart_session~[^=]+=[^;]/.test(c))).toBe(false);
    }
  });

  it('fails clearly when patient scopes were granted but no patient was named', async () => {
    const { res } = await login(smartFor(), async (f, nonce) => {
      const { patient: _p, ...rest } = await good(f, nonce);
      return rest;
    });
    expect(((await res.json()) as { error: string }).error).toBe('patient_missing');
  });

  it('RFC 9207: a callback iss that is not the authorization server is refused before the code is used', async () => {
    const smart = smartFor();
    const { params, cookie } = await launch(smart);
    const res = await callback(smart, cookie, { code: 'C', state: params.get('state')!, iss: as.fhirBase });
    expect(((await res.json()) as { error: string }).error).toBe('issuer_mismatch');
    expect(as.requests.some((r) => r.path === '/token')).toBe(false);
  });

  it('RFC 9207: iss is required when the server advertises it', async () => {
    const saved = as.smartConfig;
    as.smartConfig = { ...saved, authorization_response_iss_parameter_supported: true };
    const smart = smartFor();
    const { params, cookie } = await launch(smart);
    as.smartConfig = saved;
    const res = await callback(smart, cookie, { code: 'C', state: params.get('state')! });
    expect(((await res.json()) as { error: string }).error).toBe('issuer_mismatch');
  });

  it('redeems the code only at the token endpoint stored with the transaction (mix-up defence)', async () => {
    const smart = smartFor({}, { discoveryTtlSeconds: 0 });
    const { params, cookie } = await launch(smart);
    const saved = as.smartConfig;
    as.smartConfig = { ...saved, token_endpoint: `${as.url}/other-token` };
    try {
      await callback(smart, cookie, { code: 'C', state: params.get('state')!, iss: as.url });
    } finally {
      as.smartConfig = saved;
    }
    expect(as.requests.filter((r) => r.path === '/other-token')).toHaveLength(0);
    expect(as.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  });

  it('symmetric client: HTTP Basic with form-encoded credentials, no client_id in the body', async () => {
    const { res } = await login(smartFor({ clientId: 'my app/1', clientSecret: 's3cr=t/+' }), good);
    void res;
    const req = as.requests.find((r) => r.path === '/token')!;
    const basic = Buffer.from(String(req.headers.authorization).replace(/^Basic /, ''), 'base64').toString();
    expect(basic).toBe('my+app%2F1:s3cr%3Dt%2F%2B');
    expect(new URLSearchParams(req.body).get('client_secret')).toBeNull();
  });

  it('asymmetric client: a fresh RS384 assertion per request with typ, kid, aud = token endpoint, exp <= 5 min, unique jti', async () => {
    const { privateKey } = await generateKeyPair('RS384', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'my-key' };
    const smart = smartFor({ privateKey: jwk });
    await login(smart, good);
    await login(smart, good);
    const assertions = as.requests.filter((r) => r.path === '/token').map((r) => new URLSearchParams(r.body));
    expect(assertions).toHaveLength(2);
    for (const form of assertions) {
      expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(form.get('client_id')).toBeNull();
      const header = decodeProtectedHeader(form.get('client_assertion')!);
      expect(header).toMatchObject({ alg: 'RS384', kid: 'my-key', typ: 'JWT' });
      const claims = decodeJwt(form.get('client_assertion')!);
      expect(claims).toMatchObject({ iss: 'app', sub: 'app', aud: `${as.url}/token` });
      expect(claims.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(300);
    }
    expect(decodeJwt(assertions[0]!.get('client_assertion')!).jti).not.toBe(decodeJwt(assertions[1]!.get('client_assertion')!).jti);
  });

  it('OAuth error responses become typed errors with escaped text', async () => {
    const smart = smartFor();
    const { params, cookie } = await launch(smart);
    const res = (await smart.handle(new Request(`${APP}/callback?state=${params.get('state')}&error=access_denied&error_description=${encodeURIComponent('<img src=x onerror=alert(1)>')}`, { headers: { cookie } })))!;
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('authorization_denied');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('session cookies', () => {
  it('are Secure outside loopback http and SameSite=None when configured for iframes', async () => {
    const smart = createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET' }], session: { secret, sameSite: 'none' } });
    const res = (await smart.handle(new Request('https://app.example.com/launch')))!;
    const c = res.headers.getSetCookie()[0]!;
    expect(c).toMatch(/; Secure/);
    expect(c).toMatch(/SameSite=None/);
    expect(c).toMatch(/HttpOnly/);
    const local = (await smartFor().handle(new Request(`${APP}/launch`)))!;
    expect(local.headers.getSetCookie()[0]).not.toMatch(/Secure/);
  });
});
