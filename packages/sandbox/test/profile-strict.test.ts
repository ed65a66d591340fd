import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { authorize, REDIRECT_URI, tokenAt } from './helpers.js';
import { ehrLaunch, login, rawBasic } from './profile-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true }); });
afterAll(async () => { await sandbox.stop(); });

describe('strict profile (default)', () => {
  it('is the default and exposes one tenant whose EHR iss is the FHIR base', async () => {
    expect(sandbox.profile).toBe('strict');
    expect(sandbox.ehrIssuer).toBe(sandbox.fhirBaseUrl);
    expect(sandbox.fhirBaseUrlPattern).toBe(sandbox.fhirBaseUrl);
    expect(sandbox.tenants).toEqual([expect.objectContaining({ id: 'default', fhirBaseUrl: `${sandbox.origin}/fhir`, issuer: sandbox.origin })]);
    expect(sandbox.tokenEndpoint).toBe(`${sandbox.origin}/oidc/token`);
    expect((await ehrLaunch(sandbox)).iss).toBe(sandbox.fhirBaseUrl);
  });

  it('URL-decodes HTTP Basic credentials (RFC 6749 §2.3.1): demo%2Dsymmetric is demo-symmetric', async () => {
    const a = await authorize(sandbox, { clientId: 'demo-symmetric', scope: 'launch/patient patient/*.rs' });
    const t = await tokenAt(sandbox.tokenEndpoint, {
      grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI,
    }, rawBasic('demo%2Dsymmetric', 'demo-secret'));
    expect(t.status).toBe(200);
  });

  it('keeps the refresh id_token aud, the string-free token response and rotation', async () => {
    const t = await login(sandbox, 'launch/patient openid fhirUser offline_access patient/*.rs');
    const r = await tokenAt(sandbox.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: 'demo-public' });
    expect(r.status).toBe(200);
    expect(JSON.parse(Buffer.from(r.body.id_token.split('.')[1], 'base64url').toString()).aud).toBe('demo-public');
    expect(r.body.expires_in).toBe(300);
    expect(r.body.need_patient_banner).toBe(true);
    expect(r.body.refresh_token).not.toBe(t.body.refresh_token);
  });

  it('gives refreshed access tokens their own lifetime (refreshedAccessTokenTtl)', async () => {
    const other = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
    try {
      const t = await login(other, 'launch/patient offline_access patient/*.rs');
      expect(t.body.expires_in).toBe(62);
      const r = await tokenAt(other.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: t.body.refresh_token, client_id: 'demo-public' });
      expect(r.status).toBe(200);
      expect(r.body.expires_in).toBe(300);
    } finally {
      await other.stop();
    }
  });

  it('takes the profile from SANDBOX_PROFILE and refuses unknown names', async () => {
    const saved = process.env.SANDBOX_PROFILE;
    try {
      process.env.SANDBOX_PROFILE = 'nope';
      await expect(startSandbox({ port: 0, quiet: true })).rejects.toThrow(/unknown sandbox profile 'nope'/u);
      process.env.SANDBOX_PROFILE = 'v1';
      const v1 = await startSandbox({ port: 0, quiet: true });
      try {
        expect(v1.profile).toBe('v1');
      } finally {
        await v1.stop();
      }
    } finally {
      if (saved === undefined) delete process.env.SANDBOX_PROFILE;
      else process.env.SANDBOX_PROFILE = saved;
    }
  });
});
