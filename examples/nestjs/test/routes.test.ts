/**
 * The NestJS example's routes, tested as an app's own suite would with @smart-launch/testing:
 * the real AppModule in @nestjs/testing, sessionCookie() + supertest, and launch() through the
 * in-process sandbox.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launch, sessionCookie } from '@smart-launch/testing';
import { AppModule } from '../src/app.module.js';
import { smartConfig } from '../src/config.js';

let sandbox: Sandbox;
let app: INestApplication;
const env: Record<string, string> = {};
const saved = { ...process.env };

beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  Object.assign(env, { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: 'example-nestjs-test-secret-0123456789' });
  Object.assign(process.env, env); // ConfigModule reads the environment
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
});
afterAll(async () => {
  await app?.close();
  await sandbox?.stop();
  for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
});

describe('with sessionCookie (no launch)', () => {
  it('GET /api/context answers the session; without one, 401 JSON', async () => {
    const cookie = await sessionCookie(smartConfig((k) => env[k]), { patient: 'p4', fhirUser: 'Practitioner/pr2' });
    const res = await request(app.getHttpServer()).get('/api/context').set('Cookie', cookie).expect(200);
    expect(res.body).toMatchObject({ patient: 'p4', fhirUser: `${sandbox.fhirBaseUrl}/Practitioner/pr2` });
    await request(app.getHttpServer()).get('/api/context').set('Accept', 'application/json').expect(401);
  });

  it('GET /api/patient reads FHIR with a token from sandbox.issueToken()', async () => {
    const cookie = await sessionCookie(smartConfig((k) => env[k]), await sandbox.issueToken({ patient: 'p5' }));
    const res = await request(app.getHttpServer()).get('/api/patient').set('Cookie', cookie).expect(200);
    expect(res.body).toMatchObject({ resourceType: 'Patient', id: 'p5' });
  });
});

describe('with launch (a real standalone launch)', () => {
  it('signs in at the sandbox, picks the patient; the session reaches the API', async () => {
    const base = await app.getUrl();
    const { response, cookie } = await launch(`${base}/launch`, { user: 'Practitioner/pr1', patient: 'p3' });
    expect(response.status).toBe(200);
    const res = await request(app.getHttpServer()).get('/api/context').set('Cookie', cookie).expect(200);
    expect(res.body).toMatchObject({ patient: 'p3', serverUrl: sandbox.fhirBaseUrl });
  });
});
