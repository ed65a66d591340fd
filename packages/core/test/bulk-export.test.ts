/**
 * Bulk Data $export. The sandbox's FHIR engine (Medplum FhirRouter + MemoryRepository) has no
 * `$export`, so a tiny bulk server stands in for the FHIR side; tokens come from the real sandbox.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient, type BackendClient } from '../src/backend/index.js';
import { ErrorCode, FhirError } from '../src/index.js';

interface Seen { method: string; path: string; auth?: string; prefer?: string }
let sandbox: Sandbox;
let bulk: Server;
let foreign: Server;
let base: string;
let foreignBase: string;
const seen: Seen[] = [];
let polls = 0;
let requiresAccessToken = true;

function record(req: IncomingMessage): Seen {
  const s: Seen = { method: req.method!, path: req.url! };
  if (req.headers.authorization) s.auth = req.headers.authorization;
  if (req.headers.prefer) s.prefer = String(req.headers.prefer);
  seen.push(s);
  return s;
}

const ndjson = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, quiet: true });
  bulk = createServer((req, res) => {
    const s = record(req);
    if (!s.auth?.startsWith('Bearer ')) return void res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    const url = new URL(req.url!, base);
    if (url.pathname === '/fhir/$export' || url.pathname === '/fhir/Group/g1/$export') {
      if (s.prefer !== 'respond-async') return void res.writeHead(400).end();
      if (url.searchParams.get('_type') === 'Nope') {
        return void res.writeHead(400, { 'content-type': 'application/fhir+json' }).end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] }));
      }
      return void res.writeHead(202, { 'content-location': `${base}/fhir/bulkstatus/1` }).end();
    }
    if (url.pathname === '/fhir/bulkstatus/1' && req.method === 'DELETE') return void res.writeHead(202).end();
    if (url.pathname === '/fhir/bulkstatus/1') {
      if (polls++ < 2) return void res.writeHead(202, { 'x-progress': `step ${polls}`, 'retry-after': '0' }).end();
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        transactionTime: '2025-01-01T00:00:00Z',
        request: `${base}/fhir/$export`,
        requiresAccessToken,
        output: [
          { type: 'Patient', url: `${base}/fhir/files/Patient.ndjson`, count: 2 },
          { type: 'Observation', url: `${foreignBase}/files/Observation.ndjson`, count: 1 },
        ],
        error: [],
      }));
    }
    if (url.pathname === '/fhir/files/Patient.ndjson') {
      return void res.writeHead(200, { 'content-type': 'application/fhir+ndjson' }).end(ndjson([{ resourceType: 'Patient', id: 'a' }, { resourceType: 'Patient', id: 'b' }]));
    }
    res.writeHead(404).end();
  });
  foreign = createServer((req, res) => {
    record(req);
    res.writeHead(200, { 'content-type': 'application/fhir+ndjson' }).end(ndjson([{ resourceType: 'Observation', id: 'o1' }]));
  });
  await Promise.all([new Promise<void>((r) => bulk.listen(0, '127.0.0.1', r)), new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r))]);
  base = `http://127.0.0.1:${(bulk.address() as AddressInfo).port}`;
  foreignBase = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
});
afterAll(async () => {
  bulk?.closeAllConnections();
  foreign?.closeAllConnections();
  await Promise.all([sandbox?.stop(), new Promise((r) => bulk?.close(r)), new Promise((r) => foreign?.close(r))]);
});
beforeEach(() => {
  seen.length = 0;
  polls = 0;
  requiresAccessToken = true;
});

function client(): BackendClient {
  return createBackendClient({
    tokenEndpoint: `${sandbox.origin}/oidc/token`,
    fhirBaseUrl: `${base}/fhir`,
    clientId: 'demo-backend',
    privateKey: demoKeys.rs384,
    scope: 'system/*.rs',
  });
}

describe('bulk data $export', () => {
  it('kicks off with Prefer: respond-async, polls through 202s and returns the manifest', async () => {
    const c = client();
    const progress: (string | undefined)[] = [];
    const manifest = await c.bulk.run({ types: ['Patient', 'Observation'], since: new Date('2024-01-01T00:00:00Z') }, { onProgress: (p) => progress.push(p) });
    expect(manifest.output.map((o) => o.type)).toEqual(['Patient', 'Observation']);
    expect(manifest.statusUrl).toBe(`${base}/fhir/bulkstatus/1`);
    expect(progress).toEqual(['step 1', 'step 2']);
    const kick = seen[0]!;
    expect(kick.path).toBe('/fhir/$export?_type=Patient%2CObservation&_since=2024-01-01T00%3A00%3A00.000Z');
    expect(kick.prefer).toBe('respond-async');
    // Every request carries the backend token.
    const token = await c.getAccessToken();
    expect(seen.every((s) => s.auth === `Bearer ${token}`)).toBe(true);
  });

  it('group level export and cancel', async () => {
    const c = client();
    const job = await c.bulk.kickOff({ level: { group: 'g1' } });
    expect(seen[0]!.path).toBe('/fhir/Group/g1/$export');
    await c.bulk.cancel(job);
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', path: '/fhir/bulkstatus/1' });
    await expect(c.bulk.kickOff({ level: { group: '../x' } })).rejects.toBeInstanceOf(FhirError);
  });

  it('downloads NDJSON with the token, and never sends the token to a file outside the FHIR base', async () => {
    const c = client();
    const manifest = await c.bulk.run();
    const patients = [];
    for await (const r of c.bulk.download(manifest, manifest.output[0]!)) patients.push(r.id);
    expect(patients).toEqual(['a', 'b']);
    seen.length = 0;
    const err = await (async () => {
      for await (const _ of c.bulk.download(manifest, manifest.output[1]!)) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).code).toBe(ErrorCode.FHIR_FOREIGN_URL);
    expect(seen).toHaveLength(0);
  });

  it('files that need no token are fetched without one', async () => {
    requiresAccessToken = false;
    const c = client();
    const manifest = await c.bulk.run();
    const rows = [];
    for await (const r of c.bulk.download(manifest, manifest.output[1]!)) rows.push(r.id);
    expect(rows).toEqual(['o1']);
    expect(seen.at(-1)!.auth).toBeUndefined();
  });

  it('a kick-off error surfaces the OperationOutcome', async () => {
    const err = (await client().bulk.kickOff({ types: ['Nope'] }).catch((e: unknown) => e)) as FhirError;
    expect(err).toBeInstanceOf(FhirError);
    expect(err.response?.status).toBe(400);
    expect((err.response?.body as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('against the real sandbox: kick-off, poll, download every patient', async () => {
    const c = createBackendClient({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.rs384, scope: 'system/*.rs' });
    const manifest = await c.bulk.run({ types: ['Patient'] }, { pollIntervalMs: 100 });
    const ids: string[] = [];
    for await (const p of c.bulk.download(manifest, manifest.output[0]!)) ids.push(p.id!);
    expect(ids.sort()).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });
});
