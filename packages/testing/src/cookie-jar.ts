/**
 * Cookies per origin. Browsers share cookies between ports of one host; keeping them per origin
 * instead means the app's cookie header never carries the authorization server's cookies when
 * both run on 127.0.0.1.
 */
export class CookieJar {
  readonly #byOrigin = new Map<string, Map<string, { value: string; path: string }>>();

  /** The `Cookie` header for `url` (cookies whose path prefixes the URL's path). */
  header(url: string): string {
    const u = new URL(url);
    const jar = this.#byOrigin.get(u.origin);
    if (!jar) return '';
    return [...jar].filter(([, c]) => u.pathname.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  /** Applies a response's Set-Cookie values (an empty value or Max-Age <= 0 deletes). */
  store(url: string, setCookies: string[]): void {
    const origin = new URL(url).origin;
    let jar = this.#byOrigin.get(origin);
    if (!jar) this.#byOrigin.set(origin, (jar = new Map()));
    for (const sc of setCookies) {
      const [nv, ...attrs] = sc.split(';');
      const i = nv!.indexOf('=');
      if (i <= 0) continue;
      const name = nv!.slice(0, i).trim();
      const value = nv!.slice(i + 1).trim();
      const pairs = attrs.map((a) => a.trim().toLowerCase());
      const path = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) || '/';
      const maxAge = pairs.find((a) => a.startsWith('max-age='));
      const expired = (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, { value, path });
    }
  }
}
