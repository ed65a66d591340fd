/**
 * A tiny cookie-keeping HTTP "browser" for HTTP-level tests: follows redirects by hand across the
 * sandbox and the app (both on 127.0.0.1; like browsers, cookies are per host, not per port) and
 * submits auto-POST forms (SMART authorize-post).
 */
export interface Hop {
  url: string;
  status: number;
  location?: string;
  setCookie: string[];
}

export class TestBrowser {
  readonly cookies = new Map<string, { value: string; path: string }>();
  readonly hops: Hop[] = [];

  cookieHeader(url: string): string {
    const path = new URL(url).pathname;
    return [...this.cookies].filter(([, c]) => path.startsWith(c.path)).map(([n, c]) => `${n}=${c.value}`).join('; ');
  }

  store(setCookies: string[]): void {
    for (const sc of setCookies) {
      const [nv, ...attrs] = sc.split(';');
      const i = nv!.indexOf('=');
      const name = nv!.slice(0, i).trim();
      const value = nv!.slice(i + 1).trim();
      const path = attrs.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attrs.some((a) => /^max-age=0$/i.test(a.trim()) || /^max-age=-/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    const setCookie = res.headers.getSetCookie();
    this.store(setCookie);
    this.hops.push({ url, status: res.status, ...(res.headers.get('location') ? { location: res.headers.get('location')! } : {}), setCookie });
    return res;
  }

  /** GETs `url` and follows redirects (and auto-submitted forms) until a non-redirect answer. */
  async navigate(url: string, init: RequestInit = {}, maxHops = 20): Promise<{ res: Response; url: string; body: string }> {
    let current = url;
    let req: RequestInit = init;
    for (let i = 0; i < maxHops; i++) {
      const res = await this.fetch(current, req);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        current = new URL(location, current).href;
        req = {};
        continue;
      }
      const body = await res.text();
      const form = autoPostForm(body);
      if (res.status === 200 && form) {
        current = new URL(form.action, current).href;
        req = { method: 'POST', body: new URLSearchParams(form.fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
        continue;
      }
      return { res, url: current, body };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Finds a self-submitting form (authorize-post page): one form, a submit script. */
export function autoPostForm(html: string): { action: string; fields: [string, string][] } | undefined {
  if (!/<form[^>]*method="post"/i.test(html) || !/forms\[0\]\.submit\(\)/.test(html)) return undefined;
  const action = unescape(/<form[^>]*action="([^"]*)"/i.exec(html)?.[1] ?? '');
  const fields: [string, string][] = [];
  for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) fields.push([unescape(m[1]!), unescape(m[2]!)]);
  return { action, fields };
}
