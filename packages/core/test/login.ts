import type { Smart } from '../src/index.js';

export const APP = 'http://127.0.0.1:3999';

/**
 * Drives a standalone launch through `smart.handle()` (the app side, in-process) and the real
 * sandbox (over HTTP, auto-approve). Returns the session Cookie header.
 */
export async function login(smart: Smart, query = ''): Promise<string> {
  const jar = new Map<string, string>();
  let url = `${APP}/launch${query}`;
  let init: RequestInit = {};
  for (let i = 0; i < 20; i++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = url.startsWith(APP) ? await smart.handle(new Request(url, { ...init, headers })) : await fetch(url, { ...init, headers, redirect: 'manual' });
    if (!res) break;
    for (const c of res.headers.getSetCookie()) {
      const nv = c.split(';')[0]!;
      const j = nv.indexOf('=');
      if (/Max-Age=0/.test(c)) jar.delete(nv.slice(0, j));
      else jar.set(nv.slice(0, j), nv.slice(j + 1));
    }
    const loc = res.headers.get('location');
    if (loc) {
      url = new URL(loc, url).href;
      init = {};
      if (url === `${APP}/`) break;
      continue;
    }
    const html = await res.text();
    const form = /<form method="post" action="([^"]*)">(.*?)<\/form>/s.exec(html);
    if (!form) throw new Error(`login stuck at ${url}: ${res.status} ${html.slice(0, 200)}`);
    const fields = [...form[2]!.matchAll(/name="([^"]*)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&').replace(/&quot;/g, '"')]);
    url = new URL(form[1]!.replace(/&amp;/g, '&'), url).href;
    init = { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  return [...jar].filter(([k]) => !k.includes('_tx_') && k.startsWith('smart_session')).map(([k, v]) => `${k}=${v}`).join('; ');
}
