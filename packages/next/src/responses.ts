import { notAuthenticated, prefersJson } from '@smart-launch/core/adapter';
import { type SmartError } from '@smart-launch/core';

/** What an API request without a session gets: core's 401 JSON, as in every adapter. */
export function unauthorized(error?: SmartError, setCookie: string[] = []): Response {
  const a = notAuthenticated(error);
  const headers = new Headers({ 'content-type': 'application/json', ...a.headers });
  for (const c of setCookie) headers.append('set-cookie', c);
  return new Response(JSON.stringify(a.body), { status: a.status, headers });
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
  return prefersJson({ accept: request.headers.get('accept'), requestedWith: request.headers.get('x-requested-with'), path: pathname });
}
