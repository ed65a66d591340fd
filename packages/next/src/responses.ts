import { ErrorCode, type SmartError } from '@smart-launch/core';

/** What an API request without a session gets: the same 401 JSON as the Express adapter. */
export function unauthorized(error?: SmartError, setCookie: string[] = []): Response {
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' });
  for (const c of setCookie) headers.append('set-cookie', c);
  const body = { error: error?.code ?? ErrorCode.NOT_AUTHENTICATED, message: error?.message ?? 'No SMART session: launch the app first' };
  return new Response(JSON.stringify(body), { status: error?.status && error.status >= 500 ? error.status : 401, headers });
}

/**
 * The origin the browser used: Next.js may report `localhost` in `request.url` although the server
 * listens on another host, and the redirect URI must match the browser's host. `x-forwarded-proto`
 * is set by Next.js from the connection when no proxy in front set it. Set `baseUrl` behind proxies.
 */
export function requestOrigin(headers: Headers, fallback: string): string {
  const host = headers.get('host') || headers.get('x-forwarded-host')?.split(',')[0]?.trim();
  if (!host) return new URL(fallback).origin;
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

/** API clients (JSON, XHR, /api/*) get 401 JSON; browsers get a redirect to the launch. */
export function wantsJson(request: Request, pathname: string): boolean {
  if (request.headers.get('x-requested-with')?.toLowerCase() === 'xmlhttprequest') return true;
  return !(request.headers.get('accept') ?? '').includes('text/html') || pathname.startsWith('/api/');
}
