import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../src/index.js';

// Console spies go in before the sandbox is imported: oidc-provider prints its first notice then.
const warn = vi.spyOn(console, 'warn');
const info = vi.spyOn(console, 'info');
const notices = () => [...warn.mock.calls, ...info.mock.calls].map((c) => String(c[0])).filter((m) => m.includes('oidc-provider'));
const { startSandbox } = await import('../src/index.js');

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
});
afterAll(() => sandbox?.stop());

const read = (url: string, token: string) => fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });

describe('issueToken', () => {
  it('mints a token the FHIR API accepts, inside its patient compartment', async () => {
    const t = await sandbox.issueToken({ patient: 'p2', user: 'Practitioner/pr2' });
    expect(t).toMatchObject({ iss: sandbox.fhirBaseUrl, patient: 'p2', fhirUser: `${sandbox.fhirBaseUrl}/Practitioner/pr2`, tokenType: 'Bearer', scope: 'launch/patient openid fhirUser patient/*.rs' });
    expect(t.expiresAt - Date.now() / 1000).toBeGreaterThan(250);
    expect((await read(`${sandbox.fhirBaseUrl}/Patient/p2`, t.accessToken)).status).toBe(200);
    // patient/ scopes: another patient is out of reach (SMART 2.2 scopes: the patient compartment).
    expect((await read(`${sandbox.fhirBaseUrl}/Patient/p3`, t.accessToken)).status).toBe(403);
    // Not a token the server would take on a whim: a tampered one is refused.
    expect((await read(`${sandbox.fhirBaseUrl}/Patient/p2`, `${t.accessToken}x`)).status).toBe(401);
  });

  it('introspection sees the client, the scope and the launch context', async () => {
    const t = await sandbox.issueToken({ clientId: 'demo-symmetric', patient: 'p4', scope: 'launch/patient patient/Observation.rs' });
    const res = await fetch(`${sandbox.origin}/oidc/introspect`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('demo-symmetric:demo-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: t.accessToken }),
    });
    expect(await res.json()).toMatchObject({ active: true, client_id: 'demo-symmetric', scope: 'launch/patient patient/Observation.rs', patient: 'p4' });
  });

  it('honours expiresIn, drops system/ scopes, and refuses unknown clients, users and patients', async () => {
    const t = await sandbox.issueToken({ scope: 'user/*.rs system/*.rs', expiresIn: 1 });
    expect(t.scope).toBe('user/*.rs');
    expect(t.patient).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await read(`${sandbox.fhirBaseUrl}/Patient/p1`, t.accessToken)).status).toBe(401);
    await expect(sandbox.issueToken({ clientId: 'nobody' })).rejects.toThrow(/no client "nobody"/);
    await expect(sandbox.issueToken({ user: 'Practitioner/ghost' })).rejects.toThrow(/no user/);
    await expect(sandbox.issueToken({ patient: 'p999' })).rejects.toThrow(/no patient "p999"/);
  });
});

describe('seed', () => {
  it('loads a transaction-style bundle: ids kept or assigned, urn:uuid references resolved, patients become users', async () => {
    const stored = await sandbox.seed({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:9b1c1c1e-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ given: ['Tess'], family: 'Ting' }], birthDate: '1990-02-03' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'Heart rate' }, subject: { reference: 'urn:uuid:9b1c1c1e-0000-4000-8000-000000000001' } } },
        { resource: { resourceType: 'Patient', id: 'tess2', name: [{ family: 'Two' }] } },
      ],
    });
    const patient = stored[0]!;
    expect(stored[2]!.id).toBe('tess2');
    expect((stored[1] as { subject?: { reference?: string } }).subject?.reference).toBe(`Patient/${patient.id}`);
    const t = await sandbox.issueToken({ patient: patient.id! });
    const obs = await read(`${sandbox.fhirBaseUrl}/Observation?patient=${patient.id}`, t.accessToken);
    const bundle = (await obs.json()) as { entry?: { resource: { code: { text: string } } }[] };
    expect(bundle.entry?.map((e) => e.resource.code.text)).toEqual(['Heart rate']);
    // A seeded patient is on the EHR launch list.
    const page = await (await fetch(`${sandbox.origin}/ehr/launch`)).text();
    expect(page).toContain('Tess Ting');
  });

  it('takes an array of resources and refuses what is not FHIR', async () => {
    const [pr] = await sandbox.seed([{ resourceType: 'Practitioner', id: 'seeded-pr', name: [{ family: 'Seed' }] }]);
    expect(pr!.id).toBe('seeded-pr');
    expect((await sandbox.issueToken({ user: 'seeded-pr' })).fhirUser).toBe(`${sandbox.fhirBaseUrl}/Practitioner/seeded-pr`);
    await expect(sandbox.seed({ resourceType: 'Patient' } as never)).rejects.toThrow(/Bundle or an array/);
    await expect(sandbox.seed([{ id: 'x' } as never])).rejects.toThrow(/resourceType/);
  });
});

describe('quiet', () => {
  it('prints no oidc-provider notice: not at import, not on a form POST to the token endpoint', async () => {
    // A code flow ends in a form POST, whose pre-read body makes oidc-provider warn once.
    const { publicLogin } = await import('./helpers.js');
    await publicLogin(sandbox, 'launch/patient openid patient/*.rs');
    expect(notices()).toEqual([]);
  });
});
