import { once } from 'node:events';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import express5 from 'express';
// @ts-expect-error -- the aliased Express 4 package has no bundled types; it shares Express 5's API here.
import express4 from 'express4';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import type { SmartContext } from '@smart-launch/core';
import { requireScopes, requireSmart, smart } from '../src/index.js';
import { TestBrowser } from '../../../test/helpers/browser.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
});
afterAll(() => sandbox?.stop());

describe.each([
  ['Express 5', express5 as typeof express5],
  ['Express 4', express4 as typeof express5],
])('%s', (_name, express) => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const app = express();
    app.use(smart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: 'adapter-test-secret-0123456789abcdef' }, scope: 'launch/patient openid fhirUser patient/*.rs' }));
    app.get('/page', requireSmart(), (req, res) => {
      res.send(`patient ${req.smart!.patient}`);
    });
    app.get('/api/me', requireSmart(), (req, res) => {
      res.json({ patient: req.smart!.patient });
    });
    app.get('/api/obs', requireScopes('patient/Observation.rs'), (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/api/write', requireScopes('patient/Observation.c', 'user/Patient.r'), (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/api/patient', requireSmart(), async (req, res) => {
      res.json(await req.smart!.fhir.read('Patient', req.smart!.patient!));
    });
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('no session: browsers are sent to launch (returning here), APIs get 401 JSON', async () => {
    const page = await fetch(`${base}/page?x=1`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/launch?returnTo=%2Fpage%3Fx%3D1');
    const api = await fetch(`${base}/api/me`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toBe('Bearer');
    expect(await api.json()).toMatchObject({ error: 'not_authenticated' });
  });

  it('a full launch puts the context on req.smart; the FHIR client reads the patient', async () => {
    const b = new TestBrowser();
    const r = await b.navigate(`${base}/launch?returnTo=${encodeURIComponent('/page')}`);
    expect(r.body).toMatch(/^patient p\d$/);
    const p = await b.fetch(`${base}/api/patient`);
    expect(((await p.json()) as { resourceType: string }).resourceType).toBe('Patient');
  });

  it('requireScopes: 200 when covered (v1/v2 union), 403 listing what is missing', async () => {
    const b = new TestBrowser();
    await b.navigate(`${base}/launch`);
    expect((await b.fetch(`${base}/api/obs`)).status).toBe(200);
    const denied = await b.fetch(`${base}/api/write`);
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    expect(await denied.json()).toEqual({ error: 'insufficient_scope', message: 'The granted scopes do not allow this', missing: ['patient/Observation.c', 'user/Patient.r'] });
  });
});

it('types: req.smart is a SmartContext', () => {
  expectTypeOf<Express.Request['smart']>().toEqualTypeOf<SmartContext | null | undefined>();
});

it('requireSmart sends browsers to the configured launch route', async () => {
  const app = express5();
  app.use(smart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: 'adapter-test-secret-0123456789abcdef' }, routes: { launch: '/smart/start' } }));
  app.get('/chart', requireSmart(), (_req, res) => res.send('chart'));
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/chart`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.headers.get('location')).toBe('/smart/start?returnTo=%2Fchart');
  } finally {
    server.close();
  }
});
