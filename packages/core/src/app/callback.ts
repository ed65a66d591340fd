import * as oidc from 'openid-client';
import { contextFromTokenResponse, normalizeScope, resolveFhirUser } from '../fhir/context.js';
import type { SmartCore } from './core.js';
import { CallbackError, ErrorCode, TokenError, withClearCookies } from '../errors.js';
import type { ResolvedIssuer } from '../config.js';
import { newCapture } from '../oauth/token-response.js';
import { toTokenError } from '../oauth/client.js';
import { parseScopes } from '../fhir/scopes.js';
import type { SessionData } from '../session/types.js';
import { openTransaction, transactionCookieName, type Transaction } from './transaction.js';
import { clearChunked, cookieHeaderBytes, parseCookies } from '../session/cookies.js';
import { newLaunchHandle, withLaunchParam } from '../session/launch-handle.js';

/** GET {callback}?code=&state=[&iss=] or ?error=&state=. Returns a redirect to `returnTo`. */
export async function handleCallback(core: SmartCore, request: Request, url: URL): Promise<Response> {
  const p = url.searchParams;
  const state = p.get('state');
  // SMART app-launch step 4: check state before anything else. An error redirect without state
  // (some EHRs drop it when they refuse early) is shown as the EHR's error: no transaction is
  // touched, no session is created, nothing is retried (RFC 6749 4.1.2.1).
  if (!state) {
    if (p.get('error')) throw authorizationError(p, 'The EHR refused the sign-in');
    throw new CallbackError(ErrorCode.STATE_MISSING, 'The sign-in response has no state', { status: 400 });
  }
  const cookieHeader = request.headers.get('cookie');
  const name = transactionCookieName(core.cfg.session.cookieName, state);
  const secure = core.secureCookies(url.href);
  const clearTx = clearChunked(name, parseCookies(cookieHeader), { ...core.sessions.cookieOptions(secure), path: core.cfg.routes.callback });
  const tx = await openTransaction(core.sealer, cookieHeader, name, state);
  if (tx === 'expired') {
    throw new CallbackError(ErrorCode.TRANSACTION_EXPIRED, 'This sign-in took longer than 10 minutes. Launch the app again.', { status: 400, clearCookies: clearTx });
  }
  if (!tx) {
    throw new CallbackError(ErrorCode.STATE_MISMATCH, 'This sign-in response does not match a sign-in started in this browser (or it expired). Launch the app again.', { status: 400 });
  }
  // RFC 9700 4.2.4: state is single use.
  if (!core.usedStates.use(state)) throw new CallbackError(ErrorCode.STATE_MISMATCH, 'This sign-in response was already used. Launch the app again.', { status: 400 });

  try {
    // RFC 9207 2.4: compare `iss` with the authorization server's issuer (not the FHIR iss).
    const respIss = p.get('iss');
    if (respIss !== null ? respIss !== tx.as.issuer : tx.as.issParameterSupported === true) {
      throw new CallbackError(ErrorCode.ISSUER_MISMATCH, 'The sign-in response came from an unexpected authorization server', { status: 400 });
    }
    // RFC 6749 4.1.2.1: typed error, escaped when shown, never retried automatically.
    if (p.get('error')) throw authorizationError(p, 'The EHR refused the sign-in');
    if (!p.get('code')) throw new CallbackError(ErrorCode.CODE_MISSING, 'The sign-in response has no authorization code', { status: 400 });

    const issuer = core.issuer(tx.iss);
    if (!issuer || issuer.clientId !== tx.clientId) throw new CallbackError(ErrorCode.STATE_MISMATCH, 'The app configuration changed during sign-in. Launch again.', { status: 400 });
    // RFC 9700 4.4: the code goes only to the token endpoint stored with the transaction.
    // The id_token is taken out of the token response here and verified below (oauth/id-token.ts).
    const capture = newCapture();
    const conf = core.oauth(issuer, await core.keysFor(issuer), tx.as, capture);
    const currentUrl = new URL(url.href);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(
        conf,
        currentUrl,
        { expectedState: tx.state, pkceCodeVerifier: tx.codeVerifier },
        // SMART app-launch step 5: the identical redirect_uri.
        { redirect_uri: tx.redirectUri },
      );
    } catch (e) {
      throw toTokenError(e, 'The code exchange');
    }
    if (capture.repairs.length) core.log('warn', 'smart-launch: the token response had malformed optional fields; repaired', { iss: tx.iss, fields: capture.repairs });
    const claims = await identity(core, issuer, tx, capture.idToken);
    const session = sessionFromTokens(core, tokens, tx.iss, tx.scope, tx.as, claims, capture.expiresAt);
    const cookies = parseCookies(cookieHeader);
    // A new session id at every login (session fixation), in a new slot with its own launch
    // handle (ADR 0008): the browser's other launches (other tabs, other patients) stay as they are.
    session.slot = newLaunchHandle();
    const setCookies = await core.sessions.save(session, cookies, secure);
    // Bounded: the oldest launches end beyond session.maxLaunches or, in cookie mode, beyond the
    // cookie budget together with the new one.
    const { maxLaunches, maxCookieBytes, store } = core.cfg.session;
    const evicted = await core.sessions.evict(cookies, secure, maxLaunches - 1, store ? Infinity : maxCookieBytes - cookieHeaderBytes(setCookies));
    core.log('debug', 'smart-launch: signed in', { iss: tx.iss, patient: session.patient ? 'yes' : 'no', evicted: evicted.length > 0 });
    const location = withLaunchParam(tx.returnTo, core.cfg.session.launchParam, session.slot);
    const headers = new Headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    for (const c of [...clearTx, ...core.sessions.clearLegacy(cookies, secure), ...evicted, ...setCookies]) headers.append('set-cookie', c);
    return new Response(null, { status: 302, headers });
  } catch (e) {
    // The transaction cookie is cleared on failure too (with whatever the error itself clears,
    // e.g. the session cookies of a session too large to write).
    throw withClearCookies(e, [...clearTx, ...((e as { clearCookies?: readonly string[] })?.clearCookies ?? [])]);
  }
}

/** RFC 6749 4.1.2.1 error response: a typed error with the (truncated) OAuth fields, escaped when shown. */
function authorizationError(p: URLSearchParams, what: string): CallbackError {
  const error = p.get('error')!;
  const oauth = { error: error.slice(0, 200), ...(p.get('error_description') ? { error_description: p.get('error_description')!.slice(0, 500) } : {}), ...(p.get('error_uri') ? { error_uri: p.get('error_uri')!.slice(0, 500) } : {}) };
  const denied = error === 'access_denied';
  return new CallbackError(denied ? ErrorCode.AUTHORIZATION_DENIED : ErrorCode.AUTHORIZATION_ERROR, denied ? 'Access was denied at the EHR' : `${what}: ${oauth.error}`, { status: denied ? 403 : 400, oauth });
}

/**
 * The signed-in user's id_token claims (ADR 0009). `openid` requested: the id_token is verified
 * (signature, iss, aud, exp, iat, nonce); a response without one is a session without fhirUser and
 * a warning. Not requested (no nonce sent): an id_token is ignored, whoever sends it (Medplum).
 */
async function identity(core: SmartCore, issuer: ResolvedIssuer, tx: Transaction, idToken: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (!tx.nonce && !tx.scope.split(' ').includes('openid')) {
    if (idToken) core.log('debug', 'smart-launch: ignoring an id_token that was not requested', { iss: tx.iss });
    return undefined;
  }
  if (!idToken) {
    core.log('warn', 'smart-launch: openid was requested but the EHR sent no id_token; signed in without fhirUser', { iss: tx.iss });
    return undefined;
  }
  if (!tx.as.jwksUri) throw new TokenError(ErrorCode.ID_TOKEN_INVALID, 'The id_token cannot be validated: the EHR has no jwks_uri', { status: 502 });
  const claims = await core.idTokens.verify(idToken, {
    issuer: tx.as.issuer,
    jwksUri: tx.as.jwksUri,
    clientId: tx.clientId,
    ...(tx.nonce ? { nonce: tx.nonce } : {}),
    advertisedAlgs: tx.as.idTokenAlgs,
    allowMissingNonce: issuer.dangerouslyAllowIdTokenWithoutNonce === true,
    allowMissingAudience: issuer.dangerouslyAllowIdTokenWithoutAudience === true,
  });
  return claims as Record<string, unknown>;
}

export function sessionFromTokens(
  core: SmartCore,
  tokens: oidc.TokenEndpointResponse,
  iss: string,
  requestedScope: string,
  as: { issuer: string; tokenEndpoint: string; revocationEndpoint?: string },
  claims?: Record<string, unknown>,
  expiresAt?: number,
): SessionData {
  const body = tokens as unknown as Record<string, unknown>;
  const scope = normalizeScope(tokens.scope, requestedScope);
  const ctx = contextFromTokenResponse(body);
  // SMART scopes-and-launch-context: patient scopes granted => the server SHALL give a patient.
  if (!ctx.patient && parseScopes(scope).patientLevel) {
    throw new CallbackError(ErrorCode.PATIENT_MISSING, 'The EHR granted patient-level access but named no patient', { status: 502 });
  }
  const fhirUser = resolveFhirUser(claims?.fhirUser ?? claims?.profile, iss);
  const now = Math.floor(Date.now() / 1000);
  return {
    v: 1,
    sid: core.sessions.newSid(),
    rev: 0,
    iss,
    issuer: as.issuer,
    tokenEndpoint: as.tokenEndpoint,
    ...(as.revocationEndpoint ? { revocationEndpoint: as.revocationEndpoint } : {}),
    accessToken: tokens.access_token,
    tokenType: tokens.token_type ?? 'bearer',
    ...(typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? { expiresAt: now + Math.floor(tokens.expires_in) } : expiresAt ? { expiresAt } : {}),
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
    scope,
    ...(claims ? { idTokenClaims: pickClaims(claims) } : {}),
    ...(fhirUser ? { fhirUser } : {}),
    ...ctx,
    createdAt: now,
  };
}

/**
 * The id_token's claims after validation, without those only validation needs (OIDC Core 2:
 * aud, exp, iat, nbf, nonce, at_hash, c_hash, azp, jti): the session stays small enough for
 * one cookie. The raw id_token is never kept.
 */
const VALIDATION_ONLY = new Set(['aud', 'exp', 'iat', 'nbf', 'nonce', 'at_hash', 'c_hash', 'azp', 'jti']);
function pickClaims(claims: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claims)) if (!VALIDATION_ONLY.has(k)) out[k] = v;
  return out;
}
