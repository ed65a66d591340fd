import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { authorize, REDIRECT_URI, tokenAt } from './helpers.js';
import { claims, ehrLaunch, fhirRead, login, rawBasic, refresh, verifyWithIssuerJwks } from './profile-helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, profile: 'launcher' }); });
afterAll(async () => { await sandbox.stop(); });

const SCOPE = 'launch/patient openid fhirUser offline_access patient/*.rs';

describe('launcher profile (smart-launcher-v2)', () => {
  it('mints the refresh id_token without aud (the first one has it); both verify', async () => {
    const t = await login(sandbox, SCOPE);
    expect(t.status).toBe(200);
    expect(claims(t.body.id_token).aud).toBe('demo-public');
    const r = await refresh(sandbox, t.body.refresh_token);
    expect(r.status).toBe(200);
    const { payload } = await verifyWithIssuerJwks(sandbox, r.body.id_token, ['RS256']);
    expect(payload.aud).toBeUndefined();
    expect(payload.sub).toBe('Practitioner/pr1');
  });

  it('uses a relative fhirUser', async () => {
    const t = await login(sandbox, SCOPE);
    expect(claims(t.body.id_token).fhirUser).toBe('Practitioner/pr1');
  });

  it('compares HTTP Basic credentials without URL-decoding: demo%2Dsymmetric is refused, demo-symmetric works', async () => {
    const exchange = async (id: string) => {
      const a = await authorize(sandbox, { clientId: 'demo-symmetric', scope: 'launch/patient patient/*.rs' });
      return tokenAt(sandbox.tokenEndpoint, {
        grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI,
      }, rawBasic(id, 'demo-secret'));
    };
    const encoded = await exchange('demo%2Dsymmetric');
    expect(encoded.status).toBe(401);
    expect(encoded.body.error).toBe('invalid_client');
    expect((await exchange('demo-symmetric')).status).toBe(200);
  });

  it('drops state from the error redirect of a POSTed authorization request (GET keeps it)', async () => {
    const posted = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/*.rs', aud: 'http://evil.test/fhir', method: 'POST' });
    expect(posted.callback.searchParams.get('error')).toBe('invalid_request');
    expect(posted.callback.searchParams.has('state')).toBe(false);
    const got = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/*.rs', aud: 'http://evil.test/fhir' });
    expect(got.callback.searchParams.get('state')).toBe(got.state);
    const ok = await authorize(sandbox, { clientId: 'demo-public', scope: 'patient/*.rs', method: 'POST' });
    expect(ok.callback.searchParams.get('state')).toBe(ok.state);
  });

  it('hands EHR launches another iss (/v/r4/fhir) with its own discovery, serving the same data', async () => {
    expect(sandbox.ehrIssuer).toBe(`${sandbox.origin}/v/r4/fhir`);
    expect(sandbox.ehrIssuer).not.toBe(sandbox.fhirBaseUrl);
    const { iss, launch } = await ehrLaunch(sandbox);
    expect(iss).toBe(sandbox.ehrIssuer);
    const wk = await fetch(`${iss}/.well-known/smart-configuration`);
    expect(wk.status).toBe(200);
    expect(((await wk.json()) as any).token_endpoint).toBe(sandbox.tokenEndpoint);
    const t = await login(sandbox, 'launch openid fhirUser patient/*.rs', { launch, aud: iss });
    expect(t.status).toBe(200);
    expect(t.body.patient).toBe('p2');
    expect(claims(t.body.id_token).fhirUser).toBe('Practitioner/pr2');
    const viaEhr = await fhirRead(`${iss}/Patient/p2`, t.body.access_token);
    const viaStandalone = await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p2`, t.body.access_token);
    expect(viaEhr.status).toBe(200);
    expect(viaEhr.body).toEqual(viaStandalone.body);
    const search = await fhirRead(`${iss}/Observation?patient=p2&_count=1`, t.body.access_token);
    expect(search.body.entry[0].fullUrl.startsWith(`${iss}/Observation/`)).toBe(true);
  });
});
