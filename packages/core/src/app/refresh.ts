import * as oidc from 'openid-client';
import { contextFromTokenResponse, normalizeScope } from '../fhir/context.js';
import type { SmartCore } from './core.js';
import { ErrorCode, SessionError, TokenError } from '../errors.js';
import { toTokenError } from '../oauth/client.js';
import { newCapture } from '../oauth/token-response.js';
import { decodeJwt } from 'jose';
import type { SessionData } from '../session/types.js';

/**
 * One refresh at a time per session, in this process (SMART App Launch step 7, https://hl7.org/fhir/smart-app-launch/app-launch.html#step-7-app-uses-a-refresh-token-to-obtain-a-new-access-token; single-use rotating
 * refresh tokens race otherwise: Medplum, Blue Button). With a store that offers `lock()`, also
 * across processes: a loser waits for the winner's result in the store.
 */
const ended = () => new SessionError(ErrorCode.SESSION_EXPIRED, 'The session ended', { status: 401 });

export class Refresher {
  readonly #inflight = new Map<string, Promise<SessionData>>();
  constructor(private readonly core: SmartCore) {}

  refresh(data: SessionData): Promise<SessionData> {
    // Another request of this process may have refreshed already, or logged out (cookie mode):
    // never spend a refresh token this process knows is rotated.
    const latest = this.core.sessions.latest(data.sid);
    if (latest === null) return Promise.reject(ended());
    if (latest && latest.rev > data.rev) return Promise.resolve(latest);
    let p = this.#inflight.get(data.sid);
    if (!p) {
      p = this.#deadline(this.#locked(data)).finally(() => this.#inflight.delete(data.sid));
      this.#inflight.set(data.sid, p);
    }
    return p;
  }

  /**
   * Every request of a session waits on its one refresh: whatever happens below (a fetch that
   * ignores its abort signal, a store that never answers), they get a timeout, never a hang. The
   * refresh itself goes on; if it succeeds later it is recorded (persist) for the next request.
   */
  #deadline(refresh: Promise<SessionData>): Promise<SessionData> {
    // Past a store-mode lock wait (httpTimeoutMs + 5 s) plus our own token call (httpTimeoutMs).
    const ms = 2 * this.core.cfg.httpTimeoutMs + 6000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TokenError(ErrorCode.TIMEOUT, 'The token refresh did not finish in time', { status: 503 })), ms);
      timer.unref?.();
    });
    refresh.catch(() => {});
    return Promise.race([refresh, late]).finally(() => clearTimeout(timer));
  }

  async #locked(data: SessionData): Promise<SessionData> {
    const store = this.core.cfg.session.store;
    if (!store) {
      const next = await this.#run(data);
      await this.core.sessions.persist(next);
      return next;
    }
    // Store mode: the store is the truth. Refresh what it holds, and save before unlocking so no
    // other instance can read the old revision and reuse its spent refresh token.
    const refreshStored = async (): Promise<SessionData> => {
      const current = await store.get(data.sid);
      if (!current) throw ended();
      if (current.rev > data.rev) return current;
      const next = await this.#run(current);
      await this.core.sessions.persist(next);
      return next;
    };
    if (!store.lock) return refreshStored();
    const lockTtl = this.core.cfg.httpTimeoutMs + 5000;
    const deadline = Date.now() + lockTtl;
    for (;;) {
      const release = await store.lock(`refresh:${data.sid}`, lockTtl);
      if (release) {
        try {
          return await refreshStored();
        } finally {
          await release();
        }
      }
      await new Promise((r) => setTimeout(r, 50));
      const current = await store.get(data.sid);
      if (!current) throw ended();
      if (current.rev > data.rev) return current;
      if (Date.now() > deadline) throw new TokenError(ErrorCode.TIMEOUT, 'Waiting for another instance to refresh the token timed out', { status: 503 });
    }
  }

  async #run(data: SessionData): Promise<SessionData> {
    if (!data.refreshToken) throw new SessionError(ErrorCode.SESSION_EXPIRED, 'The access token expired and there is no refresh token: launch the app again', { status: 401 });
    const issuer = this.core.issuer(data.iss);
    if (!issuer) throw new SessionError(ErrorCode.SESSION_EXPIRED, 'This EHR is no longer configured', { status: 401 });
    // The id_token (optional on refresh) is taken out before openid-client sees it: see below.
    const capture = newCapture();
    const conf = this.core.oauth(issuer, await this.core.keysFor(issuer), { issuer: data.issuer, tokenEndpoint: data.tokenEndpoint }, capture);
    let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>;
    try {
      // SMART app-launch step 7: same client authentication as the code exchange.
      tokens = await oidc.refreshTokenGrant(conf, data.refreshToken);
    } catch (e) {
      const err = toTokenError(e, 'The token refresh', ErrorCode.REFRESH_FAILED);
      // RFC 6749 5.2: an OAuth error answer (400/401: invalid_grant, or invalid_request from
      // servers that refuse a rotated token that way) means this refresh token is gone for good:
      // the session ends once, cleanly. Timeouts and 5xx stay transient.
      if (refused(e)) throw new SessionError(ErrorCode.SESSION_EXPIRED, 'The EHR ended this session (refresh token no longer valid): launch the app again', { status: 401, cause: err });
      throw err;
    }
    if (capture.repairs.length) this.core.log('warn', 'smart-launch: the refresh response had malformed optional fields; repaired', { iss: data.iss, fields: capture.repairs });
    // SMART App Launch 2.2 app-launch step 7 does not require an id_token on refresh. The
    // identity stays the one verified at sign-in (OIDC Core 12.2: iss and sub must not change);
    // a refreshed id_token never costs the session its new tokens (smart-launcher: no `aud`).
    if (capture.idToken) this.#checkRefreshedIdToken(capture.idToken, data, issuer.clientId);
    const now = Math.floor(Date.now() / 1000);
    const ctx = contextFromTokenResponse(tokens as unknown as Record<string, unknown>);
    const next: SessionData = {
      ...data,
      ...ctx,
      rev: data.rev + 1,
      accessToken: tokens.access_token,
      tokenType: tokens.token_type ?? data.tokenType,
      scope: normalizeScope(tokens.scope, data.scope),
      // SMART app-launch step 7: a new refresh token replaces the old; none means keep it (Cerner).
      refreshToken: tokens.refresh_token ?? data.refreshToken,
    };
    if (typeof tokens.expires_in === 'number' && tokens.expires_in > 0) next.expiresAt = now + Math.floor(tokens.expires_in);
    else if (capture.expiresAt) next.expiresAt = capture.expiresAt;
    else delete next.expiresAt;
    if (!next.refreshToken) delete next.refreshToken;
    this.core.log('debug', 'smart-launch: token refreshed', { iss: data.iss, rev: next.rev });
    return next;
  }

  /** A refreshed id_token is not used; one that contradicts the sign-in gets one warning (no token logged). */
  #checkRefreshedIdToken(idToken: string, data: SessionData, clientId: string): void {
    let claims: Record<string, unknown>;
    try {
      claims = decodeJwt(idToken);
    } catch {
      this.core.log('warn', 'smart-launch: ignored a refreshed id_token that is not a JWT; identity from sign-in kept', { iss: data.iss });
      return;
    }
    const before = data.idTokenClaims;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    // OIDC Core 12.2: iss, sub and aud as at sign-in.
    const problem = !aud.includes(clientId) ? 'aud' : before && claims.iss !== before.iss ? 'iss' : before && claims.sub !== before.sub ? 'sub' : undefined;
    if (problem) this.core.log('warn', `smart-launch: ignored a refreshed id_token (${problem} check failed); identity from sign-in kept`, { iss: data.iss });
  }
}

/** An OAuth error answer from the token endpoint (RFC 6749 5.2): 400, or 401 with a challenge. */
function refused(e: unknown): boolean {
  if (e instanceof oidc.ResponseBodyError) return e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
  return e instanceof oidc.WWWAuthenticateChallengeError;
}
