import { randomUUID } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, importJWK, importPKCS8, type JWK } from 'jose';

type CryptoKey = webcrypto.CryptoKey;
import { ConfigError } from '../errors.js';
import type { PrivateKeyInput } from '../config.js';

export type AssertionAlg = 'RS384' | 'ES384';

/** A private signing key, imported once. */
export interface SigningKey {
  key: CryptoKey;
  kid: string;
  alg: AssertionAlg;
  /** Public JWK (no private parts), for the app's own JWKS. */
  publicJwk: JWK;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function defaultAlg(kty: unknown): AssertionAlg {
  if (kty === 'RSA') return 'RS384';
  if (kty === 'EC') return 'ES384';
  throw new ConfigError('smart-launch config: `privateKey` must be an RSA or EC (P-384) key');
}

/** Imports a JWK (object or JSON string) or a PKCS#8 PEM. The key material never reaches a message. */
export async function importSigningKey(input: PrivateKeyInput, alg?: AssertionAlg): Promise<SigningKey> {
  if (typeof input === 'string' && input.includes('-----BEGIN')) {
    if (!input.includes('PRIVATE KEY')) throw new ConfigError('smart-launch config: `privateKey` PEM must be a PKCS#8 private key');
    const tryAlgs: AssertionAlg[] = alg ? [alg] : ['RS384', 'ES384'];
    for (const a of tryAlgs) {
      try {
        const key = await importPKCS8(input, a, { extractable: true });
        const jwk = await exportJWK(key);
        return finish(key, jwk, a);
      } catch {
        /* try the next algorithm */
      }
    }
    throw new ConfigError('smart-launch config: `privateKey` PEM could not be imported as RS384 or ES384');
  }
  let jwk: JWK;
  try {
    jwk = (typeof input === 'string' ? JSON.parse(input) : input) as JWK;
  } catch {
    throw new ConfigError('smart-launch config: `privateKey` is neither a PEM nor a JSON JWK');
  }
  if (!jwk || typeof jwk !== 'object' || !jwk.d) throw new ConfigError('smart-launch config: `privateKey` JWK must be a private key (with "d")');
  const a: AssertionAlg = alg ?? (jwk.alg === 'RS384' || jwk.alg === 'ES384' ? (jwk.alg as AssertionAlg) : defaultAlg(jwk.kty));
  let key: CryptoKey;
  try {
    key = (await importJWK({ ...jwk, ext: true }, a)) as CryptoKey;
  } catch (e) {
    throw new ConfigError(`smart-launch config: \`privateKey\` JWK could not be imported for ${a}`, { cause: e });
  }
  return finish(key, jwk, a);
}

async function finish(key: CryptoKey, jwk: JWK, alg: AssertionAlg): Promise<SigningKey> {
  const publicJwk: JWK = Object.fromEntries(Object.entries(jwk).filter(([k]) => !PRIVATE_MEMBERS.includes(k) && k !== 'key_ops' && k !== 'ext')) as JWK;
  // SMART client-confidential-asymmetric: every JWK carries a kid, unique in the JWKS.
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  return { key, kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/**
 * A one-time client assertion (SMART client-confidential-asymmetric; RFC 7523):
 * header alg RS384|ES384, kid, typ JWT; iss = sub = client_id, aud = token endpoint,
 * exp <= 5 minutes ahead, unique jti. `jku`: the TLS URL of the app's JWK Set, when the app
 * publishes one (SMART App Launch 2.2 client-confidential-asymmetric, "Authenticating to the Token
 * endpoint": jku SHALL match a pre-registered value; Epic uses it to find the key).
 */
export async function signClientAssertion(key: SigningKey, clientId: string, tokenEndpoint: string, jku?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...(jku ? { jku } : {}) })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenEndpoint)
    .setIssuedAt(now)
    .setExpirationTime(now + 240)
    .setJti(randomUUID())
    .sign(key.key);
}

/** Picks the first key whose algorithm the server accepts (SMART client-confidential-asymmetric: RS384/ES384, https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html). */
export function pickKey(keys: SigningKey[], supported: string[] | undefined): SigningKey | undefined {
  if (!supported?.length) return keys[0];
  return keys.find((k) => supported.includes(k.alg));
}
