import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { TestBrowser } from './helpers/browser.js';
import { startProcess, type RunningApp } from './helpers/processes.js';
import { SECRET } from './conformance/suite.js';

// Several instances of the Express example behind one Redis (REDIS_URL), as in production.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let sandbox: Sandbox;
let a: RunningApp;
let b: RunningApp;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
  const env = { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET, REDIS_URL };
  [a, b] = await Promise.all([startProcess('node', ['examples/express/dist/server.js'], { env }), startProcess('node', ['examples/express/dist/server.js'], { env })]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await sandbox?.stop();
});

it('a session started on one instance works on the other; 50 requests across both refresh once; logout ends it on both', async () => {
  const browser = new TestBrowser();
  await browser.navigate(`${a.baseUrl}/launch`);
  const cookie = browser.cookieHeader(`${a.baseUrl}/`).split('; ').filter((c) => c.startsWith('smart_session')).join('; ');
  expect(cookie.length).toBeLessThan(400); // only a sealed session id: tokens live in Redis
  const onB = await fetch(`${b.baseUrl}/api/context`, { headers: { cookie } });
  expect(onB.status).toBe(200);
  await new Promise((r) => setTimeout(r, 2500)); // 62 s token, 60 s refresh skew
  sandbox.resetStats();
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${(i % 2 ? a : b).baseUrl}/api/patient`, { headers: { cookie } })));
  expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
  expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
  expect((await fetch(`${a.baseUrl}/logout`, { headers: { cookie }, redirect: 'manual' })).status).toBe(302);
  expect((await fetch(`${b.baseUrl}/api/context`, { headers: { cookie } })).status).toBe(401);
});

it('several launches in one browser across both instances: each keeps its patient, and each refreshes once (single-flight per launch in Redis)', async () => {
  const browser = new TestBrowser();
  const launch = async (patient: string) => new URL((await browser.navigate(`${sandbox.origin}/ehr/launch?launch_url=${encodeURIComponent(`${a.baseUrl}/launch`)}&patient=${patient}&user=pr1`)).url).searchParams.get('smart_launch')!;
  const [h2, h3] = [await launch('p2'), await launch('p3')];
  const cookie = browser.cookieHeader(`${a.baseUrl}/`).split('; ').filter((c) => c.startsWith('smart_session~')).join('; ');
  await new Promise((r) => setTimeout(r, 2500)); // 62 s tokens, 60 s refresh skew
  sandbox.resetStats();
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(`${(i % 2 ? a : b).baseUrl}/api/context?smart_launch=${i % 4 < 2 ? h2 : h3}`, { headers: { cookie } })));
  const patients = await Promise.all(results.map(async (r) => ((await r.json()) as { patient?: string }).patient));
  expect(patients).toEqual(Array.from({ length: 40 }, (_, i) => (i % 4 < 2 ? 'p2' : 'p3')));
  expect(sandbox.stats().token.refresh_token ?? 0).toBe(2);
});
