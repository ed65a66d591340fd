/**
 * @smart-launch/testing as a user gets it: the packed tarballs installed with plain npm into a
 * temporary ES-module app outside the workspace (helpers shared with outside-app.test.ts). There,
 * the app's own vitest suite uses sessionCookie(), sandbox.issueToken() and launch() against the
 * installed sandbox; a Jest suite (CommonJS, Jest's own loader) uses the CommonJS build; and the
 * kit's and the sandbox's types compile with `skipLibCheck: false` and no `@types/*` package of
 * theirs.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProcess, type RunningApp } from '../helpers/processes.js';
import { makeApp, mustRun, npmInstall, pack, run } from './helpers.js';

const SECRET = 'testing-kit-outside-secret-0123456789abcdef';
const KIT = ['core', 'express', 'sandbox', 'testing'] as const;
const DEPS = ['express@^5', 'vitest@^4', 'jest@^30', 'typescript@~5.9', '@types/node@^20.19', '@types/express@^5'];

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'kit-user', version: '0.0.1', private: true, type: 'module' }, null, 2),
  // The app under test: an Express app with the SMART routes and two protected APIs.
  'src/app.js': `import express from 'express';
import { smart, requireSmart } from '@smart-launch/express';

export function createApp(config) {
  const app = express();
  app.use(smart(config));
  app.get('/api/context', requireSmart(), (req, res) => res.json({ patient: req.smart.patient ?? null, fhirUser: req.smart.fhirUser ?? null }));
  app.get('/api/patient', requireSmart(), async (req, res) => res.json(await req.smart.fhir.read('Patient', req.smart.patient)));
  app.get('/', requireSmart(), (req, res) => res.type('html').send('<p>patient ' + req.smart.patient + '</p>'));
  return app;
}
`,
  'src/server.js': `import { createApp } from './app.js';
const config = { issuers: [{ iss: process.env.SMART_ISS, clientId: 'demo-public' }], session: { secret: process.env.SESSION_SECRET } };
createApp(config).listen(Number(process.env.PORT), '127.0.0.1');
`,
  // The user's vitest suite.
  'test/routes.test.ts': `import { once } from 'node:events';
import type { Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launch, sessionCookie } from '@smart-launch/testing';
import { createApp } from '../src/app.js';

let sandbox: Sandbox;
let server: Server;
let base: string;
let config: { issuers: { iss: string; clientId: string }[]; session: { secret: string } };
beforeAll(async () => {
  sandbox = await startSandbox({ quiet: true });
  config = { issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret: '${SECRET}' } };
  server = createApp(config).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = 'http://127.0.0.1:' + (server.address() as { port: number }).port;
});
afterAll(async () => {
  server?.close();
  await sandbox?.stop();
});

it('sessionCookie: a signed-in request, no launch', async () => {
  const cookie = await sessionCookie(config, { patient: 'p1', fhirUser: 'Practitioner/pr1' });
  const res = await fetch(base + '/api/context', { headers: { cookie } });
  expect(await res.json()).toEqual({ patient: 'p1', fhirUser: sandbox.fhirBaseUrl + '/Practitioner/pr1' });
});

it('issueToken: the minted session reads FHIR', async () => {
  const cookie = await sessionCookie(config, await sandbox.issueToken({ patient: 'p2' }));
  const res = await fetch(base + '/api/patient', { headers: { cookie } });
  expect(await res.json()).toMatchObject({ resourceType: 'Patient', id: 'p2' });
});

it('seed + launch: an EHR launch on the test\\'s own patient', async () => {
  const [patient] = await sandbox.seed([{ resourceType: 'Patient', id: 'kit-1', name: [{ family: 'Kit' }] }]);
  const { response, body, cookie } = await launch(base + '/launch', { ehr: sandbox, patient: patient!.id! });
  expect(response.status).toBe(200);
  expect(body).toBe('<p>patient kit-1</p>');
  expect(cookie).toContain('smart_session');
});
`,
  'vitest.config.js': `export default { test: { include: ['test/**/*.test.ts'] } };\n`,
  // The user's Jest suite: CommonJS, Jest's own module loader (the kit's "require" build).
  'jest.config.cjs': `module.exports = { testEnvironment: 'node', testMatch: ['**/jest/*.test.cjs'] };\n`,
  'jest/session.test.cjs': `const { sessionCookie } = require('@smart-launch/testing');

test('a cookie made by the CommonJS build is accepted by the app', async () => {
  const config = { issuers: [{ iss: process.env.SMART_ISS, clientId: 'demo-public' }], session: { secret: process.env.SESSION_SECRET } };
  const cookie = await sessionCookie(config, { patient: 'p3' });
  const res = await fetch(process.env.APP_URL + '/api/context', { headers: { cookie } });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ patient: 'p3', fhirUser: null });
  const none = await fetch(process.env.APP_URL + '/api/context', { headers: { accept: 'application/json' } });
  expect(none.status).toBe(401);
});
`,
  // Types as a strict consumer sees them: library .d.ts files checked too.
  'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022', lib: ['ES2023', 'DOM'], module: 'nodenext', moduleResolution: 'nodenext', types: ['node'] }, include: ['types.ts'] }, null, 2),
  'types.ts': `import { startSandbox, type IssuedToken, type Sandbox, type SandboxOptions } from '@smart-launch/sandbox';
import { launch, sessionCookie, type LaunchResult, type TestSession } from '@smart-launch/testing';

const options: SandboxOptions = { quiet: true, clients: [{ client_id: 'mine', redirect_uris: ['http://127.0.0.1:3000/callback'], token_endpoint_auth_method: 'none' }] };
export async function check(): Promise<LaunchResult> {
  const sandbox: Sandbox = await startSandbox(options);
  const token: IssuedToken = await sandbox.issueToken({ patient: 'p1' });
  const session: TestSession = token;
  await sessionCookie({ session: { secret: 'x'.repeat(32) } }, session);
  return launch('http://127.0.0.1:3000/launch', { ehr: sandbox });
}
`,
};

let dir: string;
let app: RunningApp | undefined;
const bin = (name: string) => join(dir, 'node_modules', '.bin', name);

beforeAll(async () => {
  const tarballs = await pack(KIT);
  dir = await makeApp('testing-kit', FILES);
  await npmInstall(dir, [...KIT.map((p) => tarballs[p]!), ...DEPS]);
}, 600_000);
afterAll(async () => {
  await app?.stop();
});

it('the types compile with skipLibCheck: false and no @types package for the kit or the sandbox', async () => {
  const r = await run(bin('tsc'), ['-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 });
  expect(`${r.stdout}${r.stderr}`).toBe('');
  expect(r.code).toBe(0);
}, 180_000);

it("the user's vitest suite passes: sessionCookie, issueToken, seed and launch, and the quiet sandbox prints nothing", async () => {
  const r = await run(bin('vitest'), ['run', '--reporter=verbose'], { cwd: dir, timeout: 240_000 });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stdout.replace(/\x1b\[[\d;]*m/g, '')).toMatch(/Tests\s+3 passed/);
  expect(`${r.stdout}${r.stderr}`).not.toContain('oidc-provider');
}, 300_000);

it("the user's Jest suite (CommonJS) uses the kit's CommonJS build", async () => {
  app = await startProcess('node', ['src/server.js'], { cwd: dir, env: { SMART_ISS: 'http://127.0.0.1:4010/fhir', SESSION_SECRET: SECRET }, readyPath: '/api/context' });
  const r = await mustRun(bin('jest'), ['--ci'], { cwd: dir, timeout: 240_000, env: { ...process.env, APP_URL: app.baseUrl, SMART_ISS: 'http://127.0.0.1:4010/fhir', SESSION_SECRET: SECRET } });
  expect(r.stderr).toMatch(/Tests:\s+1 passed/);
}, 300_000);
