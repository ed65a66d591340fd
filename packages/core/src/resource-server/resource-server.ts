/**
 * The resource-server side: protect an API that receives SMART access tokens. Verifies the
 * Bearer token by introspection (RFC 7662) or as a JWT against the issuer's JWKS (RFC 9068),
 * enforces SMART v1/v2 scopes, and answers per RFC 6750 §3 (401/403 + WWW-Authenticate).
 */
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ConfigError, ErrorCode, SmartError, isSmartError, type SmartErrorOptions } from '../errors.js';
import { createIntrospector, tokenInfoFromClaims, type IntrospectionOptions, type Introspector, type TokenInfo } from './introspection.js';
import type { FhirInteraction } from '../fhir/scopes.js';
import { checkEndpoint, resolveHttp, type ServiceHttpOptions } from '../oauth/service-http.js';
import { normalizeBaseUrl } from '../url.js';

/** The verified token of a request (`req.smartToken`). `accessToken` is not enumerable (not in JSON or logs). */
export interface TokenContext extends TokenInfo {
  readonly accessToken: string;
  /** How it was verified. */
  source: 'introspection' | 'jwt';
  hasScope(scope: string): boolean;
  can(interaction: FhirInteraction, resourceType: string): boolean;
}

export interface JwtVerificationOptions {
  /** Expected `iss` claim; default the `issuer` from the smart-configuration of `iss`. */
  issuer?: string;
  /** JWKS URL; default `jwks_uri` from the smart-configuration of `iss`. */
  jwksUri?: string;
  /** Accepted algorithms; asymmetric only (HS* and `none` are never accepted). */
  algorithms?: string[];
  /** Clock skew allowance in seconds. Default 30. */
  clockToleranceSeconds?: number;
  /**
   * Required JWT `typ` header, e.g. 'at+jwt' (RFC 9068 4). Off by default: many EHRs issue JWT
   * access tokens without it.
   */
  typ?: string;
}

export interface ResourceServerOptions extends ServiceHttpOptions {
  /** FHIR base URL of the EHR whose tokens are accepted (discovery of the endpoints). */
  iss?: string;
  /**
   * This API's identifier(s): JWT `aud` must contain one (required with `jwt`); an introspection
   * answer that carries `aud` must contain one too.
   */
  audience?: string | string[];
  /** Verify by introspection: client credentials (or a Bearer token) for the endpoint, or an Introspector. */
  introspection?: Omit<IntrospectionOptions, keyof ServiceHttpOptions | 'iss'> | Introspector;
  /** Or verify JWT access tokens against the issuer's JWKS. */
  jwt?: JwtVerificationOptions | true;
  /** RFC 6750 §3 realm. Default "api". */
  realm?: string;
}

export interface ResourceServer {
  /** Verifies the Bearer token of a Request (or an Authorization header value). Throws {@link BearerError}. */
  verify(input: BearerInput): Promise<TokenContext>;
  /** {@link verify}, then {@link requireTokenScopes}. */
  authorize(input: BearerInput, scopes?: string | readonly string[]): Promise<TokenContext>;
  readonly realm: string;
}

/** An RFC 6750 failure: `status` 400/401/403 (or 503 when the token could not be checked). */
export class BearerError extends SmartError {
  override readonly name = 'BearerError';
  /** The WWW-Authenticate header value, when the status calls for one. */
  readonly challenge?: string;
  readonly missingScopes?: string[];
  constructor(code: ErrorCode, message: string, options: SmartErrorOptions & { challenge?: string; missingScopes?: string[] } = {}) {
    super(code, message, options);
    if (options.challenge) this.challenge = options.challenge;
    if (options.missingScopes) this.missingScopes = options.missingScopes;
  }
}

const WHERE = 'createResourceServer';
// RFC 7518: asymmetric algorithms only; a shared-secret (HS*) or unsigned token is never accepted.
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
// RFC 6750 §2.1: b64token.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

const quote = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;

/** RFC 6750 §3 WWW-Authenticate value. Without `error` (no credentials sent) only the realm. */
export function wwwAuthenticate(p: { realm?: string; error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope'; errorDescription?: string; scope?: string | readonly string[] }): string {
  const parts = [`realm=${quote(p.realm ?? 'api')}`];
  if (p.error) parts.push(`error=${quote(p.error)}`);
  if (p.error && p.errorDescription) parts.push(`error_description=${quote(p.errorDescription)}`);
  const scope = typeof p.scope === 'string' ? p.scope : p.scope?.join(' ');
  if (scope) parts.push(`scope=${quote(scope)}`);
  return `Bearer ${parts.join(', ')}`;
}

function unauthorized(realm: string, sent: boolean, description = 'The access token is invalid or expired'): BearerError {
  // RFC 6750 §3.1: no error code when the request had no authentication at all.
  return new BearerError(ErrorCode.NOT_AUTHENTICATED, sent ? description : 'A Bearer access token is required', {
    status: 401,
    challenge: wwwAuthenticate(sent ? { realm, error: 'invalid_token', errorDescription: description } : { realm }),
    ...(sent ? { oauth: { error: 'invalid_token', error_description: description } } : {}),
  });
}

function invalidRequest(realm: string, description: string): BearerError {
  return new BearerError(ErrorCode.INVALID_REQUEST, description, {
    status: 400,
    challenge: wwwAuthenticate({ realm, error: 'invalid_request', errorDescription: description }),
    oauth: { error: 'invalid_request', error_description: description },
  });
}

/**
 * The Bearer token of a Request or Authorization header (RFC 6750 §2.1 only). Undefined when
 * there is none; throws 400 for a malformed header or a token in the URL (§2.3: it would land in logs).
 */
/** What adapters hand over: a Web Request, the Authorization header, or both header and URL. */
export type BearerInput = Request | string | null | undefined | { authorization?: string | null; url?: string };

export function extractBearer(input: BearerInput, realm = 'api'): string | undefined {
  let header: string | null | undefined;
  let query: string | undefined;
  if (input instanceof Request) {
    query = new URL(input.url).search;
    header = input.headers.get('authorization');
  } else if (input && typeof input === 'object') {
    const i = input.url?.indexOf('?') ?? -1;
    query = i >= 0 ? input.url!.slice(i) : undefined;
    header = input.authorization;
  } else header = input;
  // RFC 6750 2.3: a token in the URL ends up in logs and Referer headers; refused.
  if (query && new URLSearchParams(query).has('access_token')) throw invalidRequest(realm, 'Access tokens are not accepted in the URL');
  if (!header) return undefined;
  if (!/^bearer(\s|$)/i.test(header)) return undefined;
  const m = BEARER.exec(header);
  if (!m) throw invalidRequest(realm, 'The Authorization header is not a valid Bearer credential');
  return m[1];
}

/** RFC 6750 §3.1 insufficient_scope: throws a 403 BearerError unless `token` covers every scope (v1/v2 union). */
export function requireTokenScopes(token: Pick<TokenContext, 'scopes'>, scopes: string | readonly string[], realm = 'api'): void {
  const missing = token.scopes.missing(scopes);
  if (missing.length === 0) return;
  throw new BearerError(ErrorCode.INSUFFICIENT_SCOPE, 'The granted scopes do not allow this', {
    status: 403,
    challenge: wwwAuthenticate({ realm, error: 'insufficient_scope', errorDescription: 'The access token lacks a required scope', scope: missing }),
    oauth: { error: 'insufficient_scope' },
    missingScopes: missing,
  });
}

/** Status, headers and JSON body for any error of the bearer path; unknown errors fail closed (503). */
export function bearerErrorParts(error: unknown): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const headers: Record<string, string> = { 'cache-control': 'no-store', 'content-type': 'application/json' };
  if (error instanceof BearerError) {
    if (error.challenge) headers['www-authenticate'] = error.challenge;
    const body: Record<string, unknown> = { error: error.oauth?.error ?? error.code, message: error.message };
    if (error.missingScopes) body.missing = error.missingScopes;
    return { status: error.status, headers, body };
  }
  // The token could not be checked (introspection endpoint down...): never let the request through.
  const message = isSmartError(error) && error.code === ErrorCode.TIMEOUT ? 'The token could not be verified in time' : 'The token could not be verified';
  return { status: 503, headers, body: { error: 'temporarily_unavailable', message } };
}

export function bearerErrorResponse(error: unknown): Response {
  const { status, headers, body } = bearerErrorParts(error);
  return new Response(JSON.stringify(body), { status, headers });
}

function toContext(info: TokenInfo, accessToken: string, source: TokenContext['source']): TokenContext {
  const ctx = { ...info, source, hasScope: (s: string) => info.scopes.has(s), can: (i: FhirInteraction, t: string) => info.scopes.can(i, t) } as TokenContext;
  Object.defineProperty(ctx, 'accessToken', { value: accessToken, enumerable: false });
  return ctx;
}

/** Creates a resource server (token verifier). Validates options now (throws ConfigError). */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  if (!options || typeof options !== 'object') throw new ConfigError(`${WHERE}: options must be an object`);
  const http = resolveHttp(options, WHERE);
  const realm = options.realm ?? 'api';
  if (!/^[\x20-\x7e]*$/.test(realm)) throw new ConfigError(`${WHERE}: \`realm\` must be printable ASCII`);
  if (!!options.introspection === !!options.jwt) throw new ConfigError(`${WHERE}: set exactly one of \`introspection\` or \`jwt\``);
  const iss = options.iss === undefined ? undefined : normalizeBaseUrl(checkEndpoint(WHERE, 'iss', options.iss, http.allowInsecureHttp));
  const audiences = options.audience === undefined ? [] : Array.isArray(options.audience) ? [...options.audience] : [options.audience as string];
  if (audiences.some((a) => typeof a !== 'string' || a === '')) throw new ConfigError(`${WHERE}: \`audience\` must be a non-empty string or list`);
  const verifyToken = options.introspection ? introspectionVerifier(options, http, iss, audiences, realm) : jwtVerifier(options, http, iss, audiences, realm);

  async function verify(input: BearerInput): Promise<TokenContext> {
    const token = extractBearer(input, realm);
    if (!token) throw unauthorized(realm, false);
    return verifyToken(token);
  }

  return {
    realm,
    verify,
    async authorize(input, scopes) {
      const ctx = await verify(input);
      if (scopes !== undefined) requireTokenScopes(ctx, scopes, realm);
      return ctx;
    },
  };
}

type Verifier = (token: string) => Promise<TokenContext>;

function introspectionVerifier(options: ResourceServerOptions, http: ReturnType<typeof resolveHttp>, iss: string | undefined, audiences: string[], realm: string): Verifier {
  const given = options.introspection!;
  const introspector: Introspector = 'introspect' in given && typeof given.introspect === 'function'
    ? given
    : createIntrospector({ ...(given as IntrospectionOptions), ...(iss && !(given as IntrospectionOptions).endpoint ? { iss } : {}), fetch: http.fetch, timeoutMs: http.httpTimeoutMs, dangerouslyAllowInsecureHttp: http.allowInsecureHttp, discovery: http.discovery });
  return async (token) => {
    const info = await introspector.introspect(token, { tokenTypeHint: 'access_token' });
    // RFC 7662 §2.2: active:false -> the token is not usable, whatever else was said.
    if (!info.active) throw unauthorized(realm, true);
    if (info.exp !== undefined && info.exp <= Date.now() / 1000) throw unauthorized(realm, true);
    if (audiences.length && info.aud && !info.aud.some((a) => audiences.includes(a))) throw unauthorized(realm, true, 'The access token is not for this API');
    return toContext(info, token, 'introspection');
  };
}

function jwtVerifier(options: ResourceServerOptions, http: ReturnType<typeof resolveHttp>, iss: string | undefined, audiences: string[], realm: string): Verifier {
  const o: JwtVerificationOptions = options.jwt === true ? {} : options.jwt!;
  // RFC 9068 §4: the resource server SHALL check aud.
  if (audiences.length === 0) throw new ConfigError(`${WHERE}: \`audience\` is required with \`jwt\``);
  if (!iss && (!o.issuer || !o.jwksUri)) throw new ConfigError(`${WHERE}: \`jwt\` needs \`iss\` (discovery) or both \`jwt.issuer\` and \`jwt.jwksUri\``);
  if (o.jwksUri !== undefined) checkEndpoint(WHERE, 'jwt.jwksUri', o.jwksUri, http.allowInsecureHttp);
  const algorithms = o.algorithms ?? ASYMMETRIC;
  if (algorithms.length === 0 || algorithms.some((a) => !ASYMMETRIC.includes(a))) throw new ConfigError(`${WHERE}: \`jwt.algorithms\` may only list asymmetric algorithms (${ASYMMETRIC.join(', ')})`);
  let resolved: Promise<{ issuer: string; keys: JWTVerifyGetKey }> | undefined;
  const setup = async () => {
    let issuer = o.issuer;
    let jwksUri = o.jwksUri;
    if (!issuer || !jwksUri) {
      const doc = await http.discovery.get(iss!);
      issuer ??= doc.issuer;
      jwksUri ??= doc.jwks_uri;
      if (!issuer || !jwksUri) throw new SmartError(ErrorCode.DISCOVERY_INVALID, `${iss} advertises no issuer/jwks_uri for JWT verification`, { status: 502 });
    }
    return { issuer, keys: createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: http.httpTimeoutMs, [customFetch]: http.authFetch }) };
  };
  return async (token) => {
    resolved ??= setup();
    resolved.catch(() => (resolved = undefined));
    const { issuer, keys } = await resolved;
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, {
        issuer,
        audience: audiences,
        algorithms,
        clockTolerance: o.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp'],
        ...(o.typ ? { typ: o.typ } : {}),
      }));
    } catch (e) {
      const code = (e as { code?: string })?.code;
      // The JWKS could not be fetched or read: the token could not be checked (503), not "invalid".
      if (code === undefined || code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JWKS_INVALID' || code === 'ERR_JOSE_GENERIC') {
        throw new SmartError(code === 'ERR_JWKS_TIMEOUT' ? ErrorCode.TIMEOUT : ErrorCode.DISCOVERY_FAILED, 'The issuer\'s JWKS could not be fetched', { cause: e, status: 503 });
      }
      throw unauthorized(realm, true);
    }
    return toContext(tokenInfoFromClaims(claims, iss), token, 'jwt');
  };
}
