import { ErrorCode, type SmartError } from '../errors.js';

/**
 * The answers every adapter's guard gives, defined once so Express, Next.js and NestJS can't drift:
 * API clients get JSON (401 / 403 with RFC 6750 `WWW-Authenticate`), browsers a launch redirect.
 */
export interface GuardAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string; missing?: string[] };
}

/** JSON for API clients (non-HTML Accept, XHR, /api/ paths); browsers get a redirect. */
export function prefersJson(req: { accept?: string | null; requestedWith?: string | null; path: string }): boolean {
  if (req.requestedWith?.toLowerCase() === 'xmlhttprequest') return true;
  return !(req.accept ?? '').includes('text/html') || req.path.startsWith('/api/');
}

/** No session: 401 (or the session error's 5xx, e.g. a store outage, so clients retry). */
export function notAuthenticated(error?: SmartError): GuardAnswer {
  return {
    status: error?.status && error.status >= 500 ? error.status : 401,
    headers: { 'www-authenticate': 'Bearer', 'cache-control': 'no-store' },
    body: { error: error?.code ?? ErrorCode.NOT_AUTHENTICATED, message: error?.message ?? 'No SMART session: launch the app first' },
  };
}

/** RFC 6750 3.1: the granted scopes don't cover the route; the body lists what is missing. */
export function insufficientScope(missing: string[]): GuardAnswer {
  return {
    status: 403,
    headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${missing.join(' ')}"` },
    body: { error: ErrorCode.INSUFFICIENT_SCOPE, message: 'The granted scopes do not allow this', missing },
  };
}

/** Where a browser without a session goes: the launch route, coming back to `returnTo` after. */
export function launchLocation(launchPath: string, returnTo: string): string {
  return `${launchPath}?returnTo=${encodeURIComponent(returnTo)}`;
}
