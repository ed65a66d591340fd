import { randomBytes } from 'node:crypto';

/**
 * Several launches per browser (ADR 0008): each launch is a session slot named by a launch handle,
 * and every request is tied to one slot by this single resolution rule, used by `session()` and
 * therefore by every adapter. The handle is not a credential (the slot's sealed cookies are): it
 * only picks one of the browser's own sessions.
 */

/** 10 base64url characters (60 random bits): the only shape a handle can have. */
const HANDLE = /^[A-Za-z0-9_-]{10}$/;

export function newLaunchHandle(): string {
  return randomBytes(8).toString('base64url').slice(0, 10);
}

export function isLaunchHandle(value: unknown): value is string {
  return typeof value === 'string' && HANDLE.test(value);
}

/** The cookie (first chunk) of the slot `handle`: `<cookieName>~<handle>`. */
export function slotCookieName(cookieName: string, handle: string): string {
  return `${cookieName}~${handle}`;
}

/**
 * The handles of the slots a Cookie header carries (cookies named `<cookieName>~<h>`; chunks
 * `<cookieName>~<h>.1` are not slots). Runs on every request: a scan, no Map.
 */
export function slotHandles(header: string | null | undefined, cookieName: string): string[] {
  const out: string[] = [];
  if (!header) return out;
  const marker = `${cookieName}~`;
  // A marker counts at the start of the header or after ';' or ' '. Those positions are found
  // with single-character indexOf (fast): searching the whole header for the marker string
  // costs microseconds per request on 2-4 KB of sealed values.
  let semi = header.indexOf(';');
  let space = header.indexOf(' ');
  for (let i = 0; ; ) {
    if (header.startsWith(marker, i)) {
      const start = i + marker.length;
      const eq = header.indexOf('=', start);
      if (eq < 0) break;
      const handle = header.slice(start, eq).trim();
      if (isLaunchHandle(handle) && !out.includes(handle)) out.push(handle);
    }
    if (semi >= 0 && semi < i) semi = header.indexOf(';', i);
    if (space >= 0 && space < i) space = header.indexOf(' ', i);
    const next = semi < 0 ? space : space < 0 ? semi : Math.min(semi, space);
    if (next < 0) break;
    i = next + 1;
  }
  return out;
}

/** How the request named its launch, or why it could not be tied to one. */
export type LaunchChoice =
  | { kind: 'named'; handle: string; via: 'url' | 'header' | 'referer' }
  | { kind: 'only'; handle: string }
  | { kind: 'none' }
  | { kind: 'ambiguous' };

export interface LaunchSignals {
  /** Absolute request URL. */
  url: string;
  /** The `X-Smart-Launch` header. */
  header?: string | null;
  /** The `Referer` header. */
  referer?: string | null;
  /** The app's public origin (origin policy): only a same-origin Referer names a launch. */
  appOrigin: string;
}

/** The value of query parameter `name` in `url` (null when absent); cheap when it is absent. */
export function queryParam(url: string, name: string): string | null {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes(`${name}=`, q)) return null;
  try {
    return new URL(url, 'http://x.invalid').searchParams.get(name);
  } catch {
    return null;
  }
}

/**
 * Which slot a request belongs to (ADR 0008):
 * 1. explicit: the `param` query parameter of the request URL, else the `X-Smart-Launch` header;
 * 2. a same-origin `Referer` carrying `param` (browsers send the full URL for same-origin
 *    navigations, form posts and fetches under the default `strict-origin-when-cross-origin`);
 * 3. none named: the only slot, else `none` (no slot) or `ambiguous` (several).
 * A named value that is not a well-formed handle still counts as named (and then finds no slot):
 * a request that names a launch never falls back to another one.
 */
export function resolveLaunch(param: string, signals: LaunchSignals, handles: readonly string[]): LaunchChoice {
  const fromUrl = queryParam(signals.url, param);
  if (fromUrl !== null) return { kind: 'named', handle: fromUrl, via: 'url' };
  const header = signals.header?.trim();
  if (header) return { kind: 'named', handle: header, via: 'header' };
  const referer = signals.referer;
  if (referer && referer.startsWith(signals.appOrigin) && referer.charCodeAt(signals.appOrigin.length) === 47 /* / */) {
    const fromReferer = queryParam(referer, param);
    if (fromReferer !== null) return { kind: 'named', handle: fromReferer, via: 'referer' };
  }
  if (handles.length === 1) return { kind: 'only', handle: handles[0]! };
  return handles.length === 0 ? { kind: 'none' } : { kind: 'ambiguous' };
}

/** `path` (a same-origin path, possibly with a query and fragment) with `param=<handle>` set. */
export function withLaunchParam(path: string, param: string, handle: string): string {
  const u = new URL(path, 'http://x.invalid');
  u.searchParams.set(param, handle);
  return u.pathname + u.search + u.hash;
}

/**
 * A page load (top-level document or iframe): these get the sticky-URL redirect and the HTML
 * answer when the launch is ambiguous. Fetch Metadata (`Sec-Fetch-Mode`/`-Dest`) when the browser
 * sends it; without it, a GET that accepts HTML.
 */
export function isPageNavigation(method: string | undefined, header: (name: string) => string | null | undefined): boolean {
  const m = (method ?? 'GET').toUpperCase();
  if (m !== 'GET' && m !== 'HEAD') return false;
  const mode = header('sec-fetch-mode');
  if (mode) return mode === 'navigate' && /^(document|iframe|frame)$/.test(header('sec-fetch-dest') ?? '');
  return (header('accept') ?? '').includes('text/html');
}
