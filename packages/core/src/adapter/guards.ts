import { ErrorCode, type SmartError } from '../errors.js';
import type { SmartContext } from '../fhir/context.js';

/**
 * The answers every adapter's guard gives, defined once so Express, Next.js and NestJS can't drift:
 * API clients get JSON (401 / 403 with RFC 6750 `WWW-Authenticate`), browsers a launch redirect.
 */
export interface GuardAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string; missing?: string[] };
}

export interface SessionGuardInput {
  /** The request's session (`req.smart`), and why there is none (`req.smartError`). */
  context: SmartContext | null | undefined;
  error?: SmartError | undefined;
  /** Scopes the route requires (SMART v1/v2 union semantics); none: any session passes. */
  scopes?: readonly string[] | undefined;
  /** `prefersJson(...)` of the request: JSON answers instead of a redirect. */
  json: boolean;
  /** The launch route, and the path + query to come back to after the launch. */
  launchPath: string;
  returnTo: string;
  /** Where browsers without a session go: 'launch' (default) or a path. */
  onMissing?: string | undefined;
}

/**
 * The session guard of every adapter (`requireSmart`/`requireScopes`, `SmartGuard`, the Next proxy
 * and `withSmart`): undefined lets the request through, else the answer to give (302, 401, 403, 5xx).
 */
export function guardSession(input: SessionGuardInput): GuardAnswer | undefined {
  if (!input.context) {
    // Several launches and none named (ADR 0008): a 409 for every client, never a new launch.
    if (input.json || input.error?.code === ErrorCode.LAUNCH_AMBIGUOUS) return notAuthenticated(input.error);
    const target = input.onMissing && input.onMissing !== 'launch' ? input.onMissing : launchLocation(input.launchPath, input.returnTo);
    return launchRedirect(target);
  }
  const missing = input.scopes?.length ? input.context.scopes.missing(input.scopes) : [];
  return missing.length ? insufficientScope(missing) : undefined;
}

/** A browser without a session: 302 to the launch route (or `onMissing`). */
export function launchRedirect(location: string): GuardAnswer {
  return {
    status: 302,
    headers: { location, 'cache-control': 'no-store' },
    body: { error: ErrorCode.NOT_AUTHENTICATED, message: 'Launch required' },
  };
}

/** A guard answer as a Web Response (JSON body; none for a redirect), with `setCookie` appended. */
export function answerResponse(answer: GuardAnswer, setCookie: readonly string[] = []): Response {
  const headers = new Headers(answer.headers);
  for (const c of setCookie) headers.append('set-cookie', c);
  if (answer.status === 302) return new Response(null, { status: 302, headers });
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers });
}

/** JSON for API clients (non-HTML Accept, XHR, /api/ paths); browsers get a redirect. */
export function prefersJson(req: { accept?: string | null; requestedWith?: string | null; path: string }): boolean {
  if (req.requestedWith?.toLowerCase() === 'xmlhttprequest') return true;
  return !(req.accept ?? '').includes('text/html') || req.path.startsWith('/api/');
}

/** No session: 401 (or the session error's 5xx, e.g. a store outage, so clients retry). */
export function notAuthenticated(error?: SmartError): GuardAnswer {
  return {
    status: error?.status && (error.status >= 500 || error.code === ErrorCode.LAUNCH_AMBIGUOUS) ? error.status : 401,
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
