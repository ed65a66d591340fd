import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { claims, ehrLaunch, fhirRead, login } from './profile-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, profile: 'v1' }); });
afterAll(async () => { await sandbox.stop(); });

describe('v1 profile (SMART App Launch 1.0 server)', () => {
  it('has no .well-known/smart-configuration; the OAuth URIs are in the CapabilityStatement extension', async () => {
    expect((await fetch(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`)).status).toBe(404);
    const cs = (await (await fetch(`${sandbox.fhirBaseUrl}/metadata`)).json()) as any;
    const ext = cs.rest[0].security.extension.find((e: any) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
    const uris = Object.fromEntries(ext.extension.map((e: any) => [e.url, e.valueUri]));
    expect(uris).toMatchObject({ authorize: sandbox.authorizationEndpoint, token: sandbox.tokenEndpoint });
  });

  it('grants v1 scopes only: v2 `.rs` and fhirUser are dropped; a v2-only request reads nothing', async () => {
    const t = await login(sandbox, 'launch/patient openid profile fhirUser patient/*.read patient/Observation.rs');
    expect(t.status).toBe(200);
    const granted = t.body.scope.split(' ');
    expect(granted).toEqual(expect.arrayContaining(['launch/patient', 'openid', 'profile', 'patient/*.read']));
    expect(granted).not.toContain('patient/Observation.rs');
    expect(granted).not.toContain('fhirUser');
    expect((await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, t.body.access_token)).status).toBe(200);
    const v2only = await login(sandbox, 'launch/patient patient/*.rs');
    expect(v2only.body.scope.split(' ')).not.toContain('patient/*.rs');
    expect((await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, v2only.body.access_token)).status).toBe(403);
  });

  it('puts the user in the id_token `profile` claim (a FHIR resource URL), no fhirUser', async () => {
    const t = await login(sandbox, 'launch/patient openid profile patient/*.read');
    const c = claims(t.body.id_token);
    expect(c.profile).toBe(`${sandbox.fhirBaseUrl}/Practitioner/pr1`);
    expect(c.fhirUser).toBeUndefined();
  });

  it('still runs the CONTRACTS EHR launch', async () => {
    const { iss, launch } = await ehrLaunch(sandbox);
    expect(iss).toBe(sandbox.fhirBaseUrl);
    const t = await login(sandbox, 'launch openid profile patient/*.read', { launch });
    expect(t.body.patient).toBe('p2');
    expect(claims(t.body.id_token).profile).toBe(`${sandbox.fhirBaseUrl}/Practitioner/pr2`);
  });
});
