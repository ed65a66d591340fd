import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CERNER_TENANTS, type Sandbox, startSandbox } from '../src/index.js';
import { authorize, REDIRECT_URI, tokenAt } from './helpers.js';
import { ehrLaunch, fhirRead, login, refresh } from './profile-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, profile: 'cerner' }); });
afterAll(async () => { await sandbox.stop(); });

const SCOPE = 'launch/patient openid fhirUser offline_access patient/Patient.read patient/Observation.read';

describe('cerner profile', () => {
  it('serves two tenants: FHIR at /r4/<tenant>, the authorization server under /tenants/<tenant>', async () => {
    expect(sandbox.tenants.map((t) => t.id)).toEqual([...CERNER_TENANTS]);
    expect(sandbox.fhirBaseUrlPattern).toBe(`${sandbox.origin}/r4/:tenant`);
    const pattern = new RegExp(`^${sandbox.origin.replaceAll('.', '\\.')}/r4/[^/]+$`, 'u');
    for (const tenant of sandbox.tenants) {
      expect(tenant.fhirBaseUrl).toMatch(pattern);
      expect(tenant.fhirBaseUrl).toBe(`${sandbox.origin}/r4/${tenant.id}`);
      expect(tenant.issuer).toBe(`${sandbox.origin}/tenants/${tenant.id}`);
      const smart = (await (await fetch(`${tenant.fhirBaseUrl}/.well-known/smart-configuration`)).json()) as any;
      expect(smart.token_endpoint).toBe(`${tenant.issuer}/oidc/token`);
      expect(smart.authorization_endpoint).toBe(`${tenant.issuer}/oidc/authorize`);
      const oidc = (await (await fetch(`${tenant.issuer}/.well-known/openid-configuration`)).json()) as any;
      expect(oidc.issuer).toBe(tenant.issuer);
      expect(oidc.token_endpoint).toBe(tenant.tokenEndpoint);
    }
    expect((await fetch(`${sandbox.origin}/fhir/metadata`)).status).toBe(404);
  });

  it('launches on the second tenant; its token reads there only; `tenant` and a string expires_in ("570")', async () => {
    const second = sandbox.tenants[1]!;
    const site = { ...sandbox, fhirBaseUrl: second.fhirBaseUrl, authorizationEndpoint: second.authorizationEndpoint, tokenEndpoint: second.tokenEndpoint };
    const t = await login(site as Sandbox, SCOPE);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ tenant: second.id, patient: 'p1', expires_in: '570' });
    expect(JSON.parse(Buffer.from(t.body.id_token.split('.')[1], 'base64url').toString()).iss).toBe(second.issuer);
    expect((await fhirRead(`${second.fhirBaseUrl}/Patient/p1`, t.body.access_token)).status).toBe(200);
    expect((await fhirRead(`${sandbox.tenants[0]!.fhirBaseUrl}/Patient/p1`, t.body.access_token)).status).toBe(401);
  });

  it('does not rotate refresh tokens: no refresh_token in the refresh response, the original keeps working', async () => {
    const t = await login(sandbox, SCOPE);
    const r1 = await refresh(sandbox, t.body.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).toBeUndefined();
    expect(r1.body.expires_in).toBe('570');
    expect(r1.body.access_token).not.toBe(t.body.access_token);
    const r2 = await refresh(sandbox, t.body.refresh_token);
    expect(r2.status).toBe(200);
    expect((await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, r2.body.access_token)).status).toBe(200);
  });

  it('echoes a long granted scope list in full (40 scopes)', async () => {
    const types = ['Patient', 'Observation', 'Condition', 'Encounter', 'MedicationRequest', 'AllergyIntolerance', 'Procedure',
      'Immunization', 'DiagnosticReport', 'DocumentReference', 'CarePlan', 'CareTeam', 'Goal', 'Device', 'Coverage',
      'Appointment', 'Practitioner', 'Organization', 'Location', 'Binary'];
    const resourceScopes = types.flatMap((t) => [`patient/${t}.read`, `user/${t}.read`]);
    expect(resourceScopes).toHaveLength(40);
    const t = await login(sandbox, ['launch/patient', 'openid', 'fhirUser', ...resourceScopes].join(' '));
    expect(t.status).toBe(200);
    const granted = t.body.scope.split(' ');
    expect(granted).toEqual(expect.arrayContaining(resourceScopes));
    expect(granted.length).toBeGreaterThanOrEqual(43);
  });

  it('answers errors with error_uri and no error_description (token endpoint and authorization redirects)', async () => {
    const bad = await tokenAt(sandbox.tokenEndpoint, { grant_type: 'authorization_code', code: 'nope', code_verifier: 'x'.repeat(43), redirect_uri: REDIRECT_URI, client_id: 'demo-public' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_grant');
    expect(bad.body.error_uri).toMatch(/^urn:cerner:error:authorization-server:oauth2:token:invalid-grant/u);
    expect(bad.body).not.toHaveProperty('error_description');
    const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/Patient.read', aud: 'http://evil.test/fhir' });
    expect(a.callback.searchParams.get('error')).toBe('invalid_request');
    expect(a.callback.searchParams.get('error_uri')).toMatch(/^urn:cerner:error:/u);
    expect(a.callback.searchParams.has('error_description')).toBe(false);
    expect(a.callback.searchParams.get('state')).toBe(a.state);
  });

  it('hands EHR launches the chosen tenant\'s FHIR base', async () => {
    const second = sandbox.tenants[1]!;
    expect((await ehrLaunch(sandbox)).iss).toBe(sandbox.tenants[0]!.fhirBaseUrl);
    const { iss, launch } = await ehrLaunch(sandbox, { tenant: second.id });
    expect(iss).toBe(second.fhirBaseUrl);
    const site = { ...sandbox, fhirBaseUrl: second.fhirBaseUrl, authorizationEndpoint: second.authorizationEndpoint, tokenEndpoint: second.tokenEndpoint };
    const t = await login(site as Sandbox, 'launch openid fhirUser patient/Patient.read', { launch, aud: iss });
    expect(t.status).toBe(200);
    expect(t.body.patient).toBe('p2');
  });
});
