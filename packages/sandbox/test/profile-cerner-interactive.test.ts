import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { CookieJar, follow, pkce, REDIRECT_URI, tokenAt } from './helpers.js';

// cerner tenants with login and consent pages: the interaction pages live under /tenants/<id> too.
let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: false, quiet: true, profile: 'cerner' }); });
afterAll(async () => { await sandbox.stop(); });

describe('cerner tenant login and consent pages', () => {
  it('runs login and consent under the tenant prefix and issues a code for that tenant', async () => {
    const tenant = sandbox.tenants[1]!;
    const jar = new CookieJar();
    const { verifier, challenge } = pkce();
    const q = new URLSearchParams({
      response_type: 'code', client_id: 'demo-public', redirect_uri: REDIRECT_URI, scope: 'launch/patient patient/Patient.read',
      state: 'st', aud: tenant.fhirBaseUrl, code_challenge: challenge, code_challenge_method: 'S256',
    });
    const res = await fetch(`${tenant.authorizationEndpoint}?${q}`, { redirect: 'manual' });
    jar.store(res);
    const interaction = new URL(res.headers.get('location')!, sandbox.origin);
    expect(interaction.pathname.startsWith(`/tenants/${tenant.id}/interaction/`)).toBe(true);
    const login = await (await fetch(interaction, { headers: { cookie: jar.header() } })).text();
    expect(login).toContain(`action="/tenants/${tenant.id}/interaction/`);
    const post = async (url: URL, form: URLSearchParams) => {
      const r = await fetch(url, { method: 'POST', redirect: 'manual', body: form, headers: { cookie: jar.header() } });
      jar.store(r);
      return r;
    };
    let r = await post(new URL(`${interaction.pathname}/login`, sandbox.origin), new URLSearchParams({ user: 'Practitioner/pr1' }));
    // resume at the tenant's authorization endpoint, then the consent page
    let next = new URL(r.headers.get('location')!, sandbox.origin);
    expect(next.pathname.startsWith(`/tenants/${tenant.id}/oidc/authorize/`)).toBe(true);
    r = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(r);
    next = new URL(r.headers.get('location')!, sandbox.origin);
    const consent = await (await fetch(next, { headers: { cookie: jar.header() } })).text();
    expect(consent).toContain(`action="/tenants/${tenant.id}/interaction/`);
    const form = new URLSearchParams([['decision', 'approve'], ['patient', 'p3'], ['scope', 'launch/patient'], ['scope', 'patient/Patient.read']]);
    const callback = await follow(await post(new URL(`${next.pathname}/confirm`, sandbox.origin), form), sandbox.origin, jar);
    expect(callback.searchParams.get('iss')).toBe(tenant.issuer);
    const t = await tokenAt(tenant.tokenEndpoint, { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, code_verifier: verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public' });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ patient: 'p3', tenant: tenant.id });
  });
});
