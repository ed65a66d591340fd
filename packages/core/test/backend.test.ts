import { createPrivateKey } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient, importSigningKey, signClientAssertion, type BackendToken } from '../src/backend/index.js';
import { TokenError, ConfigError } from '../src/index.js';

let sandbox: Sandbox;
let other: Sandbox;
let tokenEndpoint: string;

/** fetch that records the token requests' form bodies (to inspect the assertions). */
function recordingFetch() {
  const bodies: URLSearchParams[] = [];
  const f: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.endsWith('/oidc/token') && init?.body) bodies.push(new URLSearchParams(String(init.body)));
    return fetch(input, init);
  };
  return { fetch: f, bodies };
}

const demo = (extra: Partial<Parameters<typeof createBackendClient>[0]> = {}) =>
  createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope: 'system/*.rs', ...extra });

beforeAll(async () => {
  [sandbox, other] = await Promise.all([
    startSandbox({ port: 0, autoApprove: true, quiet: true }),
    // Short-lived tokens, for the expiry test.
    startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 3 }),
  ]);
  tokenEndpoint = `${sandbox.origin}/oidc/token`;
});
afterAll(async () => {
  await Promise.all([sandbox?.stop(), other?.stop()]);
});

describe('client_credentials token (SMART Backend Services step 3)', () => {
  for (const [name, key] of [['RS384', demoKeys.rs384], ['ES384', demoKeys.es384]] as const) {
    it(`gets a system token with a fresh ${name} assertion per request`, async () => {
      const rec = recordingFetch();
      const client = demo({ privateKey: key, fetch: rec.fetch });
      const t1 = await client.token();
      const t2 = await client.token({ forceRefresh: true });
      expect(t1.scope).toBe('system/*.rs');
      expect(t1.tokenType.toLowerCase()).toBe('bearer');
      expect(t1.expiresAt).toBeGreaterThan(Date.now() / 1000);
      expect(t2.accessToken).not.toBe(t1.accessToken);
      expect(rec.bodies).toHaveLength(2);
      const jtis = new Set<string>();
      for (const body of rec.bodies) {
        expect(body.get('grant_type')).toBe('client_credentials');
        expect(body.get('scope')).toBe('system/*.rs');
        expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        // Confidential clients leave client_id out of the body (RFC 7523 section 3, SMART client-confidential-asymmetric).
        expect(body.get('client_id')).toBeNull();
        const jwt = body.get('client_assertion')!;
        const header = decodeProtectedHeader(jwt);
        expect(header).toMatchObject({ alg: name, kid: key.kid, typ: 'JWT' });
        const claims = decodeJwt(jwt);
        expect(claims).toMatchObject({ iss: 'demo-backend', sub: 'demo-backend', aud: tokenEndpoint });
        expect(claims.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(300);
        expect(typeof claims.jti).toBe('string');
        jtis.add(claims.jti!);
      }
      expect(jtis.size).toBe(2);
    });
  }

  it('caches the token until shortly before expiry, then gets a new one', async () => {
    other.resetStats();
    const client = demo({ iss: other.fhirBaseUrl, refreshSkewSeconds: 1 });
    const a = await client.token();
    const b = await client.token();
    expect(b.accessToken).toBe(a.accessToken);
    expect(other.stats().token.client_credentials).toBe(1);
    // The sandbox issues 3 s tokens here; with a 1 s skew the cache serves them for ~2 s.
    await new Promise((r) => setTimeout(r, 2100));
    const c = await client.token();
    expect(c.accessToken).not.toBe(a.accessToken);
    expect(other.stats().token.client_credentials).toBe(2);
  });

  it('single-flight: concurrent callers share one token request', async () => {
    sandbox.resetStats();
    const client = demo();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => client.getAccessToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(sandbox.stats().token.client_credentials).toBe(1);
  });

  it('cache is keyed by scope: another scope gets its own token', async () => {
    sandbox.resetStats();
    const client = demo();
    const all = await client.token();
    const patients = await client.token({ scope: 'system/Patient.rs' });
    expect(patients.accessToken).not.toBe(all.accessToken);
    expect(patients.scope).toBe('system/Patient.rs');
    expect((await client.token()).accessToken).toBe(all.accessToken);
    expect(sandbox.stats().token.client_credentials).toBe(2);
  });

  it('cache is keyed by token endpoint and client_id: a shared cache never hands one server\'s token to another', async () => {
    const map = new Map<string, BackendToken>();
    const cache = { get: (k: string) => map.get(k), set: (k: string, t: BackendToken) => void map.set(k, t), delete: (k: string) => void map.delete(k) };
    const a = demo({ cache });
    const b = createBackendClient({ iss: other.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.es384, scope: 'system/*.rs', cache });
    const ta = await a.token();
    const tb = await b.token();
    expect(tb.accessToken).not.toBe(ta.accessToken);
    expect(tb.tokenEndpoint).toBe(`${other.origin}/oidc/token`);
    expect(map.size).toBe(2);
    // The token works only where it came from.
    expect((await b.fhir.read('Patient', 'p1')).id).toBe('p1');
    // Same endpoint and scope but another client_id: a different cache entry, not a hit.
    const c = demo({ cache, clientId: 'someone-else' });
    await expect(c.token()).rejects.toBeInstanceOf(TokenError);
    expect(map.size).toBe(2);
  });

  it('an assertion signed with a key the server does not know is rejected (invalid_client)', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const rogue = { ...(await exportJWK(privateKey)), kid: demoKeys.es384.kid, alg: 'ES384' };
    const rec = recordingFetch();
    const client = demo({ privateKey: rogue, fetch: rec.fetch });
    const err = (await client.token().catch((e: unknown) => e)) as TokenError;
    expect(err).toBeInstanceOf(TokenError);
    expect(err.oauth?.error).toBe('invalid_client');
    // No assertion or key material in the error.
    const assertion = rec.bodies[0]!.get('client_assertion')!;
    expect(JSON.stringify(err.toJSON())).not.toContain(assertion.slice(-20));
    expect(err.message).not.toContain(String(rogue.d));
    // Nothing was cached: the next call asks again.
    await expect(client.token()).rejects.toBeInstanceOf(TokenError);
    expect(rec.bodies).toHaveLength(2);
  });

  it('surfaces invalid_scope for a scope the client may not have', async () => {
    const err = (await demo({ scope: 'patient/*.rs' }).token().catch((e: unknown) => e)) as TokenError;
    expect(err).toBeInstanceOf(TokenError);
    expect(err.oauth?.error).toMatch(/invalid_scope|invalid_request/);
  });

  it('works with tokenEndpoint + fhirBaseUrl instead of discovery, with a PEM key', async () => {
    const pem = createPrivateKey({ key: demoKeys.rs384 as never, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string;
    const key = await importSigningKey(pem);
    const client = createBackendClient({ tokenEndpoint, fhirBaseUrl: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: pem, scope: 'system/Patient.rs' });
    expect(key.alg).toBe('RS384');
    // A PEM has no kid: the thumbprint is used, which the sandbox doesn't know -> invalid_client.
    await expect(client.token()).rejects.toBeInstanceOf(TokenError);
    const withKid = createBackendClient({ tokenEndpoint, fhirBaseUrl: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.rs384, scope: 'system/Patient.rs' });
    expect((await withKid.fhir.read('Patient', 'p2')).id).toBe('p2');
  });
});

describe('FHIR client of a backend client', () => {
  it('reads and searches across all patients with paging', async () => {
    const client = demo();
    const patients = await client.fhir.searchAll('Patient', { _count: 2 });
    expect(patients.map((p) => p.id).sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    const obs = await client.fhir.search('Observation', { patient: 'p3', _count: 1 });
    expect(obs.entry).toHaveLength(1);
    expect(obs.link?.some((l) => l.relation === 'next')).toBe(true);
  });

  it('a revoked token (401) is replaced once and the request retried', async () => {
    sandbox.resetStats();
    const client = demo();
    const first = await client.getAccessToken();
    // Revoke it as the client itself (RFC 7009).
    const assertion = await signClientAssertion(await importSigningKey(demoKeys.es384), 'demo-backend', tokenEndpoint);
    const res = await fetch(`${sandbox.origin}/oidc/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: first, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
    });
    expect(res.status).toBe(200);
    const p = await client.fhir.read('Patient', 'p4');
    expect(p.id).toBe('p4');
    expect(await client.getAccessToken()).not.toBe(first);
    expect(sandbox.stats().token.client_credentials).toBe(2);
  });
});

describe('configuration is validated when the client is created', () => {
  it('refuses missing keys, both iss and tokenEndpoint, http off loopback, an empty scope', () => {
    const base = { clientId: 'x', scope: 'system/*.rs' };
    expect(() => createBackendClient({ ...base, iss: 'https://ehr.example/fhir' })).toThrow(/privateKey/);
    expect(() => createBackendClient({ ...base, privateKey: demoKeys.es384, iss: 'https://a/fhir', tokenEndpoint: 'https://a/token' })).toThrow(/exactly one/);
    expect(() => createBackendClient({ ...base, privateKey: demoKeys.es384, iss: 'http://ehr.example/fhir' })).toThrow(/https/);
    expect(() => createBackendClient({ ...base, privateKey: demoKeys.es384, iss: 'https://a/fhir', scope: ' ' })).toThrow(ConfigError);
    expect(() => createBackendClient({ ...base, privateKey: demoKeys.es384, jwks: { keys: [demoKeys.es384] }, iss: 'https://a/fhir' })).toThrow(/not both/);
  });

  it('a bad key fails with a ConfigError that does not quote the key', async () => {
    const client = createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', scope: 'system/*.rs', privateKey: '{"kty":"RSA","d":"c2VjcmV0LWtleS1tYXRlcmlhbA"' });
    const err = (await client.token().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).not.toContain('c2VjcmV0');
  });
});
