import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient } from '@smart-launch/core/backend';
import { jwksRoute, tokenGuard } from './token.js';

let sandbox: Sandbox;
let token: string;
let narrow: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  const backend = (scope: string) => createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope }).getAccessToken();
  [token, narrow] = await Promise.all([backend('system/*.rs'), backend('system/Patient.rs')]);
});
afterAll(() => sandbox?.stop());

describe('Next.js Route Handler protected with SMART access tokens', () => {
  const api = () => tokenGuard({ iss: sandbox.fhirBaseUrl, introspection: { clientId: 'demo-backend', privateKey: demoKeys.rs384 } });
  const GET = () => api().withToken((_req, t, ctx: { params: Promise<{ id: string }> }) => ctx.params.then((p) => Response.json({ client: t.clientId, id: p.id })), { scopes: 'system/Observation.rs' });
  const call = (auth?: string) => GET()(new Request('http://localhost/api/obs/1', auth ? { headers: { authorization: `Bearer ${auth}` } } : {}), { params: Promise.resolve({ id: '1' }) });

  it('200 with a valid token', async () => {
    const res = await call(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client: 'demo-backend', id: '1' });
  });

  it('401 without a token and with an invalid one', async () => {
    const none = await call();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const bad = await call('nope');
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('403 insufficient_scope', async () => {
    const res = await call(narrow);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('scope="system/Observation.rs"');
  });

  it('jwksRoute serves public keys only', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const res = await jwksRoute([{ ...privateKey.export({ format: 'jwk' }), kid: 'k' }]).GET();
    expect(res.headers.get('cache-control')).toMatch(/max-age/);
    const key = ((await res.json()) as { keys: Record<string, unknown>[] }).keys[0]!;
    expect(key).toMatchObject({ kid: 'k', kty: 'RSA', alg: 'RS384' });
    for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(m);
  });
});
