import type { Request, RequestHandler, Response } from 'express';
import type { Smart, SmartConfig, SmartContext, SmartError } from '@smart-launch/core';
import { guardNodeRequest, nodeMiddleware, sendAnswer, toSmart } from '@smart-launch/core/adapter';

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

/**
 * `app.use(smart(config))`: mounts the launch, callback and logout routes and puts the SMART
 * session of every other request on `req.smart` (refreshing the token when it is about to expire).
 * A bad config throws here (ConfigError naming the key); a bad key, once imported, is logged
 * through `config.logger` and stops the process: the app refuses to start, as with NestJS.
 */
export function smart(config: SmartConfig | Smart): RequestHandler & { readonly smart: Smart } {
  const instance = toSmart(config);
  instance.ready().catch((e: unknown) => process.nextTick(() => { throw e; }));
  return Object.assign(nodeMiddleware(instance) as RequestHandler, { smart: instance });
}

export interface RequireSmartOptions {
  /**
   * What a browser without a session gets: 'launch' (default) redirects to the launch route
   * (a standalone launch that returns here), a path redirects there, a function answers itself.
   * API requests (JSON, XHR, /api/) always get 401 JSON.
   */
  onMissing?: 'launch' | string | ((req: Request, res: Response) => void);
  /** The launch route; default: that of the `smart()` middleware that saw the request. */
  launchPath?: string;
}

function guard(scopes: string[], options: RequireSmartOptions): RequestHandler {
  const { onMissing, launchPath } = options;
  return (req, res, next) => {
    const answer = guardNodeRequest(req, { scopes, ...(typeof onMissing === 'string' ? { onMissing } : {}), ...(launchPath ? { launchPath } : {}) });
    if (!answer) return next();
    if (answer.status === 302 && typeof onMissing === 'function') return onMissing(req, res);
    sendAnswer(res, answer);
  };
}

/** Guards routes: no session -> redirect (browsers) or 401 JSON (APIs). */
export function requireSmart(options: RequireSmartOptions = {}): RequestHandler {
  return guard([], options);
}

/** Requires the session's granted scopes to cover `scopes` (v1/v2 union semantics); else 403. */
export function requireScopes(...scopes: string[]): RequestHandler {
  return guard(scopes, {});
}

export type { SmartConfig, SmartContext } from '@smart-launch/core';
export { requireToken, requireTokenScopes, jwks, type RequireTokenOptions } from './token.js';
