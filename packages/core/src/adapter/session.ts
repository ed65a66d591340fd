import { appOrigin, type OriginPolicy, type OriginSource } from '../origin.js';
import type { SessionHooks, SessionResult, Smart } from '../app/smart.js';

/** What identifies a request's session: its Cookie header, and where it is (origin + path). */
export interface SessionLookup {
  /** The Cookie header. */
  cookie: string | null | undefined;
  /** The origin policy's input for this request (`nodeOriginSource`, `webOriginSource`). */
  origin: OriginSource;
  /** Path and query of the request. */
  target: string;
  /** The request method (default GET): page loads get the sticky-launch redirect (ADR 0008). */
  method?: string | undefined;
}

/** The request's absolute URL under the app's public origin (`baseUrl` / `trustProxy` policy). */
export function appUrl(policy: OriginPolicy, source: OriginSource, target: string): string {
  return appOrigin(policy, source) + (target.startsWith('/') ? target : `/${target}`);
}

/**
 * The one place where every adapter resolves a request's session: the synchronous fast path when
 * no I/O is needed (no cookie, or a fresh session this process verified), else core `session()`.
 * Core ties the request to one of the browser's launches from the URL and the headers (ADR 0008);
 * when the result has a `response` (sticky-launch redirect, ambiguous page load) the adapter sends
 * it instead of running the route.
 */
export function resolveSession(smart: Smart, lookup: SessionLookup, hooks?: SessionHooks): SessionResult | Promise<SessionResult> {
  const req = { cookie: lookup.cookie, url: appUrl(smart.originPolicy, lookup.origin, lookup.target), header: lookup.origin.header, method: lookup.method ?? 'GET' };
  return smart.peekSession(req, hooks) ?? smart.session(req, hooks);
}
