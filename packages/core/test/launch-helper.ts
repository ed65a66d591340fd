import { CookieJar } from '../../sandbox/test/helpers.js';
import type { SmartContext, Smart } from '../src/index.js';

const pairs = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

/**
 * A full standalone launch without a browser, against a sandbox started with autoApprove:
 * app /launch -> authorize -> (auto-approve) -> app /callback -> session. Returns the context.
 */
export async function fullLaunch(smart: Smart, app: string): Promise<SmartContext> {
  const start = (await smart.handle(new Request(`${app}/launch`)))!;
  if (start.status !== 302) throw new Error(`launch answered ${start.status}: ${await start.text()}`);
  const txCookie = pairs(start);
  const jar = new CookieJar();
  let location = start.headers.get('location')!;
  for (let hop = 0; !location.startsWith(`${app}/callback`); hop++) {
    if (hop > 10) throw new Error('too many redirects');
    const res = await fetch(location, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const next = res.headers.get('location');
    if (!next) throw new Error(`authorization stopped at ${res.status}: ${(await res.text()).slice(0, 300)}`);
    location = new URL(next, location).href;
  }
  const cb = (await smart.handle(new Request(location, { headers: { cookie: txCookie, accept: 'application/json' } })))!;
  if (cb.status !== 302) throw new Error(`callback answered ${cb.status}: ${await cb.text()}`);
  const session = await smart.session({ cookie: pairs(cb), url: `${app}/` });
  if (!session.context) throw new Error(`no session: ${session.error?.message}`);
  return session.context;
}
