import * as oidc from 'openid-client';
import type { SmartCore } from './core.js';
import { parseCookies } from '../session/cookies.js';
import { slotHandles, withLaunchParam } from '../session/launch-handle.js';
import type { SessionData } from '../session/types.js';
import { safeReturnPath } from '../url.js';
import { confirmLogoutPage, pageHeaders } from './html.js';
import { chooseLaunch, launchAmbiguous } from './launches.js';

/** RFC 7009: revoke the refresh token (and with it, at most servers, its access tokens). Best effort. */
async function revoke(core: SmartCore, data: SessionData): Promise<void> {
  if (!data.revocationEndpoint || !data.refreshToken) return;
  const issuer = core.issuer(data.iss);
  if (!issuer) return;
  try {
    const conf = core.oauth(issuer, await core.keysFor(issuer), { issuer: data.issuer, tokenEndpoint: data.tokenEndpoint, revocationEndpoint: data.revocationEndpoint });
    await oidc.tokenRevocation(conf, data.refreshToken, { token_type_hint: 'refresh_token' });
  } catch (e) {
    core.log('warn', 'smart-launch: token revocation failed', { code: (e as { code?: string })?.code ?? 'error' });
  }
}

/** Ends the given slots of this browser (revocation, store entry, cookies): their Set-Cookie values. */
export async function endLaunches(core: SmartCore, cookies: Map<string, string>, secure: boolean, slots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const slot of slots) {
    const data = (await core.sessions.load(cookies, slot).catch(() => undefined))?.data;
    if (data) await revoke(core, data);
    out.push(...(await core.sessions.destroy(data, cookies, secure, slot)));
  }
  return out;
}

/**
 * GET/POST {logout}: ends the request's launch (ADR 0008: resolved like every other request) and
 * returns to `returnTo` naming the ended launch, so this tab shows "signed out" and never another
 * launch. `?all=1` ends every launch of this browser. Several launches and none named: nothing
 * ends (409 page).
 */
export async function handleLogout(core: SmartCore, request: Request, url: URL): Promise<Response> {
  const { routes, session } = core.cfg;
  const appOrigin = core.cfg.baseUrl ?? url.origin;
  const returnTo = safeReturnPath(url.searchParams.get('returnTo'), core.cfg.afterLogoutPath);
  const all = url.searchParams.get('all') === '1';
  const method = request.method.toUpperCase();
  // Logout CSRF: another site may link here, but not end the session (and revoke its refresh
  // token) by itself. A cross-site GET gets a confirmation page; a POST must come from this origin.
  if (method === 'GET' && /^(cross-site|same-site)$/.test(request.headers.get('sec-fetch-site') ?? '')) {
    const named = url.searchParams.get(session.launchParam);
    const action = `${routes.logout}?returnTo=${encodeURIComponent(returnTo)}${all ? '&all=1' : ''}${named ? `&${session.launchParam}=${encodeURIComponent(named)}` : ''}`;
    return new Response(confirmLogoutPage(action), { status: 200, headers: pageHeaders() });
  }
  const origin = request.headers.get('origin');
  if (method === 'POST' && origin !== null && origin !== appOrigin) {
    return new Response('Forbidden', { status: 403, headers: { 'cache-control': 'no-store' } });
  }
  const cookieHeader = request.headers.get('cookie');
  const cookies = parseCookies(cookieHeader);
  const secure = core.secureCookies(url.href);
  const headers = new Headers({ 'cache-control': 'no-store' });
  const setCookie = core.sessions.clearLegacy(cookies, secure);
  let location = returnTo;
  if (all) {
    setCookie.push(...(await endLaunches(core, cookies, secure, slotHandles(cookieHeader, session.cookieName))));
  } else {
    const req = { cookie: cookieHeader, url: url.href, method: 'GET', header: (n: string) => request.headers.get(n) };
    const choice = chooseLaunch(core, req);
    if (choice.kind === 'ambiguous') {
      const { response } = launchAmbiguous(core, { ...req, header: (n) => (n === 'accept' ? 'text/html' : request.headers.get(n)) });
      return response!;
    }
    if (choice.kind !== 'none') {
      setCookie.push(...(await endLaunches(core, cookies, secure, [choice.handle])));
      location = withLaunchParam(returnTo, session.launchParam, choice.handle);
    }
  }
  headers.set('location', location);
  for (const c of setCookie) headers.append('set-cookie', c);
  return new Response(null, { status: 302, headers });
}
