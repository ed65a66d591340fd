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
}

/** The request's absolute URL under the app's public origin (`baseUrl` / `trustProxy` policy). */
export function appUrl(policy: OriginPolicy, source: OriginSource, target: string): string {
  return appOrigin(policy, source) + (target.startsWith('/') ? target : `/${target}`);
}

/**
 * The one place where every adapter resolves a request's session: the synchronous fast path when
 * no I/O is needed (no cookie, or a fresh session this process verified), else core `session()`.
 */
export function resolveSession(smart: Smart, lookup: SessionLookup, hooks?: SessionHooks): SessionResult | Promise<SessionResult> {
  const req = { cookie: lookup.cookie, url: appUrl(smart.originPolicy, lookup.origin, lookup.target) };
  return smart.peekSession(req, hooks) ?? smart.session(req, hooks);
}
