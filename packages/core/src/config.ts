import { ConfigError } from './errors.js';
import type { SessionStore } from './session/types.js';
import { isLoopbackUrl, normalizeBaseUrl } from './url.js';

/** A private key for private_key_jwt: a JWK (object or JSON string) or a PKCS#8 PEM. */
export type PrivateKeyInput = Record<string, unknown> | string;

/** Client settings for one EHR (one FHIR base URL): client registrations are per server. */
export interface SmartIssuerConfig {
  /**
   * FHIR base URL of the EHR; the launch `iss` must equal it (trailing slash ignored). May be a
   * tenant template whose placeholders are whole path segments, e.g.
   * `https://fhir-ehr.cerner.com/r4/:tenant`: one client for every tenant on that scheme and host.
   */
  iss: string;
  clientId: string;
  /** Confidential symmetric client (client_secret_basic, or client_secret_post: `tokenEndpointAuthMethod`). */
  clientSecret?: string;
  /**
   * How a `clientSecret` is sent to the token endpoint (RFC 6749 section 2.3.1): HTTP Basic
   * (`client_secret_basic`, the default) or in the form body (`client_secret_post`), as registered.
   */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Confidential asymmetric client (private_key_jwt). One key or several (the first signs). */
  privateKey?: PrivateKeyInput | PrivateKeyInput[];
  /** Signing algorithm for private_key_jwt; default from the key (RS384 for RSA, ES384 for EC). */
  alg?: 'RS384' | 'ES384';
  /** Scopes to request; default: the top-level `scope`. */
  scope?: string;
  /** Exact redirect URI registered at this EHR; default `{origin}{routes.callback}`. */
  redirectUri?: string;
  /** 'auto' (default) POSTs the authorize request when the server advertises `authorize-post`. */
  authorizeMethod?: 'GET' | 'POST' | 'auto';
  /** Fall back to the CapabilityStatement oauth-uris extension (SMART v1 servers). Default true. */
  capabilityStatementFallback?: boolean;
  /**
   * Scope syntax to request. 'auto' (default): SMART v1 (`patient/*.read`) when the server
   * advertises `permission-v1` without `permission-v2`, or is a v1 server (no well-known);
   * else the configured (v2) scopes.
   */
  scopeVersion?: 'auto' | 'v1' | 'v2';
  /** Extra headers for this EHR's token and FHIR requests (e.g. Epic's `Epic-Client-ID`). */
  headers?: Record<string, string>;
  /**
   * The https URL where this app serves its JWK Set; sent as `jku` in client assertions (Epic
   * finds the key there). Must be the URL registered with the EHR.
   */
  jwksUrl?: string;
  /** UNSAFE: accept an id_token without a `nonce` claim (replay protection lost). */
  dangerouslyAllowIdTokenWithoutNonce?: boolean;
  /** UNSAFE: accept an id_token without an `aud` claim (a token for another client may pass). */
  dangerouslyAllowIdTokenWithoutAudience?: boolean;
}

export interface SmartSessionConfig {
  /** Secret(s) (>= 32 chars) used to seal cookies. The first seals; all unseal (key rotation). */
  secret: string | string[];
  /** Server-side store; default: the whole session sealed into chunked cookies. */
  store?: SessionStore;
  cookieName?: string;
  /** SameSite for session and transaction cookies; 'none' for EHRs that embed the app in an iframe. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Secure cookies; default: true unless the app is served over http on a loopback host. */
  secure?: boolean;
  /** Absolute session lifetime in seconds. Default 8 hours. */
  maxAge?: number;
  /**
   * Cookie mode: the most bytes all session cookies together may add to the Cookie header the
   * browser sends back. Default 7168 (7 KB), under nginx's 8 KB header buffer and Node's 16 KB
   * limit. A bigger session fails the sign-in (`session_too_large`): configure `store` instead.
   */
  maxCookieBytes?: number;
  /**
   * Concurrent launches (tabs, EHR activities) one browser may hold, each its own session; at a
   * new launch beyond it the oldest ends. Default 5. Cookie mode also keeps all of them together
   * within `maxCookieBytes` (older launches end first). See docs/several-launches.md.
   */
  maxLaunches?: number;
  /** Query parameter that names a page's launch (`/?smart_launch=<handle>`). Default 'smart_launch'. */
  launchParam?: string;
  /**
   * Store mode: milliseconds a session read from `store` may be reused by this process without
   * reading the store again (bounded, per session id; this process's own refreshes and logouts
   * update it at once). A logout or refresh on ANOTHER instance is then seen up to this late.
   * Default 0 (every request reads the store); at most 5000. See docs/adr/0013.
   */
  storeCacheMs?: number;
}

export interface SmartRoutes {
  launch: string;
  callback: string;
  logout: string;
  /** The app's public JWKS (for `jwks_uri` registrations); not served unless set. */
  jwks?: string;
}

export interface SmartLogger {
  debug?(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface SmartConfig {
  /** The allowlist of EHRs: a launch from any other `iss` is refused before any request goes out. */
  issuers: SmartIssuerConfig[];
  /** Issuer used by a standalone launch without `iss` (default: the first one). */
  defaultIss?: string;
  /** Public origin of the app (e.g. https://app.example.com); default: taken from each request. */
  baseUrl?: string;
  /**
   * Without `baseUrl`, take the app's scheme and host from `Forwarded` (RFC 7239) or
   * `X-Forwarded-Proto` / `X-Forwarded-Host`. Only behind a proxy that sets (overwrites) them:
   * clients can send them too. Default false: the connection's scheme and the `Host` header.
   */
  trustProxy?: boolean;
  /** Default scopes. */
  scope?: string;
  session: SmartSessionConfig;
  routes?: Partial<SmartRoutes>;
  /** Where to go after login when no `returnTo` was given. Default '/'. */
  afterLoginPath?: string;
  /** Where to go after logout. Default '/'. */
  afterLogoutPath?: string;
  /** Refresh this many seconds before the access token expires. Default 60. */
  refreshSkewSeconds?: number;
  /** Discovery cache TTL in seconds. Default 3600. */
  discoveryTtlSeconds?: number;
  /** Timeout for calls to the EHR (discovery, token, revocation), in ms. Default 10000. */
  httpTimeoutMs?: number;
  /**
   * Cap on every response body read from an EHR, a JWKS, registration or introspection endpoint
   * (read streaming; bigger answers fail with `response_too_large`). Default 1 MiB.
   */
  maxResponseBytes?: number;
  /** Clock skew tolerated on id_token times (`iat`, `exp`, `nbf`), in seconds. Default 60. */
  clockToleranceSeconds?: number;
  /**
   * Allow http:// EHR endpoints that are not on a loopback host. Never in production:
   * SMART app-launch requires TLS (RFC 6749 sections 3.1-3.2).
   */
  dangerouslyAllowInsecureHttp?: boolean;
  logger?: SmartLogger;
  /** fetch used for every outbound call (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export const DEFAULT_SCOPE = 'launch launch/patient openid fhirUser offline_access patient/*.rs';

export interface ResolvedIssuer extends Omit<SmartIssuerConfig, 'privateKey'> {
  /** The concrete FHIR base URL (a template's tenant filled in). */
  iss: string;
  /** The configured entry (`iss` itself, or the template): keys and settings are shared by it. */
  entry: string;
  scope: string;
  authorizeMethod: 'GET' | 'POST' | 'auto';
  capabilityStatementFallback: boolean;
  clientType: 'public' | 'confidential-symmetric' | 'confidential-asymmetric';
  privateKeys: PrivateKeyInput[];
}

export interface ResolvedConfig {
  issuers: Map<string, ResolvedIssuer>;
  /** Tenant templates (`https://host/r4/:tenant`), tried after the exact entries. */
  issuerTemplates: IssuerTemplate[];
  /** '' when every issuer is a template (a standalone launch then needs `iss`). */
  defaultIss: string;
  baseUrl?: string;
  trustProxy: boolean;
  session: Required<Omit<SmartSessionConfig, 'store' | 'secure' | 'secret'>> & {
    secrets: string[];
    store?: SessionStore;
    secure?: boolean;
  };
  routes: SmartRoutes;
  afterLoginPath: string;
  afterLogoutPath: string;
  refreshSkewSeconds: number;
  discoveryTtlSeconds: number;
  httpTimeoutMs: number;
  maxResponseBytes: number;
  clockToleranceSeconds: number;
  allowInsecureHttp: boolean;
  logger: SmartLogger;
  fetch: typeof fetch;
}

/** A tenant-templated allowlist entry: scheme, host and port pinned; placeholders are path segments. */
export interface IssuerTemplate {
  origin: string;
  segments: string[];
  issuer: ResolvedIssuer;
}

const PLACEHOLDER = /^:[A-Za-z][A-Za-z0-9_]*$/;
// One path segment of a tenant: RFC 3986 unreserved characters only (no %, so no encoded slash).
const TENANT = /^[A-Za-z0-9._~-]+$/;

function parseTemplate(key: string, iss: string): { origin: string; segments: string[] } | undefined {
  if (!iss.includes('/:')) return undefined;
  const url = new URL(iss);
  if (url.username || url.password || url.search || url.hash) fail(key, 'template must have no userinfo, query or fragment');
  const segments = url.pathname.split('/').slice(1);
  if (segments.some((s) => s.startsWith(':') && !PLACEHOLDER.test(s))) fail(key, 'template placeholders must be whole path segments like `/:tenant`');
  if (!segments.some((s) => PLACEHOLDER.test(s))) return undefined;
  return { origin: url.origin, segments };
}

/** Whether `iss` fills the template: same scheme, host and port; each placeholder one plain segment. */
export function matchesTemplate(t: Pick<IssuerTemplate, 'origin' | 'segments'>, iss: string): boolean {
  let url: URL;
  try {
    url = new URL(iss);
  } catch {
    return false;
  }
  // The parsed URL must spell exactly what was given: no userinfo, backslashes, dot segments,
  // case or port games that a parser would normalise into something else.
  if (url.href !== iss && url.href !== `${iss}/`) return false;
  if (url.origin !== t.origin || url.username || url.password || url.search || url.hash) return false;
  if (!iss.startsWith(`${t.origin}/`)) return false;
  const segments = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  if (segments.length !== t.segments.length) return false;
  return t.segments.every((want, i) => {
    const got = segments[i]!;
    return PLACEHOLDER.test(want) ? TENANT.test(got) && got !== '.' && got !== '..' : got === want;
  });
}

/** The issuer settings for a FHIR base URL: the exact entry, else the first template it fills. */
export function findIssuer(cfg: Pick<ResolvedConfig, 'issuers' | 'issuerTemplates'>, iss: string): ResolvedIssuer | undefined {
  const exact = cfg.issuers.get(iss);
  if (exact) return exact;
  for (const t of cfg.issuerTemplates) if (matchesTemplate(t, iss)) return { ...t.issuer, iss };
  return undefined;
}

const silentLogger: SmartLogger = { warn: () => {}, error: () => {} };

function fail(key: string, problem: string): never {
  throw new ConfigError(`smart-launch config: \`${key}\` ${problem}`);
}

function checkUrl(key: string, value: unknown, allowInsecure: boolean): string {
  if (typeof value !== 'string' || value === '') fail(key, 'must be an absolute URL string');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(key, `must be an absolute URL (got "${value}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(key, 'must be an http(s) URL');
  // SMART app-launch: TLS everywhere; plain http only on loopback (development).
  if (url.protocol === 'http:' && !allowInsecure && !isLoopbackUrl(url)) {
    fail(key, `must use https (http is only allowed on loopback hosts): "${value}"`);
  }
  return value;
}

function checkPath(key: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//')) {
    fail(key, 'must be a path starting with "/"');
  }
  return value;
}

/** Validates the config once, at startup, with messages that name the key and what it should be. */
export function resolveConfig(config: SmartConfig): ResolvedConfig {
  if (!config || typeof config !== 'object') fail('config', 'must be an object');
  const allowInsecureHttp = config.dangerouslyAllowInsecureHttp === true;
  if (!Array.isArray(config.issuers) || config.issuers.length === 0) {
    fail('issuers', 'must list at least one EHR ({ iss, clientId, ... })');
  }
  const topScope = config.scope ?? DEFAULT_SCOPE;
  const issuers = new Map<string, ResolvedIssuer>();
  const issuerTemplates: IssuerTemplate[] = [];
  config.issuers.forEach((raw, i) => {
    const key = `issuers[${i}]`;
    if (!raw || typeof raw !== 'object') fail(key, 'must be an object');
    const iss = normalizeBaseUrl(checkUrl(`${key}.iss`, raw.iss, allowInsecureHttp));
    const template = parseTemplate(`${key}.iss`, iss);
    if (issuers.has(iss) || issuerTemplates.some((t) => t.issuer.entry === iss)) fail(`${key}.iss`, `is listed twice ("${iss}")`);
    if (typeof raw.clientId !== 'string' || raw.clientId.trim() === '') fail(`${key}.clientId`, 'must be a non-empty string');
    if (raw.clientSecret !== undefined && (typeof raw.clientSecret !== 'string' || raw.clientSecret === '')) {
      fail(`${key}.clientSecret`, 'must be a non-empty string when set');
    }
    const privateKeys = raw.privateKey === undefined ? [] : Array.isArray(raw.privateKey) ? raw.privateKey : [raw.privateKey];
    for (const k of privateKeys) {
      if (typeof k !== 'string' && (typeof k !== 'object' || k === null)) fail(`${key}.privateKey`, 'must be a JWK or a PEM string');
    }
    if (raw.clientSecret && privateKeys.length) fail(key, 'set either `clientSecret` or `privateKey`, not both');
    if (raw.tokenEndpointAuthMethod !== undefined && (!raw.clientSecret || !['client_secret_basic', 'client_secret_post'].includes(raw.tokenEndpointAuthMethod))) {
      fail(`${key}.tokenEndpointAuthMethod`, 'must be "client_secret_basic" or "client_secret_post", with a `clientSecret`');
    }
    if (raw.alg !== undefined && raw.alg !== 'RS384' && raw.alg !== 'ES384') fail(`${key}.alg`, 'must be "RS384" or "ES384"');
    const authorizeMethod = raw.authorizeMethod ?? 'auto';
    if (!['GET', 'POST', 'auto'].includes(authorizeMethod)) fail(`${key}.authorizeMethod`, 'must be "GET", "POST" or "auto"');
    if (raw.redirectUri !== undefined) checkUrl(`${key}.redirectUri`, raw.redirectUri, allowInsecureHttp);
    const scope = (raw.scope ?? topScope).trim();
    if (!scope) fail(`${key}.scope`, 'must not be empty');
    if (raw.scopeVersion !== undefined && !['auto', 'v1', 'v2'].includes(raw.scopeVersion)) fail(`${key}.scopeVersion`, 'must be "auto", "v1" or "v2"');
    if (raw.jwksUrl !== undefined) checkUrl(`${key}.jwksUrl`, raw.jwksUrl, allowInsecureHttp);
    if (raw.headers !== undefined) {
      if (!raw.headers || typeof raw.headers !== 'object') fail(`${key}.headers`, 'must be an object of header names to string values');
      for (const [h, v] of Object.entries(raw.headers)) {
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h) || typeof v !== 'string' || /[\r\n]/.test(v)) fail(`${key}.headers`, `has an invalid header "${h}"`);
        // Credentials and framing are the library's job, never a fixed header.
        if (/^(authorization|cookie|host|content-length|content-type|transfer-encoding|dpop)$/i.test(h)) fail(`${key}.headers`, `must not set "${h}"`);
      }
    }
    for (const opt of ['dangerouslyAllowIdTokenWithoutNonce', 'dangerouslyAllowIdTokenWithoutAudience'] as const) {
      if (raw[opt] !== undefined && typeof raw[opt] !== 'boolean') fail(`${key}.${opt}`, 'must be true or false');
    }
    const { privateKey: _omit, ...rest } = raw;
    const resolved: ResolvedIssuer = {
      ...rest,
      iss,
      entry: iss,
      scope,
      authorizeMethod,
      capabilityStatementFallback: raw.capabilityStatementFallback ?? true,
      clientType: privateKeys.length ? 'confidential-asymmetric' : raw.clientSecret ? 'confidential-symmetric' : 'public',
      privateKeys,
    };
    if (template) issuerTemplates.push({ ...template, issuer: resolved });
    else issuers.set(iss, resolved);
  });

  const s = config.session;
  if (!s || typeof s !== 'object') fail('session', 'must be an object with at least `secret`');
  const secrets = Array.isArray(s.secret) ? s.secret : [s.secret];
  if (secrets.length === 0 || secrets.some((x) => typeof x !== 'string' || x.length < 32)) {
    fail('session.secret', 'must be a string of at least 32 characters, or a list of them (the first one seals)');
  }
  if (s.sameSite !== undefined && !['lax', 'strict', 'none'].includes(s.sameSite)) fail('session.sameSite', 'must be "lax", "strict" or "none"');
  if (s.sameSite === 'none' && s.secure === false) fail('session.secure', 'must not be false with sameSite "none" (browsers drop such cookies)');
  const cookieName = s.cookieName ?? 'smart_session';
  if (!/^[A-Za-z0-9_\-]+$/.test(cookieName)) fail('session.cookieName', 'may only contain letters, digits, "_" and "-"');
  const launchParam = s.launchParam ?? 'smart_launch';
  if (typeof launchParam !== 'string' || !/^[A-Za-z0-9_\-]{1,40}$/.test(launchParam)) fail('session.launchParam', 'must be 1-40 letters, digits, "_" or "-"');
  if (s.maxLaunches !== undefined && (!Number.isInteger(s.maxLaunches) || s.maxLaunches < 1 || s.maxLaunches > 50)) fail('session.maxLaunches', 'must be an integer from 1 to 50');
  if (s.store !== undefined && (typeof s.store.get !== 'function' || typeof s.store.set !== 'function' || typeof s.store.delete !== 'function')) {
    fail('session.store', 'must implement get(), set() and delete()');
  }

  const defaultIss = config.defaultIss ? normalizeBaseUrl(config.defaultIss) : [...issuers.keys()][0] ?? '';
  if (config.defaultIss && !findIssuer({ issuers, issuerTemplates }, defaultIss)) fail('defaultIss', `must be one of the configured issuers (got "${config.defaultIss}")`);
  const baseUrl = config.baseUrl === undefined ? undefined : new URL(checkUrl('baseUrl', config.baseUrl, true)).origin;

  if (config.trustProxy !== undefined && typeof config.trustProxy !== 'boolean') fail('trustProxy', 'must be true or false');
  const routes: SmartRoutes = {
    launch: checkPath('routes.launch', config.routes?.launch ?? '/launch'),
    callback: checkPath('routes.callback', config.routes?.callback ?? '/callback'),
    logout: checkPath('routes.logout', config.routes?.logout ?? '/logout'),
    ...(config.routes?.jwks !== undefined ? { jwks: checkPath('routes.jwks', config.routes.jwks) } : {}),
  };
  if (routes.jwks !== undefined && ![...issuers.values()].some((i) => i.privateKeys.length)) fail('routes.jwks', 'needs an issuer with a `privateKey` (there is no key to publish)');
  const num = (key: string, v: number | undefined, def: number, min: number) => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) fail(key, `must be a number >= ${min}`);
    return v;
  };
  if (s.storeCacheMs !== undefined && s.storeCacheMs > 5000) fail('session.storeCacheMs', 'must be a number from 0 to 5000 (a logout on another instance is seen that late)');
  const f = config.fetch ?? globalThis.fetch;
  if (typeof f !== 'function') fail('fetch', 'must be a fetch-compatible function');

  return {
    issuers,
    issuerTemplates,
    defaultIss,
    ...(baseUrl ? { baseUrl } : {}),
    trustProxy: config.trustProxy === true,
    session: {
      secrets,
      ...(s.store ? { store: s.store } : {}),
      ...(s.secure !== undefined ? { secure: s.secure } : {}),
      cookieName,
      sameSite: s.sameSite ?? 'lax',
      maxAge: num('session.maxAge', s.maxAge, 8 * 3600, 60),
      maxCookieBytes: num('session.maxCookieBytes', s.maxCookieBytes, 7 * 1024, 1024),
      maxLaunches: s.maxLaunches ?? 5,
      launchParam,
      storeCacheMs: num('session.storeCacheMs', s.storeCacheMs, 0, 0),
    },
    routes,
    afterLoginPath: checkPath('afterLoginPath', config.afterLoginPath ?? '/'),
    afterLogoutPath: checkPath('afterLogoutPath', config.afterLogoutPath ?? '/'),
    refreshSkewSeconds: num('refreshSkewSeconds', config.refreshSkewSeconds, 60, 0),
    discoveryTtlSeconds: num('discoveryTtlSeconds', config.discoveryTtlSeconds, 3600, 0),
    httpTimeoutMs: num('httpTimeoutMs', config.httpTimeoutMs, 10_000, 100),
    maxResponseBytes: num('maxResponseBytes', config.maxResponseBytes, 1024 * 1024, 1024),
    clockToleranceSeconds: num('clockToleranceSeconds', config.clockToleranceSeconds, 60, 0),
    allowInsecureHttp,
    logger: config.logger ?? silentLogger,
    fetch: f,
  };
}
