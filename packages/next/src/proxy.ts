import { NextResponse, type NextRequest } from 'next/server.js';
import { answerResponse, appOrigin, guardSession, isSmartRoute, prefersJson, resolveSession, type OriginSource } from '@smart-launch/core/adapter';
import { type Smart } from '@smart-launch/core';
import { applySetCookie } from './cookies.js';

export interface SmartProxyOptions {
  /**
   * Paths that require a session: a prefix (`'/api/'`, `'/chart'`), a RegExp, or a predicate.
   * Without a session, browsers are redirected to the launch route (which returns here) and API
   * requests (JSON, XHR, `/api/*`) get 401 JSON. Default: none (the proxy only refreshes).
   */
  requireSession?: (string | RegExp)[] | ((pathname: string) => boolean);
  /** Scopes every path in `requireSession` needs (SMART v1/v2 union semantics); else 403. */
  scopes?: string[];
  /** Where browsers without a session go: 'launch' (default) or a path. */
  onMissing?: 'launch' | string;
}

/**
 * The origin policy's input in Next.js: the headers, and plain http for the connection (`next start`
 * serves no TLS, and Next.js fills request.url's scheme from X-Forwarded-Proto, which anyone can
 * send): behind a TLS proxy set `baseUrl` or `trustProxy`.
 */
export function nextOriginSource(headers: Headers): OriginSource {
  return { header: (name) => headers.get(name), encrypted: false };
}

function isProtected(pathname: string, rule: SmartProxyOptions['requireSession']): boolean {
  if (!rule) return false;
  if (typeof rule === 'function') return rule(pathname);
  return rule.some((p) => (typeof p === 'string' ? pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`) : p.test(pathname)));
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
    // The SMART routes are route handlers; logout must see the cookie the browser sent.
    if (isSmartRoute(smart.routes, pathname)) return NextResponse.next();
    const cookie = request.headers.get('cookie');
    const source = nextOriginSource(request.headers);
    // Core ties the request to one of the browser's launches (ADR 0008) from its URL and headers.
    const result = await resolveSession(smart, { cookie, origin: source, target: pathname + search, method: request.method });
    if (result.response) {
      // A page load: the sticky-launch redirect, or the 409 page when the launch is ambiguous.
      for (const c of result.setCookie) result.response.headers.append('set-cookie', c);
      return result.response;
    }
    const json = prefersJson({ accept: request.headers.get('accept'), requestedWith: request.headers.get('x-requested-with'), path: pathname });
    const answer = isProtected(pathname, options.requireSession)
      ? guardSession({ context: result.context, error: result.error, scopes: options.scopes, json, launchPath: smart.routes.launch, returnTo: pathname + search, onMissing: options.onMissing })
      : undefined;
    let response: Response;
    if (answer?.status === 302) {
      response = NextResponse.redirect(new URL(answer.headers.location!, appOrigin(smart.originPolicy, source)));
    } else if (answer) {
      return answerResponse(answer, result.setCookie);
    } else if (result.setCookie.length || result.launchHandle) {
      const headers = new Headers(request.headers);
      const next = applySetCookie(cookie, result.setCookie);
      if (next) headers.set('cookie', next);
      else headers.delete('cookie');
      // Server Components can't see the URL: getSmart() reads the launch this request named.
      if (result.launchHandle) headers.set('x-smart-launch', result.launchHandle);
      response = NextResponse.next({ request: { headers } });
    } else {
      return NextResponse.next();
    }
    for (const c of result.setCookie) response.headers.append('set-cookie', c);
    return response;
  };
}
