import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { authorize, fhirGet, token, REDIRECT_URI } from './helpers.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true }); });
afterAll(async () => { await sandbox.stop(); });

it('smoke', async () => {
  const a = await authorize(sandbox, { clientId: 'demo-public', scope: 'launch/patient openid fhirUser offline_access patient/*.rs' });
  console.log(a.callback.toString());
  const t = await token(sandbox.origin, { grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public' });
  console.log(t);
  const p = await fhirGet(`${sandbox.fhirBaseUrl}/Observation?_count=2`, t.body.access_token);
  console.log(JSON.stringify(p.body).slice(0, 600));
  expect(t.status).toBe(200);
});
