/** client_secret_post (RFC 6749 2.3.1): a registration's method is kept and used by launches. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmart, type SmartIssuerConfig } from '../src/index.js';
import { issuerConfigFrom, type RegisteredClient } from '../src/registration/index.js';
import { FAKE_APP, fakeLogin, startFakeAs, type FakeAs } from './fake-as.js';

let as: FakeAs;
beforeAll(async () => {
  as = await startFakeAs();
  as.smartConfig = { ...as.smartConfig, token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'] };
});
afterAll(() => as.close());

const make = (issuer: Partial<SmartIssuerConfig>) =>
  createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'post-app', clientSecret: 's3cret-value', authorizeMethod: 'GET', scope: 'launch/patient patient/*.rs', ...issuer }], session: { secret: 'client-secret-post-test-0123456789abcdef' } });

describe('client_secret_post', () => {
  it('a client_secret_post registration becomes an issuer that sends the secret in the body', () => {
    const client = { iss: as.fhirBase, clientId: 'post-app', clientSecret: 's3cret-value', tokenEndpointAuthMethod: 'client_secret_post', metadata: {} } as unknown as RegisteredClient;
    expect(issuerConfigFrom(client)).toMatchObject({ clientSecret: 's3cret-value', tokenEndpointAuthMethod: 'client_secret_post' });
  });

  it('the code exchange carries client_id and client_secret in the form, no Authorization header', async () => {
    as.requests.length = 0;
    expect(await fakeLogin(make({ tokenEndpointAuthMethod: 'client_secret_post' }), as)).toContain('smart_session');
    const token = as.requests.find((r) => r.path === '/token')!;
    const form = new URLSearchParams(token.body);
    expect(form.get('client_id')).toBe('post-app');
    expect(form.get('client_secret')).toBe('s3cret-value');
    expect(token.headers.authorization).toBeUndefined();
  });

  it('client_secret_basic (the default) against a server that lists only client_secret_post: capability_missing naming the fix', async () => {
    const res = (await make({}).handle(new Request(`${FAKE_APP}/launch`, { headers: { accept: 'application/json' } })))!;
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('capability_missing');
    expect(body.message).toContain('tokenEndpointAuthMethod');
  });

  it('refuses tokenEndpointAuthMethod without a clientSecret', () => {
    expect(() => make({ clientSecret: undefined, tokenEndpointAuthMethod: 'client_secret_post' })).toThrow(/tokenEndpointAuthMethod/);
  });
});
