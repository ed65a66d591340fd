/** Minimal cookie parsing/serialisation (RFC 6265), with chunking for values over ~4 KB. */

export interface CookieOptions {
  path?: string;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
  partitioned?: boolean;
}

/** Parses a Cookie header into name -> value (first occurrence wins). */
export function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.set(name, value);
  }
  return out;
}

/** Fast path: the value of one cookie, without building a map. */
export function getCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 32) i++;
    const end = header.indexOf(';', i);
    const stop = end < 0 ? header.length : end;
    // Allocation-free name match (this runs on every request).
    if (header.startsWith(name, i)) {
      let j = i + name.length;
      while (header.charCodeAt(j) === 32) j++;
      if (header.charCodeAt(j) === 61 /* = */) return header.slice(j + 1, stop).trim();
    }
    i = stop + 1;
  }
  return undefined;
}

export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  let s = `${name}=${value}; Path=${o.path ?? '/'}`;
  if (o.maxAge !== undefined) s += `; Max-Age=${Math.floor(o.maxAge)}`;
  if (o.maxAge === 0) s += '; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  if (o.httpOnly !== false) s += '; HttpOnly';
  if (o.secure) s += '; Secure';
  if (o.sameSite) s += `; SameSite=${o.sameSite[0]!.toUpperCase()}${o.sameSite.slice(1)}`;
  if (o.partitioned) s += '; Partitioned';
  return s;
}

/** Max bytes of value per cookie chunk: browsers cap name+value+attributes at 4096. */
export const CHUNK_SIZE = 3800;

/**
 * Writes `value` as `name`, `name.1`, `name.2`... and clears chunks the request had that are no
 * longer needed. Returns Set-Cookie header values.
 */
export function writeChunked(name: string, value: string, existing: Map<string, string>, o: CookieOptions): string[] {
  const out: string[] = [];
  const count = Math.max(1, Math.ceil(value.length / CHUNK_SIZE));
  for (let i = 0; i < count; i++) {
    out.push(serializeCookie(i === 0 ? name : `${name}.${i}`, value.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), o));
  }
  for (const key of existing.keys()) {
    const m = key.startsWith(`${name}.`) ? Number(key.slice(name.length + 1)) : NaN;
    if (Number.isInteger(m) && m >= count) out.push(serializeCookie(key, '', { ...o, maxAge: 0 }));
  }
  return out;
}

/**
 * Reassembles a chunked cookie: `name`, `name.1`, ... `name.N`. Undefined when absent, or when
 * any other `name.*` cookie is present (a gap, or an extra chunk we did not write): the whole
 * value must be exactly what we wrote, and the seal inside authenticates every byte of it.
 */
export function readChunked(name: string, cookies: Map<string, string>): string | undefined {
  const first = cookies.get(name);
  if (first === undefined || first === '') return undefined;
  let value = first;
  let count = 1;
  for (; ; count++) {
    const next = cookies.get(`${name}.${count}`);
    if (next === undefined) break;
    value += next;
  }
  const prefix = `${name}.`;
  for (const key of cookies.keys()) {
    if (!key.startsWith(prefix)) continue;
    const index = key.slice(prefix.length);
    if (!/^[1-9]\d*$/.test(index) || Number(index) >= count) return undefined;
  }
  return value;
}

/**
 * Whether a cookie whose name starts with `prefix` is in the header. Looks only at the start of
 * each pair: on the hot path a substring search through the whole header (2-4 KB of sealed
 * values) costs more than the rest of the session lookup. Errs towards true (the caller's slow
 * path then decides): a pair starting with a character `parseCookies` would trim but this scan
 * does not skip counts as a match.
 */
export function hasCookiePrefix(header: string, prefix: string): boolean {
  let i = 0;
  while (i < header.length) {
    let c = header.charCodeAt(i);
    while (c === 32 || (c >= 9 && c <= 13)) c = header.charCodeAt(++i);
    if (c >= 128 || header.startsWith(prefix, i)) return true;
    const end = header.indexOf(';', i);
    if (end < 0) return false;
    i = end + 1;
  }
  return false;
}

/** readChunked straight from a Cookie header (the hot path: no Map for the usual one chunk). */
export function readChunkedHeader(name: string, header: string): string | undefined {
  const first = getCookie(header, name);
  if (!first) return undefined;
  if (!hasCookiePrefix(header, `${name}.`)) return first;
  return readChunked(name, parseCookies(header));
}

/** Bytes the cookies written by `setCookies` add to the Cookie header sent back (`name=value; `). */
export function cookieHeaderBytes(setCookies: readonly string[]): number {
  let total = 0;
  for (const c of setCookies) {
    if (/; Max-Age=0(;|$)/.test(c)) continue;
    const end = c.indexOf(';');
    total += (end < 0 ? c.length : end) + 2;
  }
  return total;
}

export function clearChunked(name: string, cookies: Map<string, string>, o: CookieOptions): string[] {
  const out = [serializeCookie(name, '', { ...o, maxAge: 0 })];
  for (const key of cookies.keys()) if (key.startsWith(`${name}.`)) out.push(serializeCookie(key, '', { ...o, maxAge: 0 }));
  return out;
}
