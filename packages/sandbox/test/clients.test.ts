import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, type Sandbox, startSandbox } from '../src/index.js';
import { assertion, authorize, basic, fhirGet, publicLogin, REDIRECT_URI, token } from './helpers.js';

let sandbox: Sandbox;
let tokenUrl: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  tokenUrl = `${sandbox.origin}/oidc/token`;
});
afterAll(async () => { await sandbox.stop(); });

async function codeFor(clientId: string, scope = 'launch/patient openid fhirUser offline_access patient/*.rs') {
  const a = await authorize(sandbox, { clientId, scope });
  return { grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI };
}

describe('confidential symmetric client (client_secret_basic)', () => {
  it('exchanges a code with HTTP Basic auth', async () => {
    const t = await token(sandbox.origin, await codeFor('demo-symmetric'), basic('demo-symmetric', 'demo-secret'));
    expect(t.status).toBe(200);
    expect(t.body.patient).toBe('p1');
  });

  it('rejects a wrong client secret', async () => {
    const t = await token(sandbox.origin, await codeFor('demo-symmetric'), basic('demo-symmetric', 'wrong'));
    expect(t.status).toBe(401);
    expect(t.body.error).toBe('invalid_client');
  });
});

describe('confidential asymmetric client (private_key_jwt)', () => {
  for (const key of ['rs384', 'es384'] as const) {
    it(`exchanges a code with an ${key.toUpperCase()} assertion`, async () => {
      const t = await token(sandbox.origin, { ...(await codeFor('demo-asymmetric')), ...(await assertion('demo-asymmetric', tokenUrl, demoKeys[key])) });
      expect(t.status).toBe(200);
      expect(t.body.access_token).toBeTypeOf('string');
    });
  }

  it('rejects an assertion signed with a key that is not registered', async () => {
    const { privateKey } = await generateKeyPair('RS384', { extractable: true });
    const rogue = { ...(await exportJWK(privateKey)), alg: 'RS384', kid: demoKeys.rs384.kid };
    const t = await token(sandbox.origin, { ...(await codeFor('demo-asymmetric')), ...(await assertion('demo-asymmetric', tokenUrl, rogue)) });
    expect(t.status).toBe(401);
    expect(t.body.error).toBe('invalid_client');
  });
});

describe('refresh tokens', () => {
  it('rotates: the new refresh token works, the old one is rejected, context is kept', async () => {
    const first = await publicLogin(sandbox, 'launch/patient offline_access patient/*.rs');
    const r1 = await token(sandbox.origin, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: 'demo-public' });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(r1.body.patient).toBe('p1');
    const again = await token(sandbox.origin, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: 'demo-public' });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('revokeRefreshTokens() destroys stored refresh tokens', async () => {
    const t = await publicLogin(sandbox, 'launch/patient offline_access patient/*.rs');
    expect(await sandbox.revokeRefreshTokens('demo-public')).toBeGreaterThan(0);
    const r = await token(sandbox.origin, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: 'demo-public' });
    expect(r.body.error).toBe('invalid_grant');
  });
});

describe('backend services (client_credentials)', () => {
  it('issues a system token that searches across patients', async () => {
    const t = await token(sandbox.origin, {
      grant_type: 'client_credentials', scope: 'system/*.rs', ...(await assertion('demo-backend', tokenUrl, demoKeys.es384)),
    });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.rs', expires_in: 300 });
    expect(t.body.refresh_token).toBeUndefined();
    const search = await fhirGet(`${sandbox.fhirBaseUrl}/Patient`, t.body.access_token);
    expect(search.status).toBe(200);
    expect(search.body.total).toBeGreaterThanOrEqual(5);
  });

  it('is refused to clients without the grant', async () => {
    const t = await token(sandbox.origin, {
      grant_type: 'client_credentials', scope: 'system/*.rs', ...(await assertion('demo-asymmetric', tokenUrl, demoKeys.rs384)),
    });
    expect(t.status, JSON.stringify(t.body)).toBe(400);
    // oidc-provider answers invalid_request ("requested grant type is not allowed for this client").
    expect(['unauthorized_client', 'invalid_request']).toContain(t.body.error);
  });
});

describe('dynamic client registration (RFC 7591)', () => {
  it('registers a public client, which can then launch', async () => {
    const res = await fetch(`${sandbox.origin}/oidc/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], client_name: 'Registered public' }),
    });
    expect(res.status).toBe(201);
    const client = (await res.json()) as Record<string, any>;
    const a = await authorize(sandbox, { clientId: client.client_id, scope: 'launch/patient patient/*.rs' });
    const t = await token(sandbox.origin, { grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, client_id: client.client_id });
    expect(t.status).toBe(200);
    expect(t.body.patient).toBe('p1');
  });

  it('registers a private_key_jwt client with inline jwks', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const pub = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES384' };
    const res = await fetch(`${sandbox.origin}/oidc/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [pub] }, grant_types: ['authorization_code'], response_types: ['code'] }),
    });
    expect(res.status).toBe(201);
    const client = (await res.json()) as Record<string, any>;
    const a = await authorize(sandbox, { clientId: client.client_id, scope: 'user/*.rs openid fhirUser' });
    const priv = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES384' };
    const t = await token(sandbox.origin, {
      grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, ...(await assertion(client.client_id, tokenUrl, priv)),
    });
    expect(t.status).toBe(200);
    expect(t.body.scope).toContain('user/*.rs');
  });
});

describe('introspection (RFC 7662) and revocation (RFC 7009)', () => {
  it('reports an active token with SMART context, then inactive after revocation', async () => {
    const t = await token(sandbox.origin, await codeFor('demo-symmetric'), basic('demo-symmetric', 'demo-secret'));
    const introspect = async () => {
      const res = await fetch(`${sandbox.origin}/oidc/introspect`, { method: 'POST', headers: basic('demo-symmetric', 'demo-secret'), body: new URLSearchParams({ token: t.body.access_token }) });
      return (await res.json()) as Record<string, any>;
    };
    const active = await introspect();
    expect(active).toMatchObject({
      active: true, client_id: 'demo-symmetric', patient: 'p1', iss: sandbox.issuer, sub: 'Practitioner/pr1',
      fhirUser: `${sandbox.fhirBaseUrl}/Practitioner/pr1`,
    });
    expect(active.scope).toContain('patient/*.rs');
    expect(active.exp).toBeTypeOf('number');
    const revoke = await fetch(`${sandbox.origin}/oidc/revoke`, { method: 'POST', headers: basic('demo-symmetric', 'demo-secret'), body: new URLSearchParams({ token: t.body.access_token }) });
    expect(revoke.status).toBe(200);
    expect(await introspect()).toEqual({ active: false });
    expect((await fhirGet(`${sandbox.fhirBaseUrl}/Patient/p1`, t.body.access_token)).status).toBe(401);
  });
});
