/** Translates core's Set-Cookie values for Next.js: the rewritten request Cookie header and cookies().set(). */

export interface ParsedSetCookie {
  name: string;
  value: string;
  options: {
    path?: string;
    maxAge?: number;
    expires?: Date;
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: 'lax' | 'strict' | 'none';
    partitioned?: boolean;
  };
}

/** Parses one Set-Cookie value (as core serialises them: name=value; Path; Max-Age; HttpOnly...). */
export function parseSetCookie(header: string): ParsedSetCookie {
  const [pair = '', ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  const out: ParsedSetCookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), options: { httpOnly: false } };
  for (const attr of attrs) {
    const [k = '', ...rest] = attr.trim().split('=');
    const v = rest.join('=');
    switch (k.toLowerCase()) {
      case 'path': out.options.path = v; break;
      case 'max-age': out.options.maxAge = Number(v); break;
      case 'expires': out.options.expires = new Date(v); break;
      case 'httponly': out.options.httpOnly = true; break;
      case 'secure': out.options.secure = true; break;
      case 'samesite': out.options.sameSite = v.toLowerCase() as 'lax' | 'strict' | 'none'; break;
      case 'partitioned': out.options.partitioned = true; break;
    }
  }
  return out;
}

const isDeletion = (c: ParsedSetCookie) => c.value === '' || (c.options.maxAge !== undefined && c.options.maxAge <= 0);

/**
 * The Cookie header the rest of this request should see after `setCookie` is applied, so Server
 * Components rendering after the proxy read the session the browser will hold next.
 */
export function applySetCookie(cookieHeader: string | null, setCookie: readonly string[]): string {
  const jar = new Map<string, string>();
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const c of setCookie.map(parseSetCookie)) {
    // Only cookies the whole app sees (the session); transaction cookies are scoped to the callback.
    if (c.options.path && c.options.path !== '/') continue;
    if (isDeletion(c)) jar.delete(c.name);
    else jar.set(c.name, c.value);
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}
