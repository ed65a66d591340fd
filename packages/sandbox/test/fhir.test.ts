import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { fhirGet, publicLogin } from './helpers.js';

let sandbox: Sandbox;
let patientToken: string;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
  patientToken = (await publicLogin(sandbox, 'launch/patient patient/*.rs')).body.access_token;
});
afterAll(async () => { await sandbox.stop(); });

const at = (path: string) => `${sandbox.fhirBaseUrl}/${path}`;

describe('patient compartment', () => {
  it('reads the in-context patient and their data', async () => {
    const p = await fhirGet(at('Patient/p1'), patientToken);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ resourceType: 'Patient', id: 'p1', birthDate: '1987-02-20' });
    expect((await fhirGet(at('Observation/hr1-1'), patientToken)).status).toBe(200);
  });

  it('rejects reading another patient or their data', async () => {
    expect((await fhirGet(at('Patient/p2'), patientToken)).status).toBe(403);
    expect((await fhirGet(at('Observation/hr2-1'), patientToken)).status).toBe(403);
    expect((await fhirGet(at('Observation/does-not-exist'), patientToken)).status).toBe(404);
  });

  it('restricts searches to the compartment', async () => {
    const all = await fhirGet(at('Observation?_count=100'), patientToken);
    expect(all.status).toBe(200);
    expect(all.body.entry.length).toBeGreaterThan(0);
    for (const e of all.body.entry) expect(e.resource.subject.reference).toBe('Patient/p1');
    const other = await fhirGet(at('Observation?subject=Patient/p2'), patientToken);
    expect(other.body.entry ?? []).toHaveLength(0);
    const patients = await fhirGet(at('Patient'), patientToken);
    expect(patients.body.entry.map((e: any) => e.resource.id)).toEqual(['p1']);
  });

  it('accepts a reference search parameter as a bare id or as Type/id', async () => {
    const bare = await fhirGet(at('Observation?patient=p1&category=vital-signs'), patientToken);
    const typed = await fhirGet(at('Observation?patient=Patient/p1&category=vital-signs'), patientToken);
    expect(bare.body.total).toBeGreaterThan(0);
    expect(bare.body.total).toBe(typed.body.total);
    const other = await fhirGet(at('Observation?patient=p2'), patientToken);
    expect(other.body.entry ?? []).toHaveLength(0);
  });
});

describe('scope enforcement', () => {
  it('patient/Observation.r allows read but not search', async () => {
    const t = (await publicLogin(sandbox, 'launch/patient patient/Observation.r')).body.access_token;
    expect((await fhirGet(at('Observation/hr1-1'), t)).status).toBe(200);
    const search = await fhirGet(at('Observation'), t);
    expect(search.status).toBe(403);
    expect(search.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect((await fhirGet(at('Condition/c1'), t)).status).toBe(403);
  });

  it('v1 patient/Observation.read means read + search', async () => {
    const t = (await publicLogin(sandbox, 'launch/patient patient/Observation.read')).body.access_token;
    expect((await fhirGet(at('Observation'), t)).status).toBe(200);
    expect((await fhirGet(at('Patient/p1'), t)).status).toBe(403);
  });

  it('applies ?param=value constraints', async () => {
    const scope = 'launch/patient patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs';
    const t = await publicLogin(sandbox, scope);
    expect(t.body.scope).toContain('patient/Observation.rs?category=');
    const search = await fhirGet(at('Observation?_count=100'), t.body.access_token);
    expect(search.body.entry.length).toBeGreaterThan(0);
    for (const e of search.body.entry) expect(e.resource.category[0].coding[0].code).toBe('vital-signs');
    expect((await fhirGet(at('Observation/lab1-1'), t.body.access_token)).status).toBe(403);
  });

  it('user/ scopes see every patient', async () => {
    const t = (await publicLogin(sandbox, 'openid fhirUser user/*.rs')).body.access_token;
    expect((await fhirGet(at('Patient/p4'), t)).status).toBe(200);
    const search = await fhirGet(at('Patient'), t);
    expect(search.body.total).toBe(5);
  });
});

describe('paging', () => {
  it('returns absolute next links under the FHIR base', async () => {
    const t = (await publicLogin(sandbox, 'user/*.rs')).body.access_token;
    const first = await fhirGet(at('Observation?_count=4'), t);
    expect(first.body.entry).toHaveLength(4);
    expect(first.body.entry[0].fullUrl).toMatch(new RegExp(`^${sandbox.fhirBaseUrl}/Observation/`, 'u'));
    const next = first.body.link.find((l: any) => l.relation === 'next').url as string;
    expect(next.startsWith(`${sandbox.fhirBaseUrl}/Observation?`)).toBe(true);
    const second = await fhirGet(next, t);
    expect(second.status).toBe(200);
    expect(second.body.entry[0].resource.id).not.toBe(first.body.entry[0].resource.id);
  });
});

describe('writes', () => {
  it('need a write scope', async () => {
    const body = JSON.stringify({ resourceType: 'Observation', status: 'final', code: { text: 'note' }, subject: { reference: 'Patient/p1' } });
    const post = (t: string) => fetch(at('Observation'), { method: 'POST', body, headers: { authorization: `Bearer ${t}`, 'content-type': 'application/fhir+json' } });
    const readOnly = (await publicLogin(sandbox, 'user/*.rs')).body.access_token;
    expect((await post(readOnly)).status).toBe(403);
    const writer = (await publicLogin(sandbox, 'user/Observation.cruds')).body.access_token;
    expect((await post(writer)).status).toBe(201);
  });
});
