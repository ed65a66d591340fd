import { NextResponse, type NextRequest } from 'next/server.js';
import { launchLocation } from '@smart-launch/core/adapter';
import { type Smart } from '@smart-launch/core';
import { applySetCookie } from './cookies.js';
import { requestOrigin, unauthorized, wantsJson } from './responses.js';

export interface SmartProxyOptions {
  /**
   * Paths that require a session: a prefix (`'/api/'`, `'/chart'`), a RegExp, or a predicate.
   * Without a session, browsers are redirected to the launch route (which returns here) and API
   * requests (JSON, XHR, `/api/*`) get 401 JSON. Default: none (the proxy only refreshes).
   */
  protect?: (string | RegExp)[] | ((pathname: string) => boolean);
  /** Where browsers without a session go: 'launch' (default) or a path. */
  onMissing?: 'launch' | string;
}

function isProtected(pathname: string, protect: SmartProxyOptions['protect']): boolean {
  if (!protect) return false;
  if (typeof protect === 'function') return protect(pathname);
  return protect.some((p) => (typeof p === 'string' ? pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`) : p.test(pathname)));
}

/**
 * The proxy (Next.js 16 `proxy.ts`, formerly middleware): loads the session ahead of rendering,
 * refreshes the token when it is about to expire, sends the new cookie to the browser AND rewrites
 * this request's Cookie header, so Server Components (which cannot set cookies) read the fresh one.
 */
export function createProxy(instance: () => Smart, options: SmartProxyOptions = {}) {
  return async function proxy(request: NextRequest): Promise<Response> {
    const smart = instance();
    const { pathname, search } = request.nextUrl;
    const { launch, callback, logout } = smart.routes;
    // The SMART routes are route handlers; logout must see the cookie the browser sent.
    if (pathname === launch || pathname === callback || pathname === logout) return NextResponse.next();
    const cookie = request.headers.get('cookie');
    const origin = requestOrigin(request.headers, request.url);
    const result = await smart.session({ cookie, url: `${origin}${pathname}` });
    let response: Response;
    if (!result.context && isProtected(pathname, options.protect)) {
      if (wantsJson(request, pathname)) return unauthorized(result.error, result.setCookie);
      const target = options.onMissing && options.onMissing !== 'launch' ? options.onMissing : launchLocation(launch, pathname + search);
      response = NextResponse.redirect(new URL(target, origin));
    } else if (result.setCookie.length) {
      const headers = new Headers(request.headers);
      const next = applySetCookie(cookie, result.setCookie);
      if (next) headers.set('cookie', next);
      else headers.delete('cookie');
      response = NextResponse.next({ request: { headers } });
    } else {
      return NextResponse.next();
    }
    for (const c of result.setCookie) response.headers.append('set-cookie', c);
    return response;
  };
}
