import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createSmart, type SessionResult, type Smart, type SmartConfig, type SmartContext, type SmartError } from '@smart-launch/core';
import { insufficientScope, launchLocation, notAuthenticated, prefersJson, type GuardAnswer } from '@smart-launch/core/adapter';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The SMART session of this request, or null when there is none. Set by `smart()`. */
      smart?: SmartContext | null;
      /** Why `smart` is null although a session cookie came (expired, refresh failed...). */
      smartError?: SmartError;
    }
  }
}

export type SmartMiddleware = RequestHandler & { readonly smart: Smart };

/** The launch route of the smart() instance that handled a request, for requireSmart(). */
const LAUNCH_PATH = Symbol('smart-launch.launchPath');
type WithLaunchPath = Request & { [LAUNCH_PATH]?: string };

function requestUrl(req: Request): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}${req.originalUrl}`;
}

function toWebRequest(req: Request): globalThis.Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  // The SMART routes take no body (authorize responses arrive by GET; logout by GET or POST).
  return new Request(requestUrl(req), { method: req.method, headers });
}

async function send(res: Response, web: globalThis.Response): Promise<void> {
  res.status(web.status);
  web.headers.forEach((value, key) => {
    if (key !== 'set-cookie') res.setHeader(key, value);
  });
  const cookies = web.headers.getSetCookie();
  if (cookies.length) res.append('Set-Cookie', cookies);
  res.end(web.body ? Buffer.from(await web.arrayBuffer()) : undefined);
}

function appendCookies(res: Response, values: string[]): void {
  if (values.length && !res.headersSent) res.append('Set-Cookie', values);
}

/**
 * `app.use(smart(config))`: mounts the launch, callback and logout routes and puts the SMART
 * session of every other request on `req.smart` (refreshing the token when it is about to expire).
 */
export function smart(config: SmartConfig | Smart): SmartMiddleware {
  const instance = 'handle' in config && typeof config.handle === 'function' ? config : createSmart(config as SmartConfig);
  const { launch, callback, logout } = instance.routes;
  instance.ready().catch((e: unknown) => console.error(`smart-launch: ${(e as Error).message}`));
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path;
    (req as WithLaunchPath)[LAUNCH_PATH] = launch;
    if (path === launch || path === callback || path === logout) {
      instance.handle(toWebRequest(req)).then(
        (web) => (web ? send(res, web) : next()),
        next,
      ).catch(next);
      return;
    }
    const input = { cookie: req.headers.cookie, url: requestUrl(req) };
    const hooks = { setCookie: (values: string[]) => appendCookies(res, values) };
    const apply = (result: SessionResult) => {
      req.smart = result.context;
      if (result.error) req.smartError = result.error;
      appendCookies(res, result.setCookie);
      next();
    };
    const fast = instance.peekSession(input, hooks);
    if (fast) return apply(fast);
    instance.session(input, hooks).then(apply, next);
  };
  return Object.assign(middleware, { smart: instance });
}

function wantsJson(req: Request): boolean {
  return prefersJson({ accept: req.headers.accept, requestedWith: req.get('x-requested-with'), path: req.path });
}

function answer(res: Response, a: GuardAnswer): void {
  res.status(a.status).set(a.headers).json(a.body);
}

export interface RequireSmartOptions {
  /**
   * What a browser without a session gets: 'launch' (default) redirects to the launch route
   * (a standalone launch that returns here), a path redirects there, a function answers itself.
   * API requests (JSON, XHR) always get 401 JSON.
   */
  onMissing?: 'launch' | string | ((req: Request, res: Response) => void);
  launchPath?: string;
}

/** Guards routes: no session -> redirect (browsers) or 401 JSON (APIs). */
export function requireSmart(options: RequireSmartOptions = {}): RequestHandler {
  return (req, res, next) => {
    if (req.smart) return next();
    const err = req.smartError;
    if (wantsJson(req)) return answer(res, notAuthenticated(err));
    const onMissing = options.onMissing ?? 'launch';
    if (typeof onMissing === 'function') return onMissing(req, res);
    if (onMissing === 'launch') {
      res.redirect(launchLocation(options.launchPath ?? (req as WithLaunchPath)[LAUNCH_PATH] ?? '/launch', req.originalUrl));
      return;
    }
    res.redirect(onMissing);
  };
}

/** Requires the session's granted scopes to cover `scopes` (v1/v2 union semantics); else 403. */
export function requireScopes(...scopes: string[]): RequestHandler {
  const guard = requireSmart();
  return (req, res, next) => {
    if (!req.smart) return guard(req, res, next);
    const missing = req.smart.scopes.missing(scopes);
    if (missing.length === 0) return next();
    answer(res, insufficientScope(missing));
  };
}

export type { SmartConfig, SmartContext } from '@smart-launch/core';
export { protectApi, requireTokenScopes, jwks, type ProtectApiOptions } from './protect.js';
