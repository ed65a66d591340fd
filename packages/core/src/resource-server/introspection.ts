/**
 * Token introspection (RFC 7662; SMART 2.2 token introspection, https://hl7.org/fhir/smart-app-launch/token-introspection.html): asks the
 * authorization server whether a token is active and with what scope and launch context.
 */
import * as oidc from 'openid-client';
import type { PrivateKeyInput } from '../config.js';
import { coerceBoolean, normalizeFhirContext, normalizeId, normalizeScope, resolveFhirUser, type FhirContextItem } from '../fhir/context.js';
import { ConfigError, ErrorCode, SmartError } from '../errors.js';
import type { AssertionAlg, SigningKey } from '../oauth/keys.js';
import { oauthConfiguration, toTokenError, type AuthServer } from '../oauth/client.js';
import { ResponseTooLargeError } from '../oauth/limits.js';
import { parseScopes, type ScopeSet } from '../fhir/scopes.js';
import { checkEndpoint, checkNonEmpty, importKeys, privateKeyList, resolveHttp, type ServiceHttpOptions } from '../oauth/service-http.js';
import { normalizeBaseUrl } from '../url.js';

export interface IntrospectionOptions extends ServiceHttpOptions {
  /** FHIR base URL; `introspection_endpoint` (and the token endpoint) come from its smart-configuration. */
  iss?: string;
  /** Introspection endpoint, instead of discovery. */
  endpoint?: string;
  /** Audience of private_key_jwt assertions when `endpoint` is given without `iss`; default the endpoint. */
  tokenEndpoint?: string;
  /** Client authentication (SMART 2.0): client_secret_basic with `clientSecret`, or private_key_jwt with `privateKey`/`jwks`. */
  clientId?: string;
  clientSecret?: string;
  privateKey?: PrivateKeyInput | PrivateKeyInput[];
  jwks?: { keys: PrivateKeyInput[] };
  alg?: AssertionAlg;
  /** Or (SMART 2.2) a Bearer token authorized to introspect, e.g. from a backend client. */
  bearerToken?: string | (() => string | Promise<string>);
}

/** A normalised introspection answer. For an inactive token only `active: false` is meaningful. */
export interface TokenInfo {
  active: boolean;
  /** Granted scope (normalised); '' when none. */
  scope: string;
  scopes: ScopeSet;
  clientId?: string;
  /** Epoch seconds. */
  exp?: number;
  iat?: number;
  sub?: string;
  iss?: string;
  aud?: string[];
  /** Patient id (`Patient/123` and `123` both give `123`, SMART token introspection `patient`). */
  patient?: string;
  encounter?: string;
  fhirUser?: string;
  fhirContext: FhirContextItem[];
  needPatientBanner?: boolean;
  intent?: string;
  tenant?: string;
  /** The raw answer or JWT claims. */
  claims: Record<string, unknown>;
}

export interface Introspector {
  introspect(token: string, options?: { tokenTypeHint?: 'access_token' | 'refresh_token' }): Promise<TokenInfo>;
}

const WHERE = 'createIntrospector';
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

/** Normalises introspection answers and JWT access-token claims alike (lenient on input). */
export function tokenInfoFromClaims(claims: Record<string, unknown>, serverUrl?: string): TokenInfo {
  // RFC 9068 uses `scope` (string); some servers send `scp` (list).
  const rawScope = typeof claims.scope === 'string' ? claims.scope : Array.isArray(claims.scp) ? claims.scp.filter((s) => typeof s === 'string').join(' ') : '';
  const scope = normalizeScope(rawScope, '');
  const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === 'string') : undefined;
  const info: TokenInfo = { active: claims.active === undefined ? true : claims.active === true, scope, scopes: parseScopes(scope), fhirContext: normalizeFhirContext(claims.fhirContext), claims };
  const set = <K extends keyof TokenInfo>(k: K, v: TokenInfo[K] | undefined) => {
    if (v !== undefined) info[k] = v;
  };
  set('clientId', str(claims.client_id) ?? str(claims.azp) ?? str(claims.cid));
  set('exp', num(claims.exp));
  set('iat', num(claims.iat));
  set('sub', str(claims.sub));
  set('iss', str(claims.iss));
  set('aud', aud);
  set('patient', normalizeId(claims.patient, 'Patient'));
  set('encounter', normalizeId(claims.encounter, 'Encounter'));
  set('fhirUser', serverUrl ? resolveFhirUser(claims.fhirUser, serverUrl) : str(claims.fhirUser));
  set('needPatientBanner', coerceBoolean(claims.need_patient_banner));
  set('intent', str(claims.intent));
  set('tenant', str(claims.tenant));
  return info;
}

/** Creates an introspection client. Validates options now (throws ConfigError). */
export function createIntrospector(options: IntrospectionOptions): Introspector {
  if (!options || typeof options !== 'object') throw new ConfigError(`${WHERE}: options must be an object`);
  const http = resolveHttp(options, WHERE);
  if ((options.iss === undefined) === (options.endpoint === undefined)) throw new ConfigError(`${WHERE}: set exactly one of \`iss\` (FHIR base URL) or \`endpoint\``);
  const iss = options.iss === undefined ? undefined : normalizeBaseUrl(checkEndpoint(WHERE, 'iss', options.iss, http.allowInsecureHttp));
  const fixed = options.endpoint === undefined ? undefined : checkEndpoint(WHERE, 'endpoint', options.endpoint, http.allowInsecureHttp);
  const keyList = privateKeyList(WHERE, options.privateKey, options.jwks);
  const bearer = options.bearerToken;
  const modes = [keyList.length > 0, options.clientSecret !== undefined, bearer !== undefined].filter(Boolean).length;
  // RFC 7662 §2.1: the introspection request SHALL be authenticated.
  if (modes !== 1) throw new ConfigError(`${WHERE}: set exactly one way to authenticate: \`privateKey\`/\`jwks\`, \`clientSecret\` or \`bearerToken\``);
  if (bearer === undefined) checkNonEmpty(WHERE, 'clientId', options.clientId);
  if (options.clientSecret !== undefined) checkNonEmpty(WHERE, 'clientSecret', options.clientSecret);
  let keys: Promise<SigningKey[]> | undefined;

  async function authServer(): Promise<AuthServer & { introspectionEndpoint: string }> {
    if (fixed) return { issuer: new URL(fixed).origin, tokenEndpoint: options.tokenEndpoint ?? fixed, introspectionEndpoint: fixed };
    const doc = await http.discovery.get(iss!);
    if (!doc.introspection_endpoint) throw new SmartError(ErrorCode.INTROSPECTION_FAILED, `${iss} does not advertise an introspection_endpoint`, { status: 502 });
    return {
      issuer: doc.issuer ?? new URL(doc.token_endpoint).origin,
      tokenEndpoint: doc.token_endpoint,
      introspectionEndpoint: doc.introspection_endpoint,
      ...(doc.token_endpoint_auth_signing_alg_values_supported ? { signingAlgs: doc.token_endpoint_auth_signing_alg_values_supported } : {}),
    };
  }

  async function withClientAuth(as: AuthServer, token: string, hint?: string): Promise<Record<string, unknown>> {
    if (keyList.length) {
      keys ??= importKeys(keyList, options.alg);
      keys.catch(() => (keys = undefined));
    }
    const conf = oauthConfiguration(
      http,
      { iss: iss ?? as.issuer, clientId: options.clientId!, clientType: keyList.length ? 'confidential-asymmetric' : 'confidential-symmetric', ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}) },
      keys ? await keys : [],
      as,
    );
    try {
      return (await oidc.tokenIntrospection(conf, token, hint ? { token_type_hint: hint } : undefined)) as unknown as Record<string, unknown>;
    } catch (e) {
      const err = toTokenError(e, 'Token introspection');
      if (err.code === ErrorCode.RESPONSE_TOO_LARGE) throw err;
      throw new SmartError(ErrorCode.INTROSPECTION_FAILED, err.message, { cause: e, status: 502, ...(err.oauth ? { oauth: err.oauth } : {}) });
    }
  }

  async function withBearer(endpoint: string, token: string, hint?: string): Promise<Record<string, unknown>> {
    const credential = typeof bearer === 'function' ? await bearer() : bearer!;
    const body = new URLSearchParams({ token });
    if (hint) body.set('token_type_hint', hint);
    let res: Response;
    try {
      // SMART 2.2 token-introspection: authorized by a Bearer token with a suitable scope.
      res = await http.authFetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(http.httpTimeoutMs),
      });
    } catch (cause) {
      if (cause instanceof ResponseTooLargeError) throw cause;
      throw new SmartError(ErrorCode.INTROSPECTION_FAILED, 'Token introspection failed: network error or timeout', { cause, status: 502 });
    }
    const json = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (!res.ok || !json || typeof json.active !== 'boolean') {
      const error = typeof json?.error === 'string' ? json.error : undefined;
      throw new SmartError(ErrorCode.INTROSPECTION_FAILED, `Token introspection failed: ${error ?? `HTTP ${res.status}`}`, { status: 502, ...(error ? { oauth: { error } } : {}) });
    }
    return json;
  }

  return {
    async introspect(token, opts = {}) {
      if (typeof token !== 'string' || token === '') return inactive();
      const as = await authServer();
      const raw = bearer !== undefined ? await withBearer(as.introspectionEndpoint, token, opts.tokenTypeHint) : await withClientAuth(as, token, opts.tokenTypeHint);
      // RFC 7662 §2.2: an inactive token carries no other information worth trusting.
      if (raw.active !== true) return inactive();
      return tokenInfoFromClaims(raw, iss);
    },
  };
}

function inactive(): TokenInfo {
  return { active: false, scope: '', scopes: parseScopes(''), fhirContext: [], claims: { active: false } };
}

/** One-shot introspection; prefer {@link createIntrospector} to reuse discovery and keys. */
export function introspect(token: string, options: IntrospectionOptions): Promise<TokenInfo> {
  return createIntrospector(options).introspect(token);
}
