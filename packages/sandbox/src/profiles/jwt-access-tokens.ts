import { randomBytes } from 'node:crypto';
import { importJWK, jwtVerify, SignJWT } from 'jose';
import { publicJwk } from '../keys.js';
import type { SandboxState } from '../state.js';

/** Target length of an epic-profile access token (Epic sandbox ATs are ~1 KB RS256 JWTs; oauth2 appendix). */
const TARGET_LENGTH = 1536;

export interface AccessTokenClaims {
  sub: string | undefined;
  clientId: string;
  scope: string;
  expiresIn: number;
}

/**
 * epic profile: access tokens are signed JWTs (fhir.epic.com/Documentation?docId=oauth2, "access tokens
 * ... may be JWTs"; opaque to clients). Each wraps the authorization server's opaque token, which the
 * FHIR endpoint, introspection and revocation still use: `resolve()` maps a verified JWT back to it.
 */
export class JwtAccessTokens {
  readonly #byJti = new Map<string, { opaque: string; exp: number }>();
  readonly #state: SandboxState;

  constructor(state: SandboxState) {
    this.#state = state;
  }

  async wrap(opaque: string, claims: AccessTokenClaims): Promise<string> {
    const key = await importJWK(this.#state.signingKey, 'RS256');
    const jti = randomBytes(16).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const exp = now + claims.expiresIn;
    this.#prune(now);
    this.#byJti.set(jti, { opaque, exp });
    const sign = (metadata: string) => new SignJWT({
      client_id: claims.clientId,
      scope: claims.scope,
      'epic.eci': randomBytes(12).toString('base64url'),
      'epic.metadata': metadata,
      'epic.tokentype': 'access',
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.#state.signingKey.kid!, typ: 'JWT' })
      .setIssuer(this.#state.issuer)
      .setAudience(this.#state.fhirBaseUrl)
      .setSubject(claims.sub ?? claims.clientId)
      .setJti(jti)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .sign(key);
    const bare = await sign('');
    // Each payload character costs 4/3 characters of base64url.
    const pad = Math.max(0, Math.floor(((TARGET_LENGTH - bare.length) * 3) / 4));
    return sign(randomBytes(pad).toString('base64url').slice(0, pad));
  }

  /** The opaque token behind a JWT access token this server signed, or undefined. */
  async resolve(value: string): Promise<string | undefined> {
    if (value.split('.').length !== 3) return undefined;
    try {
      const key = await importJWK(publicJwk(this.#state.signingKey), 'RS256');
      const { payload } = await jwtVerify(value, key, { issuer: this.#state.issuer, algorithms: ['RS256'] });
      return payload.jti ? this.#byJti.get(payload.jti)?.opaque : undefined;
    } catch {
      return undefined;
    }
  }

  #prune(now: number): void {
    for (const [jti, entry] of this.#byJti) if (entry.exp < now) this.#byJti.delete(jti);
  }
}
