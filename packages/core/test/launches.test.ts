/**
 * Several launches in one browser (ADR 0008): each launch is its own slot; a request names its
 * launch (URL, X-Smart-Launch, same-origin Referer) or gets the only one; never another's context.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmart, MemoryStore, type Smart, type SmartConfig } from '../src/index.js';
import { FAKE_APP, fakeTokens, startFakeAs, type FakeAs } from './fake-as.js';

const APP = FAKE_APP;
const secret = 'launches-test-secret-0123456789abcdefgh';
let as: FakeAs;
beforeAll(async () => {
  as = await startFakeAs();
});
afterAll(() => as.close());

const make = (session: Partial<SmartConfig['session']> = {}) =>
  createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET', scope: 'launch/patient patient/*.rs offline_access' }], session: { secret, ...session } });

/** A browser's cookie jar. */
class Jar extends Map<string, string> {
  header(): string {
    return [...this].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  take(setCookie: readonly string[]): void {
    for (const c of setCookie) {
      const nv = c.slice(0, c.indexOf(';'));
      const eq = nv.indexOf('=');
      if (/Max-Age=0/.test(c)) this.delete(nv.slice(0, eq));
      else this.set(nv.slice(0, eq), nv.slice(eq + 1));
    }
  }
  slots(): string[] {
    return [...this.keys()].filter((k) => /^smart_session~[^.]+$/.test(k)).map((k) => k.slice('smart_session~'.length));
  }
}

/** A standalone launch for `patient` in `jar` (which keeps the browser's other launches). Returns the landing URL. */
async function launchIn(smart: Smart, jar: Jar, patient: string, extra: Record<string, unknown> = {}): Promise<{ location: string; handle: string; setCookie: string[] }> {
  const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
  jar.take(launch.headers.getSetCookie());
  const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
  as.tokenResponse = async () => ({ status: 200, body: fakeTokens({ patient, access_token: `AT-${patient}`, refresh_token: `RT-${patient}`, ...extra }) });
  const cb = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, { headers: { cookie: jar.header() } })))!;
  expect(cb.status).toBe(302);
  const setCookie = cb.headers.getSetCookie();
  jar.take(setCookie);
  const location = cb.headers.get('location')!;
  return { location, handle: new URL(location, APP).searchParams.get('smart_launch')!, setCookie };
}

const page = (over: Record<string, string> = {}) => {
  const h: Record<string, string> = { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html', ...over };
  return { header: (n: string) => h[n], method: 'GET' };
};
const api = (over: Record<string, string> = {}) => {
  const h: Record<string, string> = { 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', accept: 'application/json', ...over };
  return { header: (n: string) => h[n], method: 'GET' };
};

describe.each([
  ['cookie mode', () => make()],
  ['store mode', () => make({ store: new MemoryStore() })],
])('several launches, %s', (_mode, makeSmart) => {
  it('each launch is its own slot, named in the URL after the callback', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA');
    const b = await launchIn(smart, jar, 'pB');
    expect(a.location).toMatch(/^\/\?smart_launch=[A-Za-z0-9_-]{10}$/);
    expect(a.handle).not.toBe(b.handle);
    expect(jar.slots().sort()).toEqual([a.handle, b.handle].sort());
    // The URL, the header and a same-origin Referer each pick their launch; B never changed A.
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${a.location}` })).context?.patient).toBe('pA');
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${b.location}` })).context?.patient).toBe('pB');
    expect((await smart.session({ cookie: jar.header(), url: `${APP}/api/x`, ...api({ 'x-smart-launch': a.handle }) })).context?.patient).toBe('pA');
    const viaReferer = await smart.session({ cookie: jar.header(), url: `${APP}/api/x`, ...api({ referer: `${APP}${b.location}` }) });
    expect(viaReferer.context?.patient).toBe('pB');
    expect(viaReferer.context?.launchHandle).toBe(b.handle);
    expect(viaReferer.context?.link('/chart?x=1')).toBe(`/chart?x=1&smart_launch=${b.handle}`);
    expect(viaReferer.response).toBeUndefined();
  });

  it('several launches and none named: 409 launch_ambiguous, a page for page loads, never a context', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    await launchIn(smart, jar, 'pA');
    await launchIn(smart, jar, 'pB');
    const fetchResult = await smart.session({ cookie: jar.header(), url: `${APP}/api/x`, ...api() });
    expect(fetchResult.context).toBeNull();
    expect(fetchResult.error).toMatchObject({ code: 'launch_ambiguous', status: 409 });
    expect(fetchResult.response).toBeUndefined();
    const pageResult = await smart.session({ cookie: jar.header(), url: `${APP}/`, ...page() });
    expect(pageResult.context).toBeNull();
    expect(pageResult.response?.status).toBe(409);
    const html = await pageResult.response!.text();
    expect(html).toContain('launch_ambiguous');
    expect(html).not.toMatch(/pA|pB|AT-/);
    // A cross-origin Referer names nothing.
    expect((await smart.session({ cookie: jar.header(), url: `${APP}/api/x`, ...api({ referer: `http://evil.example/?smart_launch=${jar.slots()[0]}` }) })).error?.code).toBe('launch_ambiguous');
  });

  it('one launch and none named: that one (the behaviour before several launches)', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    await launchIn(smart, jar, 'pA');
    expect((await smart.session({ cookie: jar.header(), url: `${APP}/` })).context?.patient).toBe('pA');
  });

  it('a named launch the browser does not have is not signed in, even when another one is the only launch', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    await launchIn(smart, jar, 'pA');
    const r = await smart.session({ cookie: jar.header(), url: `${APP}/?smart_launch=ZZZZZZZZZZ` });
    expect(r.context).toBeNull();
    expect(r.error).toMatchObject({ code: 'launch_not_found', status: 401 });
    expect((await smart.session({ cookie: jar.header(), url: `${APP}/?smart_launch=` })).context).toBeNull();
    expect((await smart.session({ cookie: jar.header(), url: `${APP}/x`, ...api({ referer: `${APP}/?smart_launch=ZZZZZZZZZZ` }) })).context).toBeNull();
  });

  it('a page load that found its launch only through Referer is sent to its own URL plus the handle', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA');
    await launchIn(smart, jar, 'pB');
    const r = await smart.session({ cookie: jar.header(), url: `${APP}/chart?tab=2`, ...page({ referer: `${APP}${a.location}` }) });
    expect(r.response?.status).toBe(303);
    expect(r.response?.headers.get('location')).toBe(`${APP}/chart?tab=2&smart_launch=${a.handle}`);
    // Not for fetches, and not when the URL names the launch already.
    expect((await smart.session({ cookie: jar.header(), url: `${APP}/chart`, ...api({ referer: `${APP}${a.location}` }) })).response).toBeUndefined();
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${a.location}`, ...page({ referer: `${APP}${a.location}` }) })).response).toBeUndefined();
  });

  it('maxLaunches: the oldest launch ends (cookies cleared, store entry gone), the others stay', async () => {
    const store = new MemoryStore();
    const smart = _mode === 'store mode' ? make({ store, maxLaunches: 2 }) : make({ maxLaunches: 2 });
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA');
    const oldA = jar.header();
    const b = await launchIn(smart, jar, 'pB');
    const c = await launchIn(smart, jar, 'pC');
    expect(c.setCookie.some((x) => x.startsWith(`smart_session~${a.handle}=;`) && /Max-Age=0/.test(x))).toBe(true);
    expect(jar.slots().sort()).toEqual([b.handle, c.handle].sort());
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${a.location}` })).error?.code).toBe('launch_not_found');
    // The evicted launch's old cookie does not come back either (ended in this process / the store).
    expect((await smart.session({ cookie: oldA, url: `${APP}${a.location}` })).context).toBeNull();
    if (_mode === 'store mode') expect(store.size).toBe(2);
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${b.location}` })).context?.patient).toBe('pB');
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${c.location}` })).context?.patient).toBe('pC');
  });

  it('refresh stays single-flight per launch: concurrent requests of two launches refresh each once, with its own refresh token', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA', { expires_in: 30 });
    const b = await launchIn(smart, jar, 'pB', { expires_in: 30 });
    as.requests.length = 0;
    as.tokenResponse = async (form) => {
      await new Promise((r) => setTimeout(r, 50));
      const rt = form.get('refresh_token');
      return { status: 200, body: fakeTokens({ patient: rt === 'RT-pA' ? 'pA' : 'pB', access_token: `AT2-${rt}`, refresh_token: `RT2-${rt}`, expires_in: 3600 }) };
    };
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => smart.session({ cookie: jar.header(), url: `${APP}${i % 2 ? a.location : b.location}` })));
    expect(results.map((r) => r.context?.patient)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 'pA' : 'pB')));
    const refreshes = as.requests.filter((r) => r.path === '/token').map((r) => new URLSearchParams(r.body).get('refresh_token')).sort();
    expect(refreshes).toEqual(['RT-pA', 'RT-pB']);
  });

  it('logout ends the request\'s launch only and returns naming it; ?all=1 ends every launch', async () => {
    const smart = makeSmart();
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA');
    const b = await launchIn(smart, jar, 'pB');
    const c = await launchIn(smart, jar, 'pC');
    as.requests.length = 0;
    const out = (await smart.handle(new Request(`${APP}/logout`, { headers: { cookie: jar.header(), referer: `${APP}${a.location}` } })))!;
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe(`/?smart_launch=${a.handle}`);
    jar.take(out.headers.getSetCookie());
    expect(jar.slots().sort()).toEqual([b.handle, c.handle].sort());
    expect(as.requests.filter((r) => r.path === '/revoke').map((r) => new URLSearchParams(r.body).get('token'))).toEqual(['RT-pA']);
    expect((await smart.session({ cookie: jar.header(), url: `${APP}${b.location}` })).context?.patient).toBe('pB');
    // Ambiguous: nothing ends.
    const ambiguous = (await smart.handle(new Request(`${APP}/logout`, { headers: { cookie: jar.header() } })))!;
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.headers.getSetCookie()).toEqual([]);
    const all = (await smart.handle(new Request(`${APP}/logout?all=1`, { headers: { cookie: jar.header() } })))!;
    expect(all.status).toBe(302);
    jar.take(all.headers.getSetCookie());
    expect(jar.slots()).toEqual([]);
  });
});

describe('several launches: security', () => {
  it('a slot cookie replayed under another launch\'s name is no session', async () => {
    const smart = make();
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA');
    const b = await launchIn(smart, jar, 'pB');
    // B's sealed session presented as A's slot: refused (the sealed slot must match the name).
    const swapped = `smart_session~${a.handle}=${jar.get(`smart_session~${b.handle}`)}`;
    const r = await smart.session({ cookie: swapped, url: `${APP}${a.location}` });
    expect(r.context).toBeNull();
    expect(r.setCookie.some((c) => c.startsWith(`smart_session~${a.handle}=;`))).toBe(true);
  });

  it('store mode: a sealed id presented under another launch\'s name is no session', async () => {
    const smart = make({ store: new MemoryStore() });
    const jar = new Jar();
    const a = await launchIn(smart, jar, 'pA');
    const b = await launchIn(smart, jar, 'pB');
    const swapped = `smart_session~${a.handle}=${jar.get(`smart_session~${b.handle}`)}`;
    expect((await smart.session({ cookie: swapped, url: `${APP}${a.location}` })).context).toBeNull();
  });

  it('cookie mode keeps all launches within session.maxCookieBytes: older launches end first', async () => {
    const smart = make({ maxCookieBytes: 2048, maxLaunches: 5 });
    const jar = new Jar();
    const handles: string[] = [];
    // ~600 bytes of incompressible token per launch: three launches don't fit in 2 KB.
    for (const p of ['p1', 'p2', 'p3', 'p4']) handles.push((await launchIn(smart, jar, p, { access_token: randomBytes(450).toString('base64url') })).handle);
    const bytes = jar.slots().reduce((n, h) => n + `smart_session~${h}=`.length + jar.get(`smart_session~${h}`)!.length + 2, 0);
    expect(bytes).toBeLessThanOrEqual(2048);
    expect(jar.slots().length).toBeLessThan(4);
    expect(jar.slots()).toContain(handles[3]);
    expect(jar.slots()).not.toContain(handles[0]);
  });

  it('the single cookie of a version before several launches is cleared, not read', async () => {
    const smart = make();
    const r = await smart.session({ cookie: 'smart_session=old-sealed-value; smart_session.1=more', url: `${APP}/` });
    expect(r.context).toBeNull();
    expect(r.setCookie.some((c) => c.startsWith('smart_session=;') && /Max-Age=0/.test(c))).toBe(true);
    expect(r.setCookie.some((c) => c.startsWith('smart_session.1=;'))).toBe(true);
  });

  it('config: maxLaunches and launchParam are validated; launchParam renames the parameter', async () => {
    expect(() => make({ maxLaunches: 0 })).toThrow(/session.maxLaunches/);
    expect(() => make({ launchParam: 'a b' })).toThrow(/session.launchParam/);
    const smart = make({ launchParam: 'tab' });
    const jar = new Jar();
    const launch = (await smart.handle(new Request(`${APP}/launch`)))!;
    jar.take(launch.headers.getSetCookie());
    const state = new URL(launch.headers.get('location')!).searchParams.get('state')!;
    as.tokenResponse = async () => ({ status: 200, body: fakeTokens() });
    const cb = (await smart.handle(new Request(`${APP}/callback?code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, { headers: { cookie: jar.header() } })))!;
    expect(cb.headers.get('location')).toMatch(/^\/\?tab=[A-Za-z0-9_-]{10}$/);
  });
});
