import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, FhirError } from '../errors.js';
import { FhirClient } from './client.js';
import type { FhirClientOptions } from './client.js';

interface Received { method: string; url: string; headers: IncomingHttpHeaders; body: string }
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const TOKEN = 'secret-token-abc';
let fhir: Server;
let foreign: Server;
let origin: string; // http://127.0.0.1:<port>
let base: string; // origin + /fhir
let foreignOrigin: string;
const received: Received[] = [];
const receivedForeign: Received[] = [];

const json = (res: ServerResponse, status: number, body: unknown, type = 'application/fhir+json') => {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
};
const outcome = (text: string) => ({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: text }] });
const page = (n: number, next?: string): Bundle<Observation> => ({
  resourceType: 'Bundle', type: 'searchset',
  link: [{ relation: 'self', url: `${base}/Observation?page=${n}` }, ...(next ? [{ relation: 'next', url: next }] : [])],
  entry: [
    { resource: { resourceType: 'Observation', id: `obs-${n}`, status: 'final', code: {} }, search: { mode: 'match' } },
    { resource: { resourceType: 'Patient', id: `inc-${n}` } as never, search: { mode: 'include' } },
  ],
});

const routes: Record<string, Handler> = {
  'GET /fhir/Patient/123': (_q, res) => json(res, 200, { resourceType: 'Patient', id: '123' }),
  'GET /fhir/Patient/missing': (_q, res) => json(res, 404, outcome(`Patient/missing not found; token ${TOKEN}`)),
  'GET /fhir/Patient/plain-error': (_q, res) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('boom'); },
  'GET /fhir/Patient/not-json': (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>'); },
  'GET /fhir/Patient/refresh': (req, res) =>
    req.headers.authorization === 'Bearer fresh-token' ? json(res, 200, { resourceType: 'Patient', id: 'refresh' }) : json(res, 401, outcome('expired')),
  'GET /fhir/Patient/always-401': (_q, res) => json(res, 401, outcome('nope')),
  'GET /fhir/Patient/slow': (_q, res) => { setTimeout(() => json(res, 200, { resourceType: 'Patient', id: 'slow' }), 1_000).unref(); },
  'GET /fhir/Patient/redirect-inside': (_q, res) => { res.writeHead(302, { location: '/fhir/Patient/123' }); res.end(); },
  'GET /fhir/Patient/redirect-foreign': (_q, res) => { res.writeHead(302, { location: `${foreignOrigin}/fhir/Patient/123` }); res.end(); },
  'GET /fhir/Patient/redirect-sibling': (_q, res) => { res.writeHead(302, { location: '/admin/Patient/123' }); res.end(); },
  'GET /fhir/Observation': (req, res) => {
    const q = new URL(req.url!, origin).searchParams;
    if (q.get('patient') === 'foreign') return json(res, 200, page(1, `${foreignOrigin}/fhir/Observation?page=2`));
    if (q.get('patient') === 'sibling') return json(res, 200, page(1, `${origin}/fhir-other/Observation?page=2`));
    if (q.get('patient') === 'loop') return json(res, 200, page(1, `${base}/Observation?patient=loop`));
    json(res, 200, page(1, `${base}?_getpages=abc&page=2`));
  },
  'GET /fhir': (req, res) => {
    const n = Number(new URL(req.url!, origin).searchParams.get('page'));
    json(res, 200, page(n, n < 3 ? `${base}?_getpages=abc&page=${n + 1}` : undefined));
  },
  'POST /fhir/Observation': (_q, res, body) => json(res, 201, { ...JSON.parse(body), id: 'new' }),
  'DELETE /fhir/Observation/1': (_q, res) => { res.writeHead(204); res.end(); },
};

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}
function recorder(log: Received[], handle: (r: Received, req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const r = { method: req.method!, url: req.url!, headers: req.headers, body };
      log.push(r);
      handle(r, req, res);
    });
  };
}

beforeAll(async () => {
  fhir = createServer(recorder(received, (r, req, res) => {
    const route = routes[`${r.method} ${new URL(r.url, 'http://x').pathname}`];
    if (route) route(req, res, r.body);
    else json(res, 404, outcome('no route'));
  }));
  foreign = createServer(recorder(receivedForeign, (_r, _req, res) => json(res, 200, page(2))));
  origin = await listen(fhir);
  base = `${origin}/fhir`;
  foreignOrigin = await listen(foreign);
});
afterAll(async () => {
  fhir.closeAllConnections();
  foreign.closeAllConnections();
  await Promise.all([new Promise((r) => fhir.close(r)), new Promise((r) => foreign.close(r))]);
});
beforeEach(() => {
  received.length = 0;
  receivedForeign.length = 0;
});

const client = (extra: Partial<FhirClientOptions> = {}) => new FhirClient({ serverUrl: `${base}/`, getAccessToken: () => TOKEN, ...extra });
async function error(p: Promise<unknown>): Promise<FhirError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(FhirError);
  return e as FhirError;
}

describe('FhirClient basics', () => {
  it('normalises serverUrl and rejects unusable ones', () => {
    expect(client().serverUrl).toBe(base);
    for (const serverUrl of ['not a url', 'ftp://x/fhir', 'https://x/fhir?a=1', 'https://u:p@x/fhir']) {
      expect(() => new FhirClient({ serverUrl, getAccessToken: () => TOKEN }), serverUrl).toThrow(/serverUrl/);
    }
  });

  it('reads a resource with Accept, Authorization and extra headers', async () => {
    const p = await client({ headers: { 'x-extra': '1', authorization: 'Bearer overridden' } }).read<Patient>('Patient', '123');
    expect(p).toEqual({ resourceType: 'Patient', id: '123' });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'GET', url: '/fhir/Patient/123' });
    expect(received[0]!.headers).toMatchObject({ accept: 'application/fhir+json', authorization: `Bearer ${TOKEN}`, 'x-extra': '1' });
  });

  it('awaits an async token provider', async () => {
    await client({ getAccessToken: async () => 'async-token' }).read('Patient', '123');
    expect(received[0]!.headers.authorization).toBe('Bearer async-token');
  });

  it('throws FHIR_REQUEST_FAILED with status and OperationOutcome on non-2xx, without the token', async () => {
    const e = await error(client().read('Patient', 'missing'));
    expect(e.code).toBe(ErrorCode.FHIR_REQUEST_FAILED);
    expect(e.message).toBe('FHIR read Patient/missing failed: 404 Not Found');
    expect(e.status).toBe(404);
    expect(e.response).toMatchObject({ status: 404, body: { resourceType: 'OperationOutcome' } });
    expect(e.message).not.toContain(TOKEN);
    expect(JSON.stringify(e.toJSON())).not.toContain(TOKEN);
  });

  it('omits a non-JSON error body and rejects a non-JSON success body', async () => {
    const e = await error(client().read('Patient', 'plain-error'));
    expect(e.response).toEqual({ status: 500 });
    expect((await error(client().read('Patient', 'not-json'))).message).toMatch(/not JSON/);
  });

  it('times out with TIMEOUT', async () => {
    const e = await error(client({ timeoutMs: 100 }).read('Patient', 'slow'));
    expect(e.code).toBe(ErrorCode.TIMEOUT);
    expect(e.message).toBe('FHIR read Patient/slow timed out after 100 ms');
  });

  it('reports a network failure without the token', async () => {
    const c = new FhirClient({ serverUrl: 'http://127.0.0.1:1/fhir', getAccessToken: () => TOKEN });
    const e = await error(c.read('Patient', '1'));
    expect(e.code).toBe(ErrorCode.FHIR_REQUEST_FAILED);
    expect(e.message).not.toContain(TOKEN);
  });
});

describe('FhirClient path safety', () => {
  it('rejects resource types and ids that could escape the path, without a request', async () => {
    const c = client();
    for (const [type, id] of [['Patient/../Admin', '1'], ['Pat ient', '1'], ['', '1'], ['Patient', '../secret'], ['Patient', '..'],
      ['Patient', '.'], ['Patient', '1/_history'], ['Patient', '1?x=y'], ['Patient', 'a'.repeat(65)], ['Patient', '']] as const) {
      const e = await error(c.read(type, id));
      expect(e.code, `${type} ${id}`).toBe(ErrorCode.FHIR_REQUEST_FAILED);
      expect(e.status).toBe(400);
    }
    await expect(c.search('Observation?x=1')).rejects.toThrow(/invalid resource type/);
    expect(received).toHaveLength(0);
  });
});

describe('FhirClient search and paging', () => {
  it('encodes search params, repeating array values', async () => {
    await client().search('Observation', { code: 'a|b', date: ['ge2020', 'le2021'], _count: 2 });
    const q = new URL(received[0]!.url, origin).searchParams;
    expect(q.get('code')).toBe('a|b');
    expect(q.getAll('date')).toEqual(['ge2020', 'le2021']);
    expect(q.get('_count')).toBe('2');
    await client().search('Observation', new URLSearchParams({ patient: '1' }));
    expect(received[1]!.url).toBe('/fhir/Observation?patient=1');
  });

  it('follows next links across 3 pages with the token and keeps only matches', async () => {
    const all = await client().searchAll<Observation>('Observation', { patient: '1' });
    expect(all.map((o) => o.id)).toEqual(['obs-1', 'obs-2', 'obs-3']);
    expect(received.map((r) => r.url)).toEqual(['/fhir/Observation?patient=1', '/fhir?_getpages=abc&page=2', '/fhir?_getpages=abc&page=3']);
    expect(received.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('pages() yields bundles and honours maxPages', async () => {
    const bundles: Bundle[] = [];
    for await (const b of client().pages('Observation', undefined, { maxPages: 2 })) bundles.push(b);
    expect(bundles).toHaveLength(2);
    expect(received).toHaveLength(2);
  });

  it('stops on a next link that repeats itself', async () => {
    const all = await client().searchAll('Observation', { patient: 'loop' });
    expect(all).toHaveLength(2);
    expect(received).toHaveLength(2);
  });

  it('nextPage returns undefined without a next link', async () => {
    expect(await client().nextPage(page(3))).toBeUndefined();
    expect(received).toHaveLength(0);
  });

  it('refuses a next link to another server without any request there', async () => {
    const e = await error(client().searchAll('Observation', { patient: 'foreign' }));
    expect(e.code).toBe(ErrorCode.FHIR_FOREIGN_URL);
    expect(received).toHaveLength(1);
    expect(receivedForeign).toHaveLength(0);
  });

  it('refuses a next link on the same origin but outside the base path', async () => {
    const e = await error(client().searchAll('Observation', { patient: 'sibling' }));
    expect(e.code).toBe(ErrorCode.FHIR_FOREIGN_URL);
    expect(received).toHaveLength(1);
  });
});

describe('FhirClient.request', () => {
  it('resolves relative paths against the base and sends JSON', async () => {
    const created = await client().request<Observation>('/Observation', { method: 'POST', body: { resourceType: 'Observation' } });
    expect(created).toMatchObject({ resourceType: 'Observation', id: 'new' });
    expect(received[0]).toMatchObject({ method: 'POST', url: '/fhir/Observation', body: '{"resourceType":"Observation"}' });
    expect(received[0]!.headers['content-type']).toBe('application/fhir+json');
    expect(await client().request('Observation/1', { method: 'DELETE' })).toBeUndefined();
    expect(await client().request(`${base}/Patient/123`)).toMatchObject({ id: '123' });
    expect(received).toHaveLength(3);
  });

  it('works with a base at the origin root', async () => {
    const c = new FhirClient({ serverUrl: `${origin}/`, getAccessToken: () => TOKEN });
    expect(c.serverUrl).toBe(origin);
    expect(await c.request('fhir/Patient/123')).toMatchObject({ id: '123' });
    expect(received[0]!.url).toBe('/fhir/Patient/123');
    expect((await error(c.request(`${foreignOrigin}/fhir/Patient/123`))).code).toBe(ErrorCode.FHIR_FOREIGN_URL);
  });

  it('refuses URLs outside the base before any request', async () => {
    const c = client();
    for (const url of [`${foreignOrigin}/fhir/Patient/123`, `${origin}/admin`, `${origin}/fhir-other/Patient/1`, `${origin}/fhir/../admin`,
      `${origin}/fhir/%2e%2e/admin`, '../admin', 'Patient/../../admin', `http://localhost:${new URL(origin).port}/fhir/Patient/123`]) {
      expect((await error(c.request(url))).code, url).toBe(ErrorCode.FHIR_FOREIGN_URL);
    }
    expect(received).toHaveLength(0);
    expect(receivedForeign).toHaveLength(0);
  });

  it('follows a redirect inside the base but refuses one leaving it', async () => {
    expect(await client().read('Patient', 'redirect-inside')).toMatchObject({ id: '123' });
    expect(received.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    for (const id of ['redirect-foreign', 'redirect-sibling']) {
      expect((await error(client().read('Patient', id))).code).toBe(ErrorCode.FHIR_FOREIGN_URL);
    }
    expect(receivedForeign).toHaveLength(0);
    expect(received.some((r) => r.url.startsWith('/admin'))).toBe(false);
  });
});

describe('FhirClient 401 handling', () => {
  it('calls onUnauthorized exactly once and retries with the new token', async () => {
    const onUnauthorized = vi.fn(async () => 'fresh-token');
    expect(await client({ onUnauthorized }).read('Patient', 'refresh')).toMatchObject({ id: 'refresh' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(received.map((r) => r.headers.authorization)).toEqual([`Bearer ${TOKEN}`, 'Bearer fresh-token']);
  });

  it('retries only once when the new token is rejected too', async () => {
    const onUnauthorized = vi.fn(async () => 'fresh-token');
    const e = await error(client({ onUnauthorized }).read('Patient', 'always-401'));
    expect([e.status, e.response?.status]).toEqual([401, 401]);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(received).toHaveLength(2);
  });

  it('throws 401 without retrying when onUnauthorized gives no token or is absent', async () => {
    const onUnauthorized = vi.fn(async () => undefined);
    expect((await error(client({ onUnauthorized }).read('Patient', 'refresh'))).status).toBe(401);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect((await error(client().read('Patient', 'refresh'))).status).toBe(401);
    expect(received).toHaveLength(2);
  });
});
