import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '../src/index.js';
import { assertion, publicLogin, token } from './helpers.js';

let sandbox: Sandbox;
let systemToken: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  const t = await token(sandbox.origin, { grant_type: 'client_credentials', scope: 'system/*.rs', ...(await assertion('demo-backend', `${sandbox.origin}/oidc/token`, demoKeys.es384)) });
  systemToken = t.body.access_token;
});
afterAll(() => sandbox?.stop());

const get = (url: string, bearer?: string, headers: Record<string, string> = {}) => fetch(url, { headers: { ...headers, ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) } });

describe('FHIR Bulk Data $export (async pattern)', () => {
  it('kick-off -> 202 Content-Location -> 202 progress -> manifest -> NDJSON with the token', async () => {
    const kick = await get(`${sandbox.fhirBaseUrl}/$export?_type=Patient,Observation`, systemToken, { prefer: 'respond-async', accept: 'application/fhir+json' });
    expect(kick.status).toBe(202);
    const status = kick.headers.get('content-location')!;
    expect(status.startsWith(`${sandbox.fhirBaseUrl}/`)).toBe(true);
    const first = await get(status, systemToken);
    expect(first.status).toBe(202);
    expect(first.headers.get('x-progress')).toBeTruthy();
    const done = await get(status, systemToken);
    expect(done.status).toBe(200);
    const manifest = (await done.json()) as { requiresAccessToken: boolean; output: { type: string; url: string; count: number }[] };
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.output.map((o) => o.type).sort()).toEqual(['Observation', 'Patient']);
    const patients = manifest.output.find((o) => o.type === 'Patient')!;
    expect(patients.count).toBe(5);
    const file = await get(patients.url, systemToken);
    expect(file.headers.get('content-type')).toBe('application/fhir+ndjson');
    const lines = (await file.text()).trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string });
    expect(lines).toHaveLength(5);
    expect(lines.every((r) => r.resourceType === 'Patient')).toBe(true);
    // Files need the token; a job belongs to its client (a patient-app token doesn't see it).
    expect((await get(patients.url)).status).toBe(401);
    const stranger = (await publicLogin(sandbox, 'launch/patient patient/*.rs')).body.access_token;
    expect((await get(status, stranger)).status).toBe(404);
    expect((await get(patients.url, stranger)).status).toBe(404);
    expect((await fetch(status, { method: 'DELETE', headers: { authorization: `Bearer ${systemToken}` } })).status).toBe(202);
    expect((await get(status, systemToken)).status).toBe(404);
  });

  it('needs Prefer: respond-async, and unrestricted read scopes (a patient token is refused)', async () => {
    expect((await get(`${sandbox.fhirBaseUrl}/$export`, systemToken)).status).toBe(400);
    const patientToken = (await publicLogin(sandbox, 'launch/patient patient/*.rs')).body.access_token;
    expect((await get(`${sandbox.fhirBaseUrl}/Patient/$export`, patientToken, { prefer: 'respond-async' })).status).toBe(403);
    expect((await get(`${sandbox.fhirBaseUrl}/$export`, undefined, { prefer: 'respond-async' })).status).toBe(401);
    expect((await get(`${sandbox.fhirBaseUrl}/$export?_type=Basic`, systemToken, { prefer: 'respond-async' })).status).toBe(400);
  });
});
