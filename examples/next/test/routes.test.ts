/**
 * The Next.js example's Route Handlers, tested as an app's own suite would with @smart-launch/testing:
 * the handlers called directly with a NextRequest (sessionCookie, no server), and a real EHR launch
 * through the in-process sandbox into the same handlers behind a small node:http bridge.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { NextRequest } from 'next/server.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launch, sessionCookie } from '@smart-launch/testing';
import { configFromEnv, handlers } from '../smart';
import { GET as context } from '../app/api/context/route';
import { GET as patient } from '../app/api/patient/route';

let sandbox: Sandbox;
const saved = { ...process.env };
const ctx = { params: Promise.resolve({}) };
const call = (handler: typeof context, url: string, cookie?: string) =>
  handler(new NextRequest(url, { headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) } }), ctx);

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  // smart.ts reads its config lazily from the environment, as under `next start`.
  process.env.SMART_ISS = sandbox.fhirBaseUrl;
  process.env.SESSION_SECRET = 'example-next-test-secret-0123456789abcd';
});
afterAll(async () => {
  await sandbox?.stop();
  for (const k of ['SMART_ISS', 'SESSION_SECRET']) if (saved[k] === undefined) delete process.env[k];
});

describe('with sessionCookie (Route Handlers called directly)', () => {
  it('GET /api/context answers the session; without one, 401 JSON', async () => {
    const cookie = await sessionCookie(configFromEnv(), { patient: 'p2', fhirUser: 'Practitioner/pr1' });
    const res = await call(context, 'http://127.0.0.1:3000/api/context', cookie);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ patient: 'p2', fhirUser: `${sandbox.fhirBaseUrl}/Practitioner/pr1` });
    expect((await call(context, 'http://127.0.0.1:3000/api/context')).status).toBe(401);
  });

  it('GET /api/patient reads FHIR with a token from sandbox.issueToken()', async () => {
    const cookie = await sessionCookie(configFromEnv(), await sandbox.issueToken({ patient: 'p4' }));
    const res = await call(patient, 'http://127.0.0.1:3000/api/patient', cookie);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ resourceType: 'Patient', id: 'p4' });
  });
});

describe('with launch (a real EHR launch)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    // The SMART routes are the example's own app/launch, app/callback handlers; `/` stands in for the page.
    server = createServer(async (req, res) => {
      const url = `${base}${req.url}`;
      const path = new URL(url).pathname;
      const out = ['/launch', '/callback', '/logout'].includes(path)
        ? await handlers.GET(new NextRequest(url, { headers: req.headers as Record<string, string> }))
        : new Response('page');
      res.writeHead(out.status, { ...Object.fromEntries(out.headers), 'set-cookie': out.headers.getSetCookie() });
      res.end(Buffer.from(await out.arrayBuffer()));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('the EHR opens the app on its patient; the session reaches the Route Handlers', async () => {
    const { cookie, body } = await launch(`${base}/launch`, { ehr: sandbox, patient: 'p5' });
    expect(body).toBe('page');
    const res = await call(context, `${base}/api/context`, cookie);
    expect(await res.json()).toMatchObject({ patient: 'p5', serverUrl: sandbox.fhirBaseUrl });
  });
});
