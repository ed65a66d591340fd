import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { authorize, CookieJar, follow, pkce, publicLogin, REDIRECT_URI, token } from './helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true }); });
afterAll(async () => { await sandbox.stop(); });

describe('standalone launch (public client, PKCE)', () => {
  it('issues a token with patient context and a verifiable id_token with fhirUser', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'launch/patient openid fhirUser offline_access patient/*.rs' });
    expect(a.callback.searchParams.get('state')).toBe(a.state);
    expect(a.callback.searchParams.get('iss')).toBe(sandbox.issuer); // RFC 9207
    const t = await token(sandbox.origin, {
      grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public',
    });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'Bearer', patient: 'p1', need_patient_banner: true, smart_style_url: `${sandbox.origin}/smart-style.json` });
    expect(t.body.scope.split(' ')).toEqual(expect.arrayContaining(['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs']));
    expect(t.body.refresh_token).toBeTypeOf('string');
    expect(t.body.expires_in).toBe(300);
    const { payload } = await jwtVerify(t.body.id_token, createRemoteJWKSet(new URL(`${sandbox.origin}/oidc/jwks`)), {
      issuer: sandbox.issuer, audience: 'demo-public', algorithms: ['RS256'],
    });
    expect(payload.fhirUser).toBe(`${sandbox.fhirBaseUrl}/Practitioner/pr1`);
  });

  it('accepts the authorization request by POST (authorize-post)', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'launch/patient patient/Patient.rs', method: 'POST' });
    expect(a.code).toBeTruthy();
  });

  it('accepts any loopback redirect URI for demo clients', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/*.rs', redirectUri: 'http://localhost:8123/cb' });
    expect(a.code).toBeTruthy();
  });

  it('rejects a wrong PKCE verifier', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'launch/patient patient/*.rs' });
    const t = await token(sandbox.origin, {
      grant_type: 'authorization_code', code: a.code!, code_verifier: pkce().verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public',
    });
    expect(t.status).toBe(400);
    expect(t.body.error).toBe('invalid_grant');
  });

  it('rejects requests without PKCE or with plain PKCE', async () => {
    const base = { response_type: 'code', client_id: 'demo-public', redirect_uri: REDIRECT_URI, scope: 'patient/*.rs', state: 's', aud: sandbox.fhirBaseUrl };
    for (const extra of [{}, { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' }]) {
      const res = await fetch(`${sandbox.origin}/oidc/authorize?${new URLSearchParams({ ...base, ...extra })}`, { redirect: 'manual' });
      const cb = await follow(res, sandbox.origin, new CookieJar());
      expect(cb.searchParams.get('error')).toBe('invalid_request');
    }
  });

  it('rejects a wrong or missing aud with invalid_request', async () => {
    for (const aud of ['http://evil.test/fhir', undefined]) {
      const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/*.rs', aud });
      expect(a.callback.searchParams.get('error')).toBe('invalid_request');
      expect(a.callback.searchParams.get('state')).toBe(a.state);
    }
    const ok = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/*.rs', aud: `${sandbox.fhirBaseUrl}/` });
    expect(ok.code).toBeTruthy();
  });
});

describe('EHR launch', () => {
  it('redirects to the app with iss and launch, then returns patient and encounter', async () => {
    const q = new URLSearchParams({ launch_url: 'http://127.0.0.1:3000/launch', patient: 'p2', user: 'pr2', encounter: 'e2-1' });
    const res = await fetch(`${sandbox.origin}/ehr/launch?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const launchUrl = new URL(res.headers.get('location')!);
    expect(launchUrl.origin + launchUrl.pathname).toBe('http://127.0.0.1:3000/launch');
    expect(launchUrl.searchParams.get('iss')).toBe(sandbox.fhirBaseUrl);
    const launch = launchUrl.searchParams.get('launch')!;
    const t = await publicLogin(sandbox, 'launch openid fhirUser patient/*.rs', launch);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ patient: 'p2', encounter: 'e2-1', need_patient_banner: false });
    const claims = JSON.parse(Buffer.from(t.body.id_token.split('.')[1], 'base64url').toString());
    expect(claims.fhirUser).toBe(`${sandbox.fhirBaseUrl}/Practitioner/pr2`);
  });

  it('returns fhirContext and intent from createLaunch()', async () => {
    const launch = sandbox.createLaunch({ patient: 'p3', fhirContext: ['Encounter/e3-2', { reference: 'Condition/c3' }], intent: 'reconcile-medications', needPatientBanner: true });
    const t = await publicLogin(sandbox, 'launch patient/*.rs', launch);
    expect(t.body).toMatchObject({
      patient: 'p3', intent: 'reconcile-medications', need_patient_banner: true,
      fhirContext: [{ reference: 'Encounter/e3-2' }, { reference: 'Condition/c3' }],
    });
  });

  it('rejects an unknown launch', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'launch patient/*.rs', launch: 'nope' });
    expect(a.callback.searchParams.get('error')).toBe('invalid_request');
  });

  it('shows the EHR screen without launch_url', async () => {
    const res = await fetch(`${sandbox.origin}/ehr/launch`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Launch');
    expect(html).toContain('Express example');
    expect(html).toContain('name="embedded"');
  });

  it('embedded=1 shows the app in an iframe whose src is the launch URL (escaped)', async () => {
    const q = new URLSearchParams({ launch_url: 'http://localhost:9/launch?x="><script>', patient: 'p2', embedded: '1' });
    const res = await fetch(`${sandbox.origin}/ehr/launch?${q}`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>');
    const src = /<iframe id="app"[^>]* src="([^"]*)"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
    const target = new URL(src!);
    expect(target.origin + target.pathname).toBe('http://localhost:9/launch');
    expect(target.searchParams.get('iss')).toBe(sandbox.fhirBaseUrl);
    expect(target.searchParams.get('launch')).toBeTruthy();
  });
});
