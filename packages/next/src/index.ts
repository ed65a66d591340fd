import { createHash } from 'node:crypto';
import { cookies, headers } from 'next/headers.js';
import { connection, type NextRequest } from 'next/server.js';
import { createSmart, type SessionResult, type Smart, type SmartConfig, type SmartContext } from '@smart-launch/core';
import { answerResponse, guardSession, isSmart, resolveSession } from '@smart-launch/core/adapter';
import { parseSetCookie } from './cookies.js';
import { createProxy, nextOriginSource, type SmartProxyOptions } from './proxy.js';

/** A config, a core instance, or a function returning one (read lazily so `next build` needs no env). */
export type SmartNextInput = SmartConfig | Smart | (() => SmartConfig | Smart);

export type SmartRouteHandler = (request: Request) => Promise<Response>;

export interface SmartReadyOptions {
  /** On a bad config, print the error and exit the process (code 1) instead of rejecting. */
  exitOnError?: boolean;
}

export interface WithSmartOptions {
  /** Scopes the session must have been granted (SMART v1/v2 union semantics); else 403. */
  scopes?: string[];
}

export interface SmartNext {
  /** `export const { GET, POST } = handlers` in the launch, callback and logout route files. */
  readonly handlers: { GET: SmartRouteHandler; POST: SmartRouteHandler };
  /**
   * The SMART session of the current request (Server Components, Server Actions, Route Handlers),
   * the same `SmartContext` as Express's `req.smart`; null without one.
   */
  getSmart(): Promise<SmartContext | null>;
  /**
   * Wraps a Route Handler: 401 JSON without a session, 403 (listing the missing scopes) when the
   * session's scopes do not cover `options.scopes`, else `handler(request, smart, ctx)`.
   */
  withSmart<C>(handler: (request: NextRequest, smart: SmartContext, ctx: C) => Response | Promise<Response>, options?: WithSmartOptions): (request: NextRequest, ctx: C) => Promise<Response>;
  /** `export const proxy = createProxy({ requireSession: [...] })` in `proxy.ts`: refreshes ahead of rendering, guards paths. */
  createProxy(options?: SmartProxyOptions): (request: NextRequest) => Promise<Response>;
  /**
   * Creates and validates the instance, imports keys: call it from `instrumentation.ts` `register()`.
   * Rejects on a bad config. Next.js only logs an error thrown by `register()` and keeps serving
   * (500 to every request), so pass `{ exitOnError: true }` there: the error (naming the config key,
   * never a secret) goes to stderr and the process exits with code 1, which stops `next start`.
   */
  ready(options?: SmartReadyOptions): Promise<void>;
  /** The core instance (created on first use). */
  readonly smart: Smart;
}

/**
 * Next.js evaluates smart.ts once per bundle (proxy, each route, the RSC layer) in one process, so
 * instances are shared per config content on globalThis: one refresh single-flight, one memory of
 * the newest session revision (a refresh Next.js could not send as a cookie is re-sent next time).
 */
const REGISTRY = Symbol.for('@smart-launch/next.instances');
function shared(config: SmartConfig): Smart {
  const g = globalThis as { [REGISTRY]?: Map<string, Smart> };
  const registry = (g[REGISTRY] ??= new Map());
  const key = createHash('sha256').update(JSON.stringify(config, keyPart)).digest('base64url');
  let smart = registry.get(key);
  if (!smart) registry.set(key, (smart = createSmart(config)));
  return smart;
}

// Functions by name and arity, not by source: each bundle is minified on its own, so the same
// `warn: (m) => console.warn(m)` reads `e=>console.warn(e)` in one and `a=>console.warn(a)` in
// another, and two instances would each run their own refresh of a session with the same
// single-use refresh token (the server then revokes the grant). Class instances (a session store)
// by identity: two configs that differ only in their store are two instances.
const ids = new WeakMap<object, number>();
let nextId = 0;
function keyPart(_key: string, v: unknown): unknown {
  if (typeof v === 'function') return `fn:${(v as { name?: string }).name ?? ''}/${(v as { length: number }).length}`;
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) {
    let id = ids.get(v);
    if (id === undefined) ids.set(v, (id = ++nextId));
    return `obj:${id}`;
  }
  return v;
}

/**
 * `export const { handlers, getSmart, withSmart, createProxy } = smartNext(() => config)` in one `smart.ts`.
 * Refresh rule: Server Components cannot set cookies, so the proxy refreshes before rendering;
 * getSmart() saves what changed where Next.js allows it (Route Handlers, Server Actions).
 */
export function smartNext(input: SmartNextInput): SmartNext {
  let instance: Smart | undefined;
  const get = (): Smart => {
    if (!instance) {
      const value = typeof input === 'function' ? input() : input;
      instance = isSmart(value) ? value : shared(value);
    }
    return instance;
  };
  // A config object is validated now; a function when the server starts (ready()) or on first use.
  if (typeof input !== 'function') get();
  const warn = (message: string) => {
    const logger = typeof input === 'function' || isSmart(input) ? undefined : input.logger;
    if (logger) logger.warn(message);
    else console.warn(message);
  };

  const route: SmartRouteHandler = async (request) => {
    const url = new URL(request.url);
    // Next.js derives request.url's scheme from X-Forwarded-Proto (anyone can send it): core's
    // origin policy gets plain http plus the headers, and trusts them only with `trustProxy`.
    // The SMART routes take no body (authorize responses arrive by GET; logout by GET or POST).
    const web = new Request(`http://localhost${url.pathname}${url.search}`, { method: request.method, headers: request.headers });
    return (await get().handle(web)) ?? new Response('Not Found', { status: 404 });
  };

  async function load(): Promise<SessionResult> {
    // The session depends on the current time (expiry, refresh ahead of it): under `cacheComponents`
    // Next.js allows Date.now() only after the request is marked dynamic, so mark it first. (Outside
    // rendering — Route Handlers, Server Actions — connection() resolves at once.)
    await connection();
    const [h, jar] = await Promise.all([headers(), cookies()]);
    const save = (values: readonly string[]) => {
      for (const c of values.map(parseSetCookie)) {
        try {
          jar.set(c.name, c.value, c.options);
        } catch {
          // Server Components cannot set cookies: the proxy must have refreshed before rendering.
          warn('smart-launch: a session change could not be saved from a Server Component; run the smart-launch proxy on this path');
          return;
        }
      }
    };
    // The launch (ADR 0008): `x-smart-launch` as the proxy resolved it from the URL, else Referer.
    const result = await resolveSession(get(), { cookie: h.get('cookie'), origin: nextOriginSource(h), target: '/' }, { setCookie: save });
    if (result.setCookie.length) save(result.setCookie);
    return result;
  }

  return {
    handlers: { GET: route, POST: route },
    getSmart: async () => (await load()).context,
    withSmart: (handler, options = {}) => async (request, ctx) => {
      await markDynamic();
      const url = request.nextUrl ?? new URL(request.url);
      // A Route Handler has its request: the session comes from it and session changes go out on its
      // response, so the handler also runs outside Next.js's request scope (called from a test).
      const later: string[] = [];
      const result = await resolveSession(get(), { cookie: request.headers.get('cookie'), origin: nextOriginSource(request.headers), target: url.pathname + url.search }, { setCookie: (values) => void later.push(...values) });
      // Route Handlers answer JSON (401, 403 with the missing scopes), as the other adapters' API guards.
      const answer = guardSession({ context: result.context, error: result.error, scopes: options.scopes, json: true, launchPath: get().routes.launch, returnTo: url.pathname + url.search });
      const response = answer ? answerResponse(answer) : await handler(request, result.context!, ctx);
      return withSetCookie(response, [...result.setCookie, ...later]);
    },
    createProxy: (options) => createProxy(get, options),
    ready: async (options = {}) => {
      try {
        await get().ready();
      } catch (e) {
        if (!options.exitOnError) throw e;
        console.error(`smart-launch: invalid configuration, stopping: ${(e as Error)?.message ?? String(e)}`);
        process.exit(1);
      }
    },
    get smart() {
      return get();
    },
  };
}

/**
 * connection() (the session depends on the time, see load()), except outside Next.js: a test that
 * calls a Route Handler directly has no request scope, and nothing to prerender either.
 */
async function markDynamic(): Promise<void> {
  try {
    await connection();
  } catch (e) {
    if (!/outside a request scope/.test(String((e as Error)?.message))) throw e;
  }
}

/** `response` with Set-Cookie values added (a copy when its headers are immutable, e.g. Response.redirect). */
function withSetCookie(response: Response, values: readonly string[]): Response {
  if (!values.length) return response;
  let out = response;
  try {
    for (const v of values) out.headers.append('set-cookie', v);
  } catch {
    out = new Response(response.body, response);
    for (const v of values) out.headers.append('set-cookie', v);
  }
  return out;
}

export type { SmartProxyOptions } from './proxy.js';

export type { SmartConfig, SmartContext } from '@smart-launch/core';
export { tokenGuard, jwksRoute, type TokenGuard, type WithTokenOptions } from './token.js';
