import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDPLUM_CLIENT, type Sandbox, startSandbox } from '../src/index.js';
import { authorize, REDIRECT_URI, tokenAt } from './helpers.js';
import { claims, ehrLaunch, fhirRead, header, login, rawBasic, refresh, verifyWithIssuerJwks } from './profile-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, profile: 'medplum' }); });
afterAll(async () => { await sandbox.stop(); });

const SCOPE = 'launch/patient openid fhirUser offline_access patient/*.rs';

describe('medplum profile', () => {
  it('signs id_tokens ES256 while its OpenID configuration says RS256', async () => {
    const d = (await (await fetch(`${sandbox.issuer}/.well-known/openid-configuration`)).json()) as any;
    expect(d.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(d.revocation_endpoint).toBeUndefined();
    const t = await login(sandbox, SCOPE);
    expect(header(t.body.id_token).alg).toBe('ES256');
    const { payload } = await verifyWithIssuerJwks(sandbox, t.body.id_token, ['ES256']);
    expect(payload.fhirUser).toBe('Practitioner/pr1');
  });

  it('lists no algorithms and no revocation endpoint in its smart-configuration', async () => {
    const c = (await (await fetch(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`)).json()) as any;
    expect(c.token_endpoint).toBe(sandbox.tokenEndpoint);
    expect(c).not.toHaveProperty('token_endpoint_auth_signing_alg_values_supported');
    expect(c).not.toHaveProperty('revocation_endpoint');
    expect(c).not.toHaveProperty('userinfo_endpoint');
    expect((await fetch(`${sandbox.origin}/oidc/revoke`, { method: 'POST' })).status).toBe(404);
  });

  it('compares HTTP Basic credentials without URL-decoding (UUID client id)', async () => {
    const exchange = async (id: string) => {
      const a = await authorize(sandbox, { clientId: MEDPLUM_CLIENT.id, scope: 'launch/patient patient/*.rs' });
      return tokenAt(sandbox.tokenEndpoint, {
        grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI,
      }, rawBasic(id, MEDPLUM_CLIENT.secret));
    };
    const encoded = await exchange(MEDPLUM_CLIENT.id.replaceAll('-', '%2D'));
    expect(encoded.status).toBe(400);
    expect(encoded.body.error).toBe('invalid_request');
    const plain = await exchange(MEDPLUM_CLIENT.id);
    expect(plain.status).toBe(200);
    expect((await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, plain.body.access_token)).status).toBe(200);
  });

  it('refuses a rotated-out refresh token with 400 invalid_request; the new one keeps working', async () => {
    const t = await login(sandbox, SCOPE);
    const r1 = await refresh(sandbox, t.body.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(t.body.refresh_token);
    const reused = await refresh(sandbox, t.body.refresh_token);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_request');
    const r2 = await refresh(sandbox, r1.body.refresh_token);
    expect(r2.status).toBe(200);
  });

  it('always returns an id_token, even without openid', async () => {
    const t = await login(sandbox, 'launch/patient offline_access patient/*.rs');
    expect(t.body.scope.split(' ')).not.toContain('openid');
    expect(t.body.id_token).toBeTypeOf('string');
    const { payload } = await verifyWithIssuerJwks(sandbox, t.body.id_token, ['ES256']);
    expect(payload).toMatchObject({ aud: 'demo-public', sub: 'Practitioner/pr1', fhirUser: 'Practitioner/pr1' });
    const r = await refresh(sandbox, t.body.refresh_token);
    expect(claims(r.body.id_token).sub).toBe('Practitioner/pr1');
  });

  it('still runs the CONTRACTS EHR launch with a relative fhirUser', async () => {
    const { iss, launch } = await ehrLaunch(sandbox);
    const t = await login(sandbox, 'launch openid fhirUser patient/*.rs', { launch, aud: iss });
    expect(t.body.patient).toBe('p2');
    expect(claims(t.body.id_token).fhirUser).toBe('Practitioner/pr2');
  });
});
