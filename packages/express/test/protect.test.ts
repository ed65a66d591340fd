import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import express5 from 'express';
// @ts-expect-error -- the aliased Express 4 package has no bundled types; it shares Express 5's API here.
import express4 from 'express4';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient, importSigningKey, signClientAssertion } from '@smart-launch/core/backend';
import { type TokenContext } from '@smart-launch/core/resource-server';
import { jwks, requireToken, requireTokenScopes } from '../src/index.js';

let sandbox: Sandbox;
let token: string;
let narrow: string;
type JWK = Record<string, unknown>;
let appKey: JWK;
const backend = (scope: string) => createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope });

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  token = await backend('system/*.rs').getAccessToken();
  narrow = await backend('system/Patient.rs').getAccessToken();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  appKey = { ...privateKey.export({ format: 'jwk' }), kid: 'app-key' };
});
afterAll(() => sandbox?.stop());

describe.each([
  ['Express 5', express5 as typeof express5],
  ['Express 4', express4 as typeof express5],
])('%s: an API protected with SMART access tokens', (_name, express) => {
  let server: Server;
  let base: string;
  const get = (path: string, auth?: string) => fetch(`${base}${path}`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});

  beforeAll(async () => {
    const app = express();
    app.get('/.well-known/jwks.json', jwks([appKey], { maxAge: 120 }));
    app.use('/api', requireToken({ iss: sandbox.fhirBaseUrl, introspection: { clientId: 'demo-backend', privateKey: demoKeys.rs384 }, scopes: 'system/Patient.rs' }));
    app.get('/api/patients', (req, res) => {
      expectTypeOf(req.smartToken).toEqualTypeOf<TokenContext | undefined>();
      res.json({ client: req.smartToken!.clientId, scope: req.smartToken!.scope });
    });
    app.get('/api/observations', requireTokenScopes('system/Observation.rs'), (_req, res) => {
      res.json({ ok: true });
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('200 with a valid token, its context on req.smartToken', async () => {
    const res = await get('/api/patients', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client: 'demo-backend', scope: 'system/*.rs' });
  });

  it('401 without a token (bare challenge) and with an invalid one (invalid_token)', async () => {
    const none = await get('/api/patients');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const bad = await get('/api/patients', 'forged-token');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(bad.headers.get('cache-control')).toBe('no-store');
  });

  it('401 for a revoked token (introspection says active:false)', async () => {
    const t = await backend('system/Patient.rs system/Observation.rs').getAccessToken();
    expect((await get('/api/patients', t)).status).toBe(200);
    const assertion = await signClientAssertion(await importSigningKey(demoKeys.es384), 'demo-backend', `${sandbox.origin}/oidc/token`);
    await fetch(`${sandbox.origin}/oidc/revoke`, { method: 'POST', body: new URLSearchParams({ token: t, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }) });
    expect((await get('/api/patients', t)).status).toBe(401);
  });

  it('403 insufficient_scope from the route requirement, with the missing scope', async () => {
    expect((await get('/api/observations', token)).status).toBe(200);
    const res = await get('/api/observations', narrow);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope", error_description="The access token lacks a required scope", scope="system/Observation.rs"');
    expect(await res.json()).toMatchObject({ error: 'insufficient_scope', missing: ['system/Observation.rs'] });
  });

  it('400 for a token in the URL, even a valid one', async () => {
    const res = await fetch(`${base}/api/patients?access_token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toContain('invalid_request');
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('serves the app JWKS: public members only, Cache-Control', async () => {
    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=120');
    const body = (await res.json()) as { keys: JWK[] };
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatchObject({ kid: 'app-key', kty: 'EC', crv: 'P-384', alg: 'ES384', use: 'sig' });
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(body.keys[0]).not.toHaveProperty(m);
  });
});
