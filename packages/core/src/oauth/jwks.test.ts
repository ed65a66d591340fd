import { createPrivateKey } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { importSigningKey } from './keys.js';
import { configuredKeys, jwksHandler, jwksResponse, publicJwks } from './jwks.js';

const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

async function key(alg: 'RS384' | 'ES384', kid?: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), ...(kid ? { kid } : {}) };
}

describe('app JWKS (SMART client-confidential-asymmetric, registering a JWKS URL)', () => {
  it('publishes only public members, with kid, alg and use, for RSA, EC, PEM and SigningKey inputs', async () => {
    const rsa = await key('RS384', 'rsa-1');
    const ec = await key('ES384');
    const pem = createPrivateKey({ key: rsa as never, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }) as string;
    const jwks = await publicJwks([rsa, JSON.stringify(ec), await importSigningKey(await key('RS384', 'imported'))]);
    expect(jwks.keys.map((k) => [k.kty, k.alg, k.use])).toEqual([['RSA', 'RS384', 'sig'], ['EC', 'ES384', 'sig'], ['RSA', 'RS384', 'sig']]);
    expect(jwks.keys[0]!.kid).toBe('rsa-1');
    // No kid given: the RFC 7638 thumbprint.
    expect(jwks.keys[1]!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const fromPem = await publicJwks([pem]);
    expect(fromPem.keys[0]!.n).toBe(rsa.n);
    for (const k of [...jwks.keys, ...fromPem.keys]) for (const m of PRIVATE) expect(k).not.toHaveProperty(m);
  });

  it('jwksResponse strips private members even when handed a private JWK, and sets Cache-Control', async () => {
    const rsa = await key('RS384', 'r');
    const res = jwksResponse({ keys: [{ ...rsa, oth: [], k: 'secret' } as JWK] }, { maxAge: 600 });
    expect(res.headers.get('cache-control')).toBe('public, max-age=600');
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    for (const m of PRIVATE) expect(JSON.parse(text).keys[0]).not.toHaveProperty(m);
    expect(text).not.toContain(String(rsa.d));
  });

  it('rotation: the next key (private or public) is listed ahead of use; duplicate kids of different keys are refused', async () => {
    const current = await key('ES384', 'current');
    const next = await key('ES384', 'next');
    const { d: _d, ...nextPublic } = next;
    const handler = jwksHandler([current], { next: [nextPublic] });
    const body = (await (await handler()).json()) as { keys: JWK[] };
    expect(body.keys.map((k) => k.kid)).toEqual(['current', 'next']);
    expect((await publicJwks([current], { next: [next] })).keys.map((k) => k.kid)).toEqual(['current', 'next']);
    await expect(publicJwks([current, { ...next, kid: 'current' }])).rejects.toThrow(/share the kid/);
    // The same key twice is listed once.
    expect((await publicJwks([current, current])).keys).toHaveLength(1);
  });

  it('jwksHandler takes a SmartConfig; refuses one without keys; a bad key never shows in the error', async () => {
    const k = await key('RS384', 'cfg');
    const handler = jwksHandler({ issuers: [{ iss: 'https://a/fhir', clientId: 'x', privateKey: [k] }, { iss: 'https://b/fhir', clientId: 'y' }] });
    expect(((await (await handler()).json()) as { keys: JWK[] }).keys.map((x) => x.kid)).toEqual(['cfg']);
    expect(configuredKeys({ issuers: [{ iss: 'https://b/fhir', clientId: 'y' }] })).toEqual([]);
    expect(() => jwksHandler({ issuers: [{ iss: 'https://b/fhir', clientId: 'y' }] })).toThrow(/no private key/);
    const err = (await publicJwks(['{"kty":"RSA","d":"c2VjcmV0LW1hdGVyaWFs", broken']).catch((e: unknown) => e)) as Error;
    expect(err.message).not.toContain('c2VjcmV0');
  });
});
