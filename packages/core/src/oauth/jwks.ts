/**
 * The app's own JWK Set (SMART client-confidential-asymmetric §Registering a client, https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html): the
 * public halves of the configured private keys, so a server can fetch them from a `jwks_uri`.
 */
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { PrivateKeyInput, SmartConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import { importSigningKey, type SigningKey } from './keys.js';

/** A key for the JWKS: a private key (JWK or PEM), an imported SigningKey, or a public JWK. */
export type JwksKeyInput = PrivateKeyInput | SigningKey;

export interface JwksOptions {
  /**
   * Keys published ahead of use (rotation): list the successor here at least one server cache
   * period (Epic: up to 29 h) before it starts signing. Private or public JWKs.
   */
  next?: JwksKeyInput[];
}

export interface JwksResponseOptions extends JwksOptions {
  /** Cache-Control max-age in seconds. Default 3600 (the same page: JWKS URLs are fetched and cached). */
  maxAge?: number;
}

// RFC 7517 / 7518: the only members a public RSA or EC JWK needs. Anything else (d, p, q, dp, dq,
// qi, oth, k, ...) is left out: an allowlist, so an unknown private member can't slip through.
const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'n', 'e', 'crv', 'x', 'y'] as const;

/** Keeps only public members of an RSA or EC JWK. */
export function toPublicJwk(jwk: JWK): JWK {
  const out: Record<string, unknown> = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) out[m] = jwk[m];
  return out as JWK;
}

function isSigningKey(k: unknown): k is SigningKey {
  return typeof k === 'object' && k !== null && 'publicJwk' in k && 'key' in k;
}

async function publicOf(input: JwksKeyInput): Promise<JWK> {
  if (isSigningKey(input)) return toPublicJwk(input.publicJwk);
  let parsed: unknown = input;
  if (typeof input === 'string' && !input.includes('-----BEGIN')) {
    try {
      parsed = JSON.parse(input);
    } catch {
      // The parser's message may quote the input: never let key material into an error.
      throw new ConfigError('smart-launch jwks: a key is neither a PEM nor a JSON JWK');
    }
  }
  if (typeof parsed === 'object' && parsed !== null && !('d' in parsed)) {
    // A public JWK (e.g. the next key, whose private half is not deployed yet).
    const jwk = parsed as JWK;
    if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') throw new ConfigError('smart-launch jwks: keys must be RSA or EC');
    const pub = toPublicJwk(jwk);
    return { ...pub, kid: pub.kid ?? (await calculateJwkThumbprint(pub)), use: 'sig', alg: pub.alg ?? (jwk.kty === 'RSA' ? 'RS384' : 'ES384') };
  }
  return toPublicJwk((await importSigningKey(parsed as PrivateKeyInput)).publicJwk);
}

/**
 * The public JWKS of `keys` (and `options.next`). Every key has `kid` (unique), `alg` and
 * `use: "sig"`; private members never appear.
 */
export async function publicJwks(keys: JwksKeyInput[], options: JwksOptions = {}): Promise<{ keys: JWK[] }> {
  if (!Array.isArray(keys)) throw new ConfigError('smart-launch jwks: `keys` must be a list of keys');
  const all = await Promise.all([...keys, ...(options.next ?? [])].map(publicOf));
  const seen = new Map<string, JWK>();
  for (const k of all) {
    const prior = seen.get(k.kid!);
    // SMART client-confidential-asymmetric: kid unique within the JWKS.
    if (prior && JSON.stringify(prior) !== JSON.stringify(k)) throw new ConfigError(`smart-launch jwks: two different keys share the kid "${k.kid}"`);
    seen.set(k.kid!, k);
  }
  return { keys: [...seen.values()] };
}

/** The private keys of every issuer of a SmartConfig (for an app that signs with them). */
export function configuredKeys(config: Pick<SmartConfig, 'issuers'>): PrivateKeyInput[] {
  return config.issuers.flatMap((i) => (i.privateKey === undefined ? [] : Array.isArray(i.privateKey) ? i.privateKey : [i.privateKey]));
}

/** A Web Response carrying the JWKS with Cache-Control (and CORS, it is public data). */
export function jwksResponse(jwks: { keys: JWK[] }, options: { maxAge?: number } = {}): Response {
  const maxAge = options.maxAge ?? 3600;
  return new Response(JSON.stringify({ keys: jwks.keys.map(toPublicJwk) }), {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'cache-control': `public, max-age=${Math.max(0, Math.floor(maxAge))}`,
      'access-control-allow-origin': '*',
    },
  });
}

/**
 * A handler for `GET /.well-known/jwks.json`: computes the JWKS once (keys imported at the first
 * call, errors then retried) and answers a fresh Response each time.
 */
export function jwksHandler(keys: JwksKeyInput[] | Pick<SmartConfig, 'issuers'>, options: JwksResponseOptions = {}): () => Promise<Response> {
  const list = Array.isArray(keys) ? keys : configuredKeys(keys);
  if (list.length === 0 && !options.next?.length) throw new ConfigError('smart-launch jwks: no private key configured (set `privateKey` on an issuer)');
  let jwks: Promise<{ keys: JWK[] }> | undefined;
  return async () => {
    jwks ??= publicJwks(list, options);
    jwks.catch(() => (jwks = undefined));
    return jwksResponse(await jwks, options);
  };
}
