import * as oidc from 'openid-client';
import type { ResolvedConfig, ResolvedIssuer } from '../config.js';
import { ConfigError, ErrorCode, TokenError } from '../errors.js';
import { pickKey, signClientAssertion, type SigningKey } from './keys.js';
import { repairingFetch, type TokenResponseCapture } from './token-response.js';
import { isLoopbackUrl } from '../url.js';
import { cappedFetch, ResponseTooLargeError } from './limits.js';

/** The parts of discovery a token request needs; stored with the transaction and the session. */
export interface AuthServer {
  issuer: string;
  tokenEndpoint: string;
  authorizationEndpoint?: string;
  jwksUri?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  issParameterSupported?: boolean;
  signingAlgs?: string[];
  /** `id_token_signing_alg_values_supported` (informative only: see oauth/id-token.ts). */
  idTokenAlgs?: string[];
}

/**
 * RFC 6749 2.3.1: client_id and secret are form-encoded (application/x-www-form-urlencoded) before
 * HTTP Basic. The RFC 3986 unreserved characters `-._~` stay as they are: spec-following servers
 * decode both forms, and servers that don't decode (many) then still match `my-app`.
 */
export function basicCredential(clientId: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

/**
 * Client authentication at the token endpoint (SMART App Launch 2.2 "Client Authentication",
 * https://hl7.org/fhir/smart-app-launch/client-authentication.html):
 * public -> client_id only; symmetric -> HTTP Basic (RFC 6749 2.3.1);
 * asymmetric -> a fresh private_key_jwt assertion per request, aud = token endpoint, no client_id,
 * with `jku` when the app's JWKS URL is configured.
 */
export function clientAuth(issuer: Pick<ResolvedIssuer, 'iss' | 'clientType' | 'clientSecret' | 'jwksUrl' | 'tokenEndpointAuthMethod'>, keys: SigningKey[], as: AuthServer): oidc.ClientAuth {
  // RFC 6749 2.3.1: client_id and client_secret in the request body, for clients registered so.
  if (issuer.clientType === 'confidential-symmetric' && issuer.tokenEndpointAuthMethod === 'client_secret_post') return oidc.ClientSecretPost(issuer.clientSecret!);
  if (issuer.clientType === 'confidential-symmetric') {
    return (_as, client, _body, headers) => {
      headers.set('authorization', basicCredential(client.client_id, issuer.clientSecret!));
    };
  }
  if (issuer.clientType === 'confidential-asymmetric') {
    const key = pickKey(keys, as.signingAlgs);
    if (!key) {
      throw new ConfigError(`smart-launch config: none of the private keys for ${issuer.iss} uses an algorithm the server accepts (${as.signingAlgs?.join(', ')})`);
    }
    return async (_as, client, body) => {
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', await signClientAssertion(key, client.client_id, as.tokenEndpoint, issuer.jwksUrl));
    };
  }
  return oidc.None();
}

/** Adds the issuer's extra headers (e.g. Epic-Client-ID) to every request to its servers. */
export function withHeaders(base: typeof fetch, headers: Record<string, string> | undefined): typeof fetch {
  if (!headers || !Object.keys(headers).length) return base;
  return (input, init) => {
    const h = new Headers(init?.headers);
    for (const [k, v] of Object.entries(headers)) if (!h.has(k)) h.set(k, v);
    return base(input, { ...init, headers: h });
  };
}

/** An openid-client Configuration for one client at one authorization server. */
export function oauthConfiguration(
  cfg: Pick<ResolvedConfig, 'httpTimeoutMs' | 'fetch' | 'allowInsecureHttp'> & { maxResponseBytes?: number },
  issuer: Pick<ResolvedIssuer, 'iss' | 'clientId' | 'clientType' | 'clientSecret' | 'jwksUrl' | 'headers' | 'tokenEndpointAuthMethod'>,
  keys: SigningKey[], as: AuthServer, capture?: TokenResponseCapture): oidc.Configuration {
  const server: oidc.ServerMetadata = {
    issuer: as.issuer,
    token_endpoint: as.tokenEndpoint,
    ...(as.authorizationEndpoint ? { authorization_endpoint: as.authorizationEndpoint } : {}),
    ...(as.jwksUri ? { jwks_uri: as.jwksUri } : {}),
    ...(as.revocationEndpoint ? { revocation_endpoint: as.revocationEndpoint } : {}),
    ...(as.introspectionEndpoint ? { introspection_endpoint: as.introspectionEndpoint } : {}),
    ...(as.issParameterSupported ? { authorization_response_iss_parameter_supported: true } : {}),
  };
  const conf = new oidc.Configuration(server, issuer.clientId, {}, clientAuth(issuer, keys, as));
  conf.timeout = Math.ceil(cfg.httpTimeoutMs / 1000);
  // Token responses are repaired and their id_token taken out (verified in oauth/id-token.ts).
  // Token, revocation and JWKS answers are read capped (oauth/limits.ts), never whole into memory.
  let f = withHeaders(cappedFetch(cfg.fetch, cfg.maxResponseBytes), issuer.headers);
  if (capture) f = repairingFetch(f, as.tokenEndpoint, capture);
  conf[oidc.customFetch] = (url, options) => f(url, options as RequestInit);
  // Discovery already refused http endpoints off loopback unless dangerously allowed.
  const endpoints = [as.tokenEndpoint, as.jwksUri, as.revocationEndpoint, as.introspectionEndpoint].filter((u): u is string => !!u);
  if (endpoints.some((u) => u.startsWith('http:'))) {
    if (!cfg.allowInsecureHttp && !endpoints.every((u) => u.startsWith('https:') || isLoopbackUrl(u))) {
      throw new ConfigError('smart-launch: refusing http endpoints off loopback (SMART requires TLS)');
    }
    oidc.allowInsecureRequests(conf);
  }
  return conf;
}

/**
 * oauth4webapi errors can carry the whole token response (`cause.body`: access and refresh
 * tokens) when it is malformed. Only the name, code and message travel on as our error's cause.
 */
function redacted(e: unknown): Error {
  const src = e as { name?: unknown; code?: unknown; message?: unknown; cause?: { message?: unknown } };
  const inner = typeof src?.cause?.message === 'string' ? `: ${src.cause.message}` : '';
  const out = new Error(`${typeof src?.message === 'string' ? src.message : 'error'}${inner}`.slice(0, 300));
  out.name = typeof src?.name === 'string' ? src.name : 'Error';
  if (typeof src?.code === 'string') (out as Error & { code: string }).code = src.code;
  return out;
}

/** Maps openid-client / oauth4webapi failures to a TokenError with a safe message. */
export function toTokenError(e: unknown, what: string, code: typeof ErrorCode.TOKEN_REQUEST_FAILED | typeof ErrorCode.REFRESH_FAILED = ErrorCode.TOKEN_REQUEST_FAILED): TokenError {
  if (e instanceof TokenError) return e;
  // openid-client wraps what customFetch throws: a capped body keeps its own code.
  const tooLarge = e instanceof ResponseTooLargeError ? e : (e as { cause?: unknown })?.cause instanceof ResponseTooLargeError ? (e as { cause: ResponseTooLargeError }).cause : undefined;
  if (tooLarge) return new TokenError(ErrorCode.RESPONSE_TOO_LARGE, `${what} failed: ${tooLarge.message}`, { status: 502 });
  if (e instanceof oidc.ResponseBodyError) {
    const oauth = { error: String(e.error), ...(e.error_description ? { error_description: String(e.error_description) } : {}), ...(e.cause && typeof e.cause === 'object' && 'error_uri' in e.cause ? { error_uri: String((e.cause as { error_uri: unknown }).error_uri) } : {}) };
    return new TokenError(code, `${what} failed: ${oauth.error}${oauth.error_description ? ` (${oauth.error_description})` : ''}`, { cause: redacted(e), status: 502, oauth });
  }
  if (e instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with WWW-Authenticate (e.g. invalid_client): the challenge carries the OAuth error.
    const p = e.cause.find((c) => c.parameters.error)?.parameters;
    const oauth = { error: String(p?.error ?? 'invalid_client'), ...(p?.error_description ? { error_description: String(p.error_description) } : {}) };
    return new TokenError(code, `${what} failed: ${oauth.error}${oauth.error_description ? ` (${oauth.error_description})` : ''}`, { cause: redacted(e), status: 502, oauth });
  }
  const err = e as { name?: string; code?: string; message?: string };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.code === 'OAUTH_TIMEOUT') {
    return new TokenError(ErrorCode.TIMEOUT, `${what} failed: the authorization server did not answer in time`, { cause: redacted(e), status: 504 });
  }
  // oauth4webapi messages name the failed check, never the token or claim values.
  const inner = (err as { cause?: { message?: unknown } })?.cause?.message;
  const detail = typeof inner === 'string' ? inner : typeof err?.message === 'string' ? err.message : '';
  if (/JWT|JWS|ID Token|id_token|nonce|signature/i.test(detail) || (typeof err?.code === 'string' && /JWT|KEY_SELECTION/.test(err.code))) {
    return new TokenError(ErrorCode.ID_TOKEN_INVALID, `${what} failed: the id_token is invalid (${detail.slice(0, 120)})`, { cause: redacted(e), status: 502 });
  }
  // A 200 that is not a token response (RFC 6749 5.1): not JSON, no access_token, no Bearer token_type.
  if (err?.code === 'OAUTH_INVALID_RESPONSE' || err?.code === 'OAUTH_RESPONSE_IS_NOT_JSON' || err?.code === 'OAUTH_PARSE_ERROR') {
    return new TokenError(ErrorCode.TOKEN_RESPONSE_INVALID, `${what} failed: the token response is invalid (${detail.slice(0, 120) || err.code})`, { cause: redacted(e), status: 502 });
  }
  return new TokenError(code, `${what} failed: ${detail.slice(0, 120) || err?.code || 'error'}`, { cause: redacted(e), status: 502 });
}
