/**
 * The Express example's routes, tested the way an app's own suite would with @smart-launch/testing:
 * sessionCookie() + supertest with no server at all, and launch() through the in-process sandbox.
 */
import type { Server } from 'node:http';
import { once } from 'node:events';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launch, sessionCookie } from '@smart-launch/testing';
import { createApp } from '../src/app.js';
import { configFromEnv } from '../src/config.js';

let sandbox: Sandbox;
let config: ReturnType<typeof configFromEnv>;
beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  config = configFromEnv({ SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: 'example-express-test-secret-0123456789' });
});
afterAll(() => sandbox?.stop());

describe('with sessionCookie (no launch)', () => {
  it('GET /api/context answers the session; without one, 401 JSON', async () => {
    const app = createApp(config);
    const cookie = await sessionCookie(config, { patient: 'p1', fhirUser: 'Practitioner/pr1' });
    const res = await request(app).get('/api/context').set('Cookie', cookie).expect(200);
    expect(res.body).toMatchObject({ patient: 'p1', fhirUser: `${sandbox.fhirBaseUrl}/Practitioner/pr1`, serverUrl: sandbox.fhirBaseUrl });
    await request(app).get('/api/context').set('Accept', 'application/json').expect(401);
  });

  it('GET /api/patient reads FHIR with a token from sandbox.issueToken()', async () => {
    const app = createApp(config);
    const cookie = await sessionCookie(config, await sandbox.issueToken({ patient: 'p3' }));
    const res = await request(app).get('/api/patient').set('Cookie', cookie).expect(200);
    expect(res.body).toMatchObject({ resourceType: 'Patient', id: 'p3' });
  });
});

describe('with launch (a real EHR launch)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createApp(config).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('the EHR opens the app on its patient; the page shows the banner', async () => {
    const { response, body, cookie } = await launch(`${base}/launch`, { ehr: sandbox, patient: 'p2' });
    expect(response.status).toBe(200);
    expect(body).toContain('id="patient-name"');
    const context = await (await fetch(`${base}/api/context`, { headers: { cookie } })).json();
    expect(context).toMatchObject({ patient: 'p2', serverUrl: sandbox.fhirBaseUrl });
  });
});
