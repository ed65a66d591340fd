import type { SmartCore } from './core.js';
import { ErrorCode, SessionError } from '../errors.js';
import { isLaunchHandle, isPageNavigation, queryParam, resolveLaunch, slotHandles, withLaunchParam, type LaunchChoice } from '../session/launch-handle.js';
import { ambiguousLaunchPage, pageHeaders } from './html.js';

/** What `session()` reads of a request to find its launch (ADR 0008). */
export interface LaunchRequest {
  cookie: string | null | undefined;
  /** Absolute request URL. */
  url: string;
  /** A request header by lower-case name: `x-smart-launch`, `referer`, `sec-fetch-*`, `accept`. */
  header?(name: string): string | null | undefined;
  /** Default GET. */
  method?: string;
}

const originOf = (url: string): string => {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash < 0 ? url : url.slice(0, slash);
};

/** Which of the browser's launches the request belongs to: one rule for every adapter. */
export function chooseLaunch(core: SmartCore, req: LaunchRequest): LaunchChoice {
  const { cookieName, launchParam } = core.cfg.session;
  const handles = slotHandles(req.cookie, cookieName);
  const referer = req.header?.('referer');
  return resolveLaunch(launchParam, {
    url: req.url,
    header: req.header?.('x-smart-launch'),
    referer,
    // Only a same-origin Referer names a launch (the origin policy's public origin); without a
    // Referer it is not read, so not computed (this runs on every request).
    appOrigin: referer ? (core.cfg.baseUrl ?? originOf(req.url)) : '',
  }, handles);
}

/**
 * The handle an adapter forwards to code that can't see the URL (Next.js Server Components): only
 * when the URL named it. A header, a Referer or the only launch, that code resolves the same way.
 */
export function forwardedHandle(choice: LaunchChoice): string | undefined {
  if (choice.kind !== 'named' || choice.via !== 'url') return undefined;
  return isLaunchHandle(choice.handle) ? choice.handle : '-';
}

/** A named launch this browser no longer has (evicted, logged out, expired): not signed in. */
export function launchNotFound(): SessionError {
  return new SessionError(ErrorCode.LAUNCH_NOT_FOUND, 'This launch has ended (logged out, expired, or replaced by newer launches): launch the app again', { status: 401 });
}

/**
 * Several launches and none named: a typed 409, and for a page load the page that explains and
 * offers to launch again. Never another launch's context.
 */
export function launchAmbiguous(core: SmartCore, req: LaunchRequest): { error: SessionError; response?: Response } {
  const error = new SessionError(ErrorCode.LAUNCH_AMBIGUOUS, 'This browser has several launches of this app and the request does not name one: send the smart_launch parameter or the X-Smart-Launch header, or launch again', { status: 409 });
  if (!isPageNavigation(req.method, (n) => req.header?.(n))) return { error };
  return { error, response: new Response(ambiguousLaunchPage(core.cfg.routes.launch), { status: 409, headers: pageHeaders() }) };
}

/**
 * Sticky URLs: a page load that found its launch only through `Referer` is sent (303) to its own
 * URL plus the handle, so the next link on that page still names the launch.
 */
export function stickyRedirect(core: SmartCore, req: LaunchRequest, choice: LaunchChoice): Response | undefined {
  if (choice.kind !== 'named' || choice.via !== 'referer' || !isLaunchHandle(choice.handle)) return undefined;
  if (!isPageNavigation(req.method, (n) => req.header?.(n))) return undefined;
  const param = core.cfg.session.launchParam;
  if (queryParam(req.url, param) !== null) return undefined;
  const u = new URL(req.url);
  // Absolute (RFC 9110 10.2.2 allows both; Next.js middleware needs it).
  const location = new URL(withLaunchParam(u.pathname + u.search, param, choice.handle), u).href;
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}
