import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { CookieJar, follow, pkce, REDIRECT_URI, token } from './helpers.js';

// The one file that runs with login and consent pages (autoApprove off).
let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: false, quiet: true }); });
afterAll(async () => { await sandbox.stop(); });

async function start(jar: CookieJar, scope: string) {
  const { verifier, challenge } = pkce();
  const q = new URLSearchParams({
    response_type: 'code', client_id: 'demo-public', redirect_uri: REDIRECT_URI, scope, state: 'st',
    aud: sandbox.fhirBaseUrl, code_challenge: challenge, code_challenge_method: 'S256',
  });
  const res = await fetch(`${sandbox.origin}/oidc/authorize?${q}`, { redirect: 'manual' });
  jar.store(res);
  return { verifier, interaction: new URL(res.headers.get('location')!, sandbox.origin) };
}

async function page(url: URL, jar: CookieJar) {
  const res = await fetch(url, { headers: { cookie: jar.header() } });
  return res.text();
}

async function submit(url: URL, jar: CookieJar, form: URLSearchParams) {
  const res = await fetch(url, { method: 'POST', redirect: 'manual', body: form, headers: { cookie: jar.header() } });
  return follow(res, sandbox.origin, jar);
}

describe('login and consent pages', () => {
  it('logs in, picks a patient on the consent page, approves', async () => {
    const jar = new CookieJar();
    const { verifier, interaction } = await start(jar, 'launch/patient openid fhirUser patient/*.rs');
    expect(interaction.pathname).toMatch(/^\/interaction\//u);
    expect(await page(interaction, jar)).toContain('Sign in');
    const afterLogin = await submitLogin(interaction, jar, 'Practitioner/pr2');
    const consent = await page(afterLogin, jar);
    expect(consent).toContain('patient/*.rs');
    expect(consent).toContain('name="patient"');
    const form = new URLSearchParams([['decision', 'approve'], ['patient', 'p4'], ['scope', 'launch/patient'], ['scope', 'openid'], ['scope', 'fhirUser'], ['scope', 'patient/*.rs']]);
    const callback = await submit(new URL(`${afterLogin.pathname}/confirm`, sandbox.origin), jar, form);
    const t = await token(sandbox.origin, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public' });
    expect(t.status).toBe(200);
    expect(t.body.patient).toBe('p4');
    const claims = JSON.parse(Buffer.from(t.body.id_token.split('.')[1], 'base64url').toString());
    expect(claims.sub).toBe('Practitioner/pr2');
  });

  it('Deny redirects with access_denied', async () => {
    const jar = new CookieJar();
    const { interaction } = await start(jar, 'launch/patient patient/*.rs');
    const afterLogin = await submitLogin(interaction, jar, 'Practitioner/pr1');
    const callback = await submit(new URL(`${afterLogin.pathname}/confirm`, sandbox.origin), jar, new URLSearchParams({ decision: 'deny' }));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('st');
  });
});

/** Posts the login form and follows redirects back to the next interaction (consent). */
async function submitLogin(interaction: URL, jar: CookieJar, user: string): Promise<URL> {
  let res = await fetch(new URL(`${interaction.pathname}/login`, sandbox.origin), {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ user }), headers: { cookie: jar.header() },
  });
  for (let i = 0; i < 5; i++) {
    jar.store(res);
    const next = new URL(res.headers.get('location')!, sandbox.origin);
    if (next.pathname.startsWith('/interaction/')) return next;
    res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
  }
  throw new Error('no consent interaction');
}
