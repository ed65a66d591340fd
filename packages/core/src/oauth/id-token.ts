/**
 * id_token validation (OpenID Connect Core 1.0 §3.1.3.7, https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation;
 * SMART App Launch 2.2 "Scopes for requesting identity data",
 * https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html#scopes-for-requesting-identity-data).
 *
 * Strict: signature by a key of the server's JWKS, iss, aud, exp, iat, sub, nonce, azp.
 * Lenient on the algorithm label only (ADR 0009): any asymmetric JWS algorithm whose key type
 * matches a key in the JWKS, whatever `id_token_signing_alg_values_supported` says (Medplum signs
 * ES256 and advertises RS256). Never `none`, never HS* (a shared-secret MAC proves nothing here).
 */
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { ErrorCode, TokenError } from '../errors.js';
import { isSecureEnough } from '../url.js';

/** RFC 7518 §3.1 asymmetric JWS algorithms (plus RFC 8037 EdDSA, when a server advertises it). */
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const ADVERTISABLE = ['EdDSA', 'Ed25519'];

/** The algorithms an id_token may use: every RS/PS/ES one, plus EdDSA when advertised. */
export function idTokenAlgorithms(advertised: unknown): string[] {
  const extra = Array.isArray(advertised) ? advertised.filter((a): a is string => typeof a === 'string' && ADVERTISABLE.includes(a)) : [];
  return [...ASYMMETRIC, ...extra];
}

export interface IdTokenExpectations {
  /** Authorization server issuer identifier (exact match). */
  issuer: string;
  jwksUri: string;
  clientId: string;
  /** The nonce sent in the authorization request (undefined: only with the unsafe option). */
  nonce?: string;
  /** `id_token_signing_alg_values_supported` of the server (only widens to EdDSA). */
  advertisedAlgs?: unknown;
  /** Unsafe per-issuer opt-outs (names start with `dangerously`). */
  allowMissingNonce?: boolean;
  allowMissingAudience?: boolean;
}

export interface IdTokenVerifierOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  allowInsecureHttp: boolean;
  /** Clock tolerance in seconds. */
  clockToleranceSeconds?: number;
}

const invalid = (why: string, cause?: unknown) =>
  new TokenError(ErrorCode.ID_TOKEN_INVALID, `The id_token is invalid (${why})`, { status: 502, ...(cause ? { cause: safeCause(cause) } : {}) });

/** jose errors may quote claims; only the class name and code travel on. */
function safeCause(e: unknown): Error {
  const src = e as { name?: unknown; code?: unknown };
  const out = new Error(typeof src?.code === 'string' ? src.code : 'ERR_JWT_INVALID');
  out.name = typeof src?.name === 'string' ? src.name : 'Error';
  return out;
}

/** Verifies id_tokens; keeps one remote JWKS per jwks_uri (bounded). */
export class IdTokenVerifier {
  readonly #sets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  constructor(private readonly options: IdTokenVerifierOptions) {}

  #jwks(uri: string): ReturnType<typeof createRemoteJWKSet> {
    let set = this.#sets.get(uri);
    if (!set) {
      // SMART: TLS everywhere; http only on loopback (development) unless dangerously allowed.
      if (!isSecureEnough(uri, this.options.allowInsecureHttp)) throw invalid('the jwks_uri is not https');
      const f = this.options.fetch;
      set = createRemoteJWKSet(new URL(uri), {
        timeoutDuration: this.options.timeoutMs,
        [customFetch]: (url, init) => f(url, init),
      });
      if (this.#sets.size >= 100) this.#sets.delete(this.#sets.keys().next().value!);
      this.#sets.set(uri, set);
    }
    return set;
  }

  /** Returns the verified claims, or throws TokenError(id_token_invalid) naming the failed check. */
  async verify(idToken: string, expect: IdTokenExpectations): Promise<JWTPayload> {
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(idToken).alg;
    } catch (e) {
      throw invalid('not a JWS', e);
    }
    const algorithms = idTokenAlgorithms(expect.advertisedAlgs);
    // OIDC Core 3.1.3.7 step 6-8: never `none`, never a MAC algorithm for a token from the AS.
    if (typeof alg !== 'string' || !algorithms.includes(alg)) throw invalid(`signature algorithm ${typeof alg === 'string' ? alg.slice(0, 20) : 'missing'} is not accepted`);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.#jwks(expect.jwksUri), {
        algorithms,
        // OIDC Core 3.1.3.7 step 2: iss exactly the issuer.
        issuer: expect.issuer,
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        // OIDC Core 2: iss, sub, aud, exp, iat are REQUIRED.
        requiredClaims: ['iss', 'sub', 'exp', 'iat', ...(expect.allowMissingAudience ? [] : ['aud'])],
      }));
    } catch (e) {
      throw invalid(describe(e), e);
    }
    if (typeof payload.sub !== 'string' || !payload.sub) throw invalid('sub is not a string');
    // OIDC Core 3.1.3.7 step 10 / RFC 7519 4.1.6: an id_token issued in the future (beyond the
    // clock tolerance) is refused; jose only checks that with maxTokenAge.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + (this.options.clockToleranceSeconds ?? 60)) throw invalid('iat is in the future');
    // OIDC Core 3.1.3.7 step 3: aud contains the client_id; step 4-5: azp with several audiences.
    if (payload.aud !== undefined || !expect.allowMissingAudience) {
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.includes(expect.clientId)) throw invalid('aud is not this client');
      if (aud.length > 1 && payload.azp !== undefined && payload.azp !== expect.clientId) throw invalid('azp is not this client');
    }
    // OIDC Core 3.1.3.7 step 11: the nonce of the authorization request.
    if (expect.nonce !== undefined) {
      if (payload.nonce !== expect.nonce && !(payload.nonce === undefined && expect.allowMissingNonce)) throw invalid('nonce does not match');
    } else if (!expect.allowMissingNonce) {
      throw invalid('no nonce was sent, so none can be checked');
    }
    return payload;
  }
}

function describe(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `${e.claim} check failed`;
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (e instanceof errors.JWKSNoMatchingKey) return 'no key of the server matches its kid and type';
  if (e instanceof errors.JWKSMultipleMatchingKeys) return 'several keys match and none verifies';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'signature algorithm not accepted';
  if (e instanceof errors.JWKSTimeout) return 'the JWKS did not answer in time';
  if (e instanceof errors.JOSEError) return e.code;
  return 'not a valid JWT';
}
