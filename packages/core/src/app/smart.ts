import { handleCallback } from './callback.js';
import type { SmartConfig, SmartRoutes } from '../config.js';
import type { SmartContext } from '../fhir/context.js';
import { getCookie, parseCookies } from '../session/cookies.js';
import { SmartCore } from './core.js';
import { ErrorCode, SessionError, SmartError, isSmartError } from '../errors.js';
import { FhirClient } from '../fhir/client.js';
import { errorPage, pageHeaders } from './html.js';
import { handleLaunch } from './launch.js';
import { parseScopes, type ScopeSet } from '../fhir/scopes.js';
import { SessionContext } from '../session/context.js';
import type { SessionData } from '../session/types.js';
import { appOrigin, webOriginSource, type OriginPolicy } from '../origin.js';
import { jwksResponse, publicJwks } from '../oauth/jwks.js';
import { chooseLaunch, forwardedHandle, launchAmbiguous, launchNotFound, stickyRedirect, type LaunchRequest } from './launches.js';
import { handleLogout } from './logout.js';

/**
 * What the adapters pass in for the per-request session lookup (the hot path): the Cookie header,
 * the absolute request URL (decides the Secure cookie attribute on loopback http), and the headers
 * and method that tie the request to one of the browser's launches (ADR 0008).
 */
export interface SessionRequest extends LaunchRequest {}

export interface SessionHooks {
  /** Receives Set-Cookie values produced later, e.g. by a refresh after a FHIR 401. */
  setCookie?(values: string[]): void;
}

export interface SessionResult {
  context: SmartContext | null;
  /** Set-Cookie values the response must carry (empty when nothing changed). */
  setCookie: readonly string[];
  /** Why there is no context when a session existed (expired, refresh failed, launch ambiguous...). */
  error?: SmartError;
  /**
   * The launch the request's URL named (ADR 0008), also when it has ended: adapters forward it to
   * code that can't see the URL (Next.js: the `x-smart-launch` request header for getSmart()).
   */
  launchHandle?: string;
  /**
   * An answer the adapter sends instead of running the route: the sticky-URL redirect of a page
   * load, or the 409 page of an ambiguous one.
   */
  response?: Response;
}

export interface Smart {
  /**
   * Handles the launch, callback and logout routes (and `routes.jwks` when set); undefined for any
   * other path. The app's origin comes from the origin policy (`baseUrl`, `trustProxy`).
   */
  handle(request: Request): Promise<Response | undefined>;
  /** Loads (and if needed refreshes) the session of a request. Never throws. */
  session(req: SessionRequest, hooks?: SessionHooks): Promise<SessionResult>;
  /**
   * The synchronous fast path of `session()`: the result when no I/O is needed (no session
   * cookie, or a verified fresh session), undefined when the caller must await `session()`.
   */
  peekSession(req: SessionRequest, hooks?: SessionHooks): SessionResult | undefined;
  /** Turns an error into a safe HTML or JSON answer. */
  errorResponse(error: unknown, request: Request): Response;
  /** Imports keys and checks what can be checked before the first request. */
  ready(): Promise<void>;
  readonly routes: Readonly<SmartRoutes>;
  /** `baseUrl` and `trustProxy`, for adapters that compute the app's origin (`appOrigin`). */
  readonly originPolicy: OriginPolicy;
}

/** Whether `pathname` is one of the routes `handle()` serves (launch, callback, logout, jwks). */
export function isSmartRoute(routes: Readonly<SmartRoutes>, pathname: string): boolean {
  return pathname === routes.launch || pathname === routes.callback || pathname === routes.logout || (routes.jwks !== undefined && pathname === routes.jwks);
}

const scopeCache = new WeakMap<SessionData, ScopeSet>();
const NO_COOKIES: readonly string[] = Object.freeze([]);
const NO_SESSION: SessionResult = Object.freeze({ context: null, setCookie: NO_COOKIES });

/** Creates the framework-agnostic SMART client. Validates `config` now (throws ConfigError). */
export function createSmart(config: SmartConfig): Smart {
  const core = new SmartCore(config);
  const { routes } = core.cfg;
  const originPolicy: OriginPolicy = { ...(core.cfg.baseUrl ? { baseUrl: core.cfg.baseUrl } : {}), trustProxy: core.cfg.trustProxy };

  function buildContext(data: SessionData, req: SessionRequest, hooks: SessionHooks | undefined): SmartContext {
    let scopes = scopeCache.get(data);
    if (!scopes) scopeCache.set(data, (scopes = parseScopes(data.scope)));
    return new SessionContext(data, scopes, () => {
      let current = data;
      const extraHeaders = core.issuer(data.iss)?.headers;
      return new FhirClient({
        serverUrl: data.iss,
        fetch: core.cfg.fetch,
        // Per-EHR headers (e.g. Epic-Client-ID); the FHIR client never lets them set Authorization.
        ...(extraHeaders ? { headers: extraHeaders } : {}),
        getAccessToken: () => current.accessToken,
        // SMART App Launch step 7 (https://hl7.org/fhir/smart-app-launch/app-launch.html): refresh once on a 401, then retry once.
        onUnauthorized: async () => {
          if (!current.refreshToken) return undefined;
          try {
            const next = await core.refresher.refresh(current);
            current = next;
            const cookies = await core.sessions.cookieFor(next, parseCookies(req.cookie), core.secureCookies(req.url));
            if (cookies.length) hooks?.setCookie?.(cookies);
            return next.accessToken;
          } catch (e) {
            core.log('warn', 'smart-launch: refresh after 401 failed', { code: isSmartError(e) ? e.code : 'error' });
            return undefined;
          }
        },
      });
    }, core.cfg.session.launchParam);
  }

  const needsRefresh = (data: SessionData) => data.expiresAt !== undefined && data.expiresAt - core.cfg.refreshSkewSeconds <= Date.now() / 1000;

  /**
   * Hot path: no session cookie, or a session this process already verified and still fresh.
   * Which session: the request's launch (ADR 0008), resolved by `chooseLaunch`, the one rule.
   */
  function peekSession(req: SessionRequest, hooks?: SessionHooks): SessionResult | undefined {
    const cookie = req.cookie;
    // The single pre-0008 cookie: the slow path clears it.
    // (getCookie looks at pair starts only: cheaper than a substring search of the whole header.)
    if (cookie && getCookie(cookie, core.cfg.session.cookieName) !== undefined) return undefined;
    const choice = chooseLaunch(core, req);
    if (choice.kind === 'none') return NO_SESSION;
    if (choice.kind === 'ambiguous') return { context: null, setCookie: NO_COOKIES, ...launchAmbiguous(core, req) };
    const launchHandle = forwardedHandle(choice);
    // peek() reads the slot's cookie where it starts (null: not there), so the header is not
    // searched a second time for it.
    const hit = cookie ? core.sessions.peek(cookie, choice.handle) : null;
    if (hit === null) return { context: null, setCookie: NO_COOKIES, error: launchNotFound(), ...(launchHandle ? { launchHandle } : {}) };
    if (!hit || hit.stale || needsRefresh(hit.data)) return undefined;
    const response = stickyRedirect(core, req, choice);
    return { context: buildContext(hit.data, req, hooks), setCookie: NO_COOKIES, ...(launchHandle ? { launchHandle } : {}), ...(response ? { response } : {}) };
  }

  function session(req: SessionRequest, hooks?: SessionHooks): Promise<SessionResult> {
    const hit = peekSession(req, hooks);
    return hit ? Promise.resolve(hit) : loadSession(req, hooks);
  }

  async function loadSession(req: SessionRequest, hooks?: SessionHooks): Promise<SessionResult> {
    const cookies = parseCookies(req.cookie);
    const secure = core.secureCookies(req.url);
    const legacy = core.sessions.clearLegacy(cookies, secure);
    const choice = chooseLaunch(core, req);
    if (choice.kind === 'none') return { context: null, setCookie: legacy };
    if (choice.kind === 'ambiguous') return { context: null, setCookie: legacy, ...launchAmbiguous(core, req) };
    const launchHandle = forwardedHandle(choice);
    if (!cookies.has(core.sessions.cookieName(choice.handle))) return { context: null, setCookie: legacy, error: launchNotFound(), ...(launchHandle ? { launchHandle } : {}) };
    const result = await loadSlot(req, hooks, cookies, secure, choice.handle);
    const response = result.context ? stickyRedirect(core, req, choice) : undefined;
    return { ...result, setCookie: [...legacy, ...result.setCookie], ...(launchHandle ? { launchHandle } : {}), ...(response ? { response } : {}) };
  }

  async function loadSlot(req: SessionRequest, hooks: SessionHooks | undefined, cookies: Map<string, string>, secure: boolean, slot: string): Promise<SessionResult> {
    let loaded;
    try {
      loaded = await core.sessions.load(cookies, slot);
    } catch (e) {
      core.log('error', 'smart-launch: session store failed', { code: (e as Error)?.name });
      return { context: null, setCookie: [], error: new SessionError(ErrorCode.SESSION_STORE_UNAVAILABLE, 'The session store is unavailable', { status: 503, cause: e }) };
    }
    // A forged, corrupt or expired cookie: not signed in, and the cookie goes away.
    if (!loaded) return { context: null, setCookie: await core.sessions.destroy(undefined, cookies, secure, slot), error: launchNotFound() };
    let { data } = loaded;
    let setCookie: string[] = loaded.stale ? await core.sessions.cookieFor(data, cookies, secure) : [];
    const now = Date.now() / 1000;
    if (needsRefresh(data)) {
      try {
        const next = await core.refresher.refresh(data);
        // Concurrent requests share one refresh; each response still carries the new cookie.
        setCookie = await core.sessions.cookieFor(next, cookies, secure);
        data = next;
      } catch (e) {
        const err = isSmartError(e) ? e : new SessionError(ErrorCode.REFRESH_FAILED, 'The token refresh failed', { cause: e, status: 502 });
        if (err instanceof SessionError && err.code === ErrorCode.SESSION_EXPIRED) {
          return { context: null, setCookie: await core.sessions.destroy(data, cookies, secure), error: err };
        }
        // A transient failure while the token is still valid: keep going with it.
        if (data.expiresAt! > now) core.log('warn', 'smart-launch: early refresh failed; using the current token', { code: err.code });
        else return { context: null, setCookie, error: err };
      }
    }
    return { context: buildContext(data, req, hooks), setCookie };
  }

  function errorResponse(error: unknown, request: Request): Response {
    const err = isSmartError(error) ? error : new SmartError(ErrorCode.AUTHORIZATION_ERROR, 'Sign-in failed', { cause: error });
    if (!isSmartError(error)) core.log('error', 'smart-launch: unexpected error', { name: (error as Error)?.name });
    else core.log('warn', `smart-launch: ${err.code}`, { status: err.status });
    const headers = new Headers();
    for (const c of err.clearCookies) headers.append('set-cookie', c);
    if (wantsJson(request)) {
      headers.set('content-type', 'application/json');
      headers.set('cache-control', 'no-store');
      return new Response(JSON.stringify(err.toJSON()), { status: err.status, headers });
    }
    for (const [k, v] of Object.entries(pageHeaders())) headers.set(k, v);
    return new Response(errorPage('Could not sign in to the EHR', { code: err.code, message: err.message, ...(err.oauth ? { oauth: err.oauth } : {}) }, routes.launch), { status: err.status, headers });
  }

  async function handle(request: Request): Promise<Response | undefined> {
    const raw = new URL(request.url);
    if (!isSmartRoute(routes, raw.pathname)) return undefined;
    // The app's public origin (redirect URI, logout Origin check, Secure cookies): one policy.
    const url = new URL(raw.pathname + raw.search, appOrigin(originPolicy, webOriginSource(request)));
    const path = url.pathname;
    const method = request.method.toUpperCase();
    try {
      if (path === routes.logout && (method === 'GET' || method === 'POST')) return await handleLogout(core, request, url);
      // Only GET runs the launch and the callback: a HEAD (link scanners, prefetchers) must not
      // spend the one-time code nor start a sign-in (RFC 9110 9.3.2: HEAD is GET without a body,
      // but the code is single use, RFC 6749 4.1.2).
      if (method !== 'GET') return new Response(null, { status: 405, headers: { allow: 'GET', 'cache-control': 'no-store' } });
      if (path === routes.jwks) return await jwks();
      if (path === routes.launch) return await handleLaunch(core, url);
      return await handleCallback(core, request, url);
    } catch (e) {
      return errorResponse(e, request);
    }
  }

  // The public halves of the configured private_key_jwt keys (RFC 7517 section 5).
  async function jwks(): Promise<Response> {
    const keys = [];
    for (const issuer of core.configuredIssuers()) keys.push(...(await core.keysFor(issuer)));
    return jwksResponse(await publicJwks(keys));
  }

  /** Imports the keys; a failure is logged through the configured logger, then thrown. */
  async function ready(): Promise<void> {
    try {
      for (const issuer of core.configuredIssuers()) await core.keysFor(issuer);
    } catch (e) {
      core.log('error', `smart-launch: startup failed: ${isSmartError(e) ? e.message : 'could not load the configuration'}`, { code: isSmartError(e) ? e.code : 'error' });
      throw e;
    }
  }

  return { handle, session, peekSession, errorResponse, ready, routes, originPolicy };
}

function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

export { SmartCore };
