import * as oidc from 'openid-client';
import type { ResolvedIssuer } from '../config.js';
import type { SmartCore } from './core.js';
import { hasCapability, type SmartConfiguration } from '../oauth/discovery.js';
import { DiscoveryError, ErrorCode, LaunchError } from '../errors.js';
import { autoPostPage, pageHeaders } from './html.js';
import { randomBytes } from 'node:crypto';
import type { AuthServer } from '../oauth/client.js';
import { sealTransaction, transactionCookieName, type Transaction } from './transaction.js';
import { normalizeBaseUrl, safeReturnPath } from '../url.js';
import { toV1Scopes } from '../fhir/scopes.js';

export function authServerFrom(doc: SmartConfiguration, iss: string): AuthServer {
  return {
    // Without an issuer (no sso-openid-connect) the FHIR base stands in; RFC 9207 `iss` is then
    // only compared when the server sends it.
    issuer: typeof doc.issuer === 'string' ? doc.issuer : iss,
    tokenEndpoint: doc.token_endpoint,
    ...(doc.authorization_endpoint ? { authorizationEndpoint: doc.authorization_endpoint } : {}),
    ...(doc.jwks_uri ? { jwksUri: doc.jwks_uri } : {}),
    ...(doc.revocation_endpoint ? { revocationEndpoint: doc.revocation_endpoint } : {}),
    ...(doc.introspection_endpoint ? { introspectionEndpoint: doc.introspection_endpoint } : {}),
    ...(doc.authorization_response_iss_parameter_supported === true ? { issParameterSupported: true } : {}),
    ...(doc.token_endpoint_auth_signing_alg_values_supported ? { signingAlgs: doc.token_endpoint_auth_signing_alg_values_supported } : {}),
    ...(Array.isArray(doc.id_token_signing_alg_values_supported) ? { idTokenAlgs: (doc.id_token_signing_alg_values_supported as unknown[]).filter((a): a is string => typeof a === 'string') } : {}),
  };
}

const hasScope = (scope: string, s: string) => scope.split(' ').includes(s);

/**
 * SMART v1 servers get v1 scopes: those advertising `permission-v1` without `permission-v2`
 * (SMART App Launch 2.2 "Conformance", capabilities), and v1 servers found through the
 * CapabilityStatement (no well-known document; marked `permission-v1` by discovery).
 */
function wantsV1(doc: SmartConfiguration, issuer: ResolvedIssuer): boolean {
  if (issuer.scopeVersion === 'v1') return true;
  if (issuer.scopeVersion === 'v2') return false;
  return hasCapability(doc, 'permission-v1') && !hasCapability(doc, 'permission-v2');
}

/**
 * SMART: an id_token is validated against the authorization server's issuer and JWKS. When the
 * SMART configuration lacks them, the OpenID configuration supplies them; without either the
 * launch fails with a clear error rather than dropping `openid fhirUser` unnoticed.
 */
async function withIdTokenKeys(core: SmartCore, doc: SmartConfiguration, as: AuthServer, iss: string): Promise<AuthServer> {
  if (typeof doc.issuer === 'string' && doc.jwks_uri) return as;
  const candidates = typeof doc.issuer === 'string' ? [doc.issuer] : [iss];
  // Without an issuer: the folders above the authorize endpoint (Epic `.../oauth2`, others the
  // origin), on the token endpoint's origin. Each must name itself and this token endpoint.
  if (typeof doc.issuer !== 'string' && doc.authorization_endpoint) {
    const a = new URL(doc.authorization_endpoint);
    if (a.origin === new URL(doc.token_endpoint).origin) {
      const parts = a.pathname.split('/').filter(Boolean);
      for (let n = parts.length - 1; n >= 0 && candidates.length < 6; n--) candidates.push(`${a.origin}${n ? `/${parts.slice(0, n).join('/')}` : ''}`);
    }
  }
  const meta = await core.openid.find(candidates, doc.token_endpoint);
  if (!meta) {
    throw new DiscoveryError(ErrorCode.CAPABILITY_MISSING, `The EHR at ${iss} publishes no issuer and jwks_uri (neither in its SMART configuration nor in an OpenID configuration), so its id_token cannot be validated. Ask for them, or leave \`openid fhirUser\` out of this EHR's scope.`, { status: 502 });
  }
  core.log('debug', 'smart-launch: issuer and jwks_uri from the OpenID configuration', { iss, issuer: meta.issuer });
  return { ...as, issuer: meta.issuer, jwksUri: meta.jwksUri, ...(meta.idTokenAlgs ? { idTokenAlgs: meta.idTokenAlgs } : {}) };
}

/** Refuses early when the server lacks what this launch and client type need (SMART capabilities, https://hl7.org/fhir/smart-app-launch/conformance.html). */
function checkCapabilities(doc: SmartConfiguration, issuer: ResolvedIssuer, ehr: boolean): void {
  const missing = (what: string) => new DiscoveryError(ErrorCode.CAPABILITY_MISSING, `The EHR at ${issuer.iss} does not support ${what}`, { status: 502 });
  if (!doc.authorization_endpoint) throw missing('app launch (no authorization_endpoint)');
  if (doc.capabilities.length) {
    const mode = ehr ? 'launch-ehr' : 'launch-standalone';
    if (!hasCapability(doc, mode)) throw missing(mode);
  }
  const methods = doc.token_endpoint_auth_methods_supported;
  if (Array.isArray(methods) && methods.length) {
    if (issuer.clientType === 'confidential-asymmetric' && !methods.includes('private_key_jwt')) throw missing('private_key_jwt client authentication');
    const secretMethod = issuer.tokenEndpointAuthMethod ?? 'client_secret_basic';
    if (issuer.clientType === 'confidential-symmetric' && !methods.includes(secretMethod)) {
      throw missing(`${secretMethod} client authentication${methods.includes('client_secret_post') ? ' (the server lists client_secret_post: set `tokenEndpointAuthMethod`)' : ''}`);
    }
  }
  // SMART 2.0: S256 SHALL be supported; a server offering only `plain` is refused.
  const pkce = doc.code_challenge_methods_supported;
  if (Array.isArray(pkce) && pkce.length && !pkce.includes('S256')) throw missing('PKCE S256');
}

function scopeFor(issuer: ResolvedIssuer, ehr: boolean): string {
  const scopes = issuer.scope.split(/\s+/).filter(Boolean);
  // SMART: EHR launch puts `launch` in the scope; a standalone launch has no launch to bind.
  const out = ehr ? (scopes.includes('launch') ? scopes : ['launch', ...scopes]) : scopes.filter((s) => s !== 'launch');
  return [...new Set(out)].join(' ');
}

/** GET {launch}?iss=&launch= (EHR launch) or GET {launch}[?iss=] (standalone). */
export async function handleLaunch(core: SmartCore, url: URL): Promise<Response> {
  const p = url.searchParams;
  const launch = p.get('launch') ?? undefined;
  const rawIss = p.get('iss') ?? undefined;
  if (launch !== undefined && (!launch || launch.length > 4096)) throw new LaunchError(ErrorCode.LAUNCH_INVALID, 'The launch parameter is empty or too long', { status: 400 });
  if (launch && !rawIss) throw new LaunchError(ErrorCode.LAUNCH_INVALID, 'An EHR launch needs both `iss` and `launch`', { status: 400 });
  const iss = rawIss ? normalizeBaseUrl(rawIss) : core.cfg.defaultIss;
  if (!iss) throw new LaunchError(ErrorCode.LAUNCH_INVALID, 'A standalone launch needs `iss`: every configured EHR is a tenant template', { status: 400 });
  const issuer = core.issuer(iss);
  // SMART App Launch step 2 (the app verifies `iss`, https://hl7.org/fhir/smart-app-launch/app-launch.html) / RFC 9700 4.4: an iss not on the allowlist is refused before any request.
  if (!issuer) throw new LaunchError(ErrorCode.ISS_NOT_ALLOWED, 'This EHR (iss) is not on the app\'s list of allowed servers', { status: 403 });
  const ehr = launch !== undefined;

  const doc = await core.discovery.get(iss, { capabilityStatementFallback: issuer.capabilityStatementFallback });
  checkCapabilities(doc, issuer, ehr);
  // RFC 9700 4.4 (mix-up): no other allowlisted EHR may claim this authorization server's issuer.
  await core.issuerGuard.check(iss, doc);
  let scope = scopeFor(issuer, ehr);
  if (wantsV1(doc, issuer)) {
    const v1 = toV1Scopes(scope);
    scope = v1.scope;
    if (v1.dropped.length) core.log('warn', 'smart-launch: a SMART v1 server cannot express these scopes; not requesting them', { iss, dropped: v1.dropped });
  }
  let as = authServerFrom(doc, iss);
  if (hasScope(scope, 'openid')) as = await withIdTokenKeys(core, doc, as, iss);
  const keys = await core.keysFor(issuer);
  const conf = core.oauth(issuer, keys, as);

  const origin = core.cfg.baseUrl ?? url.origin;
  const redirectUri = issuer.redirectUri ?? `${origin}${core.cfg.routes.callback}`;
  // SMART app-launch step 4: state >= 122 bits, fresh per request (openid-client: 256 bits).
  const state = oidc.randomState();
  // SMART app-launch: PKCE S256 always (RFC 7636 4.1: 32 random bytes, base64url).
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const scopes = scope.split(' ');
  const nonce = scopes.includes('openid') ? oidc.randomNonce() : undefined;
  const tx: Transaction = {
    state, codeVerifier, iss, as, clientId: issuer.clientId, redirectUri, scope,
    ...(nonce ? { nonce } : {}),
    ...(launch ? { launch } : {}),
    returnTo: safeReturnPath(p.get('returnTo'), core.cfg.afterLoginPath),
    createdAt: Date.now(),
  };
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: issuer.clientId,
    redirect_uri: redirectUri,
    scope,
    state,
    // SMART app-launch: aud = the FHIR base URL (= iss for an EHR launch, sent verbatim).
    aud: rawIss ?? iss,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...(launch ? { launch } : {}),
    ...(nonce ? { nonce } : {}),
  };
  const secure = core.secureCookies(url.href);
  const txCookies = await sealTransaction(core.sealer, tx, transactionCookieName(core.cfg.session.cookieName, state), {
    ...core.sessions.cookieOptions(secure),
    // The callback is a cross-site navigation from the EHR: a Strict cookie would never come back.
    sameSite: core.cfg.session.sameSite === 'none' ? 'none' : 'lax',
    path: core.cfg.routes.callback,
  });
  const authorizeUrl = oidc.buildAuthorizationUrl(conf, params);
  // SMART App Launch 2.2 app-launch step 4: POST only to servers advertising `authorize-post`;
  // 'auto' uses it for EHR launches (large launch contexts), GET for standalone ones.
  const post = issuer.authorizeMethod === 'POST' || (issuer.authorizeMethod === 'auto' && ehr && hasCapability(doc, 'authorize-post'));
  core.log('debug', 'smart-launch: launch', { iss, ehr, post });
  const headers = new Headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  for (const c of txCookies) headers.append('set-cookie', c);
  if (post) {
    const nonceCsp = randomBytes(16).toString('base64url');
    const action = new URL(authorizeUrl);
    const body = autoPostPage(action.origin + action.pathname, action.searchParams, nonceCsp);
    for (const [k, v] of Object.entries(pageHeaders(nonceCsp))) headers.set(k, v);
    return new Response(body, { status: 200, headers });
  }
  headers.set('location', authorizeUrl.href);
  return new Response(null, { status: 302, headers });
}
