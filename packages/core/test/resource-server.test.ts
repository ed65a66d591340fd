import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { BearerError, bearerErrorResponse, createResourceServer, extractBearer, wwwAuthenticate, type Introspector, type ResourceServer } from '../src/resource-server/index.js';
import { ConfigError } from '../src/index.js';
import { createBackendClient, importSigningKey, signClientAssertion } from '../src/backend/index.js';
import { parseScopes } from '../src/fhir/index.js';

const API = 'https://api.example.com';
let sandbox: Sandbox;
let jwksServer: Server;
let jwksUri: string;
let issuerKey: CryptoKey;
let rogueKey: CryptoKey;
const KID = 'as-key-1';
const ISSUER = 'https://as.example.com';

const req = (auth?: string, url = `${API}/patients`) => new Request(url, auth ? { headers: { authorization: auth } } : {});

async function caught(p: Promise<unknown>): Promise<{ status: number; challenge: string | null; body: Record<string, unknown> }> {
  const res = bearerErrorResponse(await p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e));
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  const pair = await generateKeyPair('ES384', { extractable: true });
  issuerKey = pair.privateKey;
  rogueKey = (await generateKeyPair('ES384')).privateKey;
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'ES384', use: 'sig' };
  jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(async () => {
  jwksServer?.closeAllConnections();
  await Promise.all([sandbox?.stop(), new Promise((r) => jwksServer?.close(r))]);
});

describe('RFC 6750 helpers', () => {
  it('wwwAuthenticate quotes values; no error code without credentials', () => {
    expect(wwwAuthenticate({ realm: 'fhir' })).toBe('Bearer realm="fhir"');
    expect(wwwAuthenticate({ error: 'insufficient_scope', scope: ['a/b.r', 'x"y'] })).toBe('Bearer realm="api", error="insufficient_scope", scope="a/b.r x\\"y"');
  });
  it('extractBearer: header only; malformed header and tokens in the URL are 400', () => {
    expect(extractBearer(req('Bearer abc.def-_~+/=='))).toBe('abc.def-_~+/==');
    expect(extractBearer(req('bearer abc'))).toBe('abc');
    expect(extractBearer(req())).toBeUndefined();
    expect(extractBearer(req('Basic dXNlcjpwYXNz'))).toBeUndefined();
    expect(() => extractBearer(req('Bearer a b'))).toThrow(BearerError);
    expect(() => extractBearer(req('Bearer'))).toThrow(BearerError);
    expect(() => extractBearer(req(undefined, `${API}/x?access_token=abc`))).toThrow(/URL/);
  });
});

describe('resource server with introspection (sandbox)', () => {
  let rs: ResourceServer;
  let token: string;
  beforeAll(async () => {
    rs = createResourceServer({ iss: sandbox.fhirBaseUrl, introspection: { clientId: 'demo-backend', privateKey: demoKeys.rs384 } });
    token = await createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope: 'system/*.rs' }).getAccessToken();
  });

  it('an active token: its context; v1/v2 scope checks', async () => {
    const ctx = await rs.authorize(req(`Bearer ${token}`), ['system/Observation.rs', 'system/Patient.read']);
    expect(ctx).toMatchObject({ active: true, source: 'introspection', clientId: 'demo-backend', scope: 'system/*.rs' });
    expect(ctx.accessToken).toBe(token);
    expect(ctx.can('search', 'Observation')).toBe(true);
    // The token itself stays out of JSON (logs).
    expect(JSON.stringify(ctx)).not.toContain(token);
  });

  it('no token -> 401 with a bare challenge', async () => {
    const r = await caught(rs.verify(req()));
    expect(r.status).toBe(401);
    expect(r.challenge).toBe('Bearer realm="api"');
  });

  it('an unknown token -> 401 invalid_token', async () => {
    const r = await caught(rs.verify(req('Bearer not-a-real-token')));
    expect(r.status).toBe(401);
    expect(r.challenge).toContain('error="invalid_token"');
    expect(r.body.error).toBe('invalid_token');
  });

  it('a revoked token (introspection active:false) -> 401', async () => {
    const revoked = await createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope: 'system/Patient.rs' }).getAccessToken();
    await rs.verify(req(`Bearer ${revoked}`));
    const assertion = await signClientAssertion(await importSigningKey(demoKeys.es384), 'demo-backend', `${sandbox.origin}/oidc/token`);
    await fetch(`${sandbox.origin}/oidc/revoke`, { method: 'POST', body: new URLSearchParams({ token: revoked, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
    const r = await caught(rs.verify(req(`Bearer ${revoked}`)));
    expect(r.status).toBe(401);
    expect(r.challenge).toContain('invalid_token');
  });

  it('insufficient scope -> 403 insufficient_scope naming the missing scope', async () => {
    const r = await caught(rs.authorize(req(`Bearer ${token}`), 'system/Observation.c'));
    expect(r.status).toBe(403);
    expect(r.challenge).toContain('error="insufficient_scope"');
    expect(r.challenge).toContain('scope="system/Observation.c"');
    expect(r.body).toMatchObject({ error: 'insufficient_scope', missing: ['system/Observation.c'] });
  });

  it('the introspection endpoint unreachable -> 503, never let through', async () => {
    const down = createResourceServer({ introspection: { endpoint: 'http://127.0.0.1:9/introspect', clientId: 'x', clientSecret: 'y' }, timeoutMs: 1000 });
    const r = await caught(down.verify(req(`Bearer ${token}`)));
    expect(r.status).toBe(503);
    expect(r.challenge).toBeNull();
  });

  it('an active token whose aud is another API -> 401', async () => {
    const fake: Introspector = { introspect: async () => ({ active: true, scope: 'system/*.rs', scopes: parseScopes('system/*.rs'), aud: ['https://other.example'], fhirContext: [], claims: {} }) };
    const guarded = createResourceServer({ introspection: fake, audience: API });
    expect((await caught(guarded.verify(req('Bearer x')))).status).toBe(401);
    const open = createResourceServer({ introspection: fake, audience: 'https://other.example' });
    expect((await open.verify(req('Bearer x'))).active).toBe(true);
  });

  it('an introspection answer with an exp in the past -> 401', async () => {
    const fake: Introspector = { introspect: async () => ({ active: true, scope: '', scopes: parseScopes(''), exp: 1000, fhirContext: [], claims: {} }) };
    expect((await caught(createResourceServer({ introspection: fake }).verify(req('Bearer x')))).status).toBe(401);
  });
});

describe('resource server with JWT access tokens (RFC 9068) against the issuer JWKS', () => {
  const rs = () => createResourceServer({ audience: API, jwt: { issuer: ISSUER, jwksUri } });
  const mint = (claims: Record<string, unknown> = {}, key: CryptoKey = issuerKey, kid = KID) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: ISSUER, aud: API, sub: 'user-1', iat: now, exp: now + 300, scope: 'patient/Observation.rs launch/patient', client_id: 'app', patient: 'Patient/p9', ...claims })
      .setProtectedHeader({ alg: 'ES384', kid, typ: 'at+jwt' })
      .sign(key);
  };

  it('a valid token: context from the claims', async () => {
    const ctx = await rs().authorize(req(`Bearer ${await mint()}`), 'patient/Observation.r');
    expect(ctx).toMatchObject({ source: 'jwt', clientId: 'app', patient: 'p9', sub: 'user-1' });
  });

  it('wrong issuer, wrong audience, wrong signature, expired -> 401 invalid_token', async () => {
    const cases = [
      await mint({ iss: 'https://evil.example' }),
      await mint({ aud: 'https://other-api.example' }),
      await mint({}, rogueKey),
      await mint({ exp: Math.floor(Date.now() / 1000) - 3600 }),
    ];
    for (const t of cases) {
      const r = await caught(rs().verify(req(`Bearer ${t}`)));
      expect(r.status).toBe(401);
      expect(r.challenge).toContain('error="invalid_token"');
    }
  });

  it('unsigned (alg none) and HS256 tokens -> 401', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const payload = { iss: ISSUER, aud: API, exp: Math.floor(Date.now() / 1000) + 300, scope: 'patient/*.rs' };
    const none = `${b64({ alg: 'none', kid: KID })}.${b64(payload)}.`;
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: KID }).sign(new TextEncoder().encode('x'.repeat(32)));
    for (const t of [none, hs, 'opaque-token']) expect((await caught(rs().verify(req(`Bearer ${t}`)))).status).toBe(401);
  });

  it('typ: at+jwt can be required (RFC 9068 4)', async () => {
    const strict = createResourceServer({ audience: API, jwt: { issuer: ISSUER, jwksUri, typ: 'at+jwt' } });
    expect((await strict.verify(req(`Bearer ${await mint()}`))).active).toBe(true);
    const now = Math.floor(Date.now() / 1000);
    const plainJwt = await new SignJWT({ iss: ISSUER, aud: API, exp: now + 300, scope: 'patient/*.rs' }).setProtectedHeader({ alg: 'ES384', kid: KID, typ: 'JWT' }).sign(issuerKey);
    expect((await caught(strict.verify(req(`Bearer ${plainJwt}`)))).status).toBe(401);
    expect((await rs().verify(req(`Bearer ${plainJwt}`))).active).toBe(true);
  });

  it('insufficient scope -> 403', async () => {
    const r = await caught(rs().authorize(req(`Bearer ${await mint()}`), 'patient/Observation.c'));
    expect(r.status).toBe(403);
  });

  it('JWKS unreachable -> 503 (fail closed)', async () => {
    const broken = createResourceServer({ audience: API, jwt: { issuer: ISSUER, jwksUri: 'http://127.0.0.1:9/jwks' }, timeoutMs: 1000 });
    expect((await caught(broken.verify(req(`Bearer ${await mint()}`)))).status).toBe(503);
  });

  it('config: exactly one mode, audience required for jwt, asymmetric algorithms only', () => {
    expect(() => createResourceServer({ audience: API })).toThrow(ConfigError);
    expect(() => createResourceServer({ jwt: { issuer: ISSUER, jwksUri } })).toThrow(/audience/);
    expect(() => createResourceServer({ audience: API, jwt: { issuer: ISSUER, jwksUri, algorithms: ['HS256'] } })).toThrow(/asymmetric/);
    expect(() => createResourceServer({ audience: API, jwt: true })).toThrow(/iss/);
  });
});
