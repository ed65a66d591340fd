/**
 * @smart-launch/nestjs on NestJS 12 (ES modules), installed from its tarball with plain npm into
 * a temporary app outside the workspace: the app boots with SmartModule and completes an EHR launch
 * against the sandbox. (NestJS 11, CommonJS and Jest: outside-app.test.ts.)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { startProcess } from '../helpers/processes.js';
import { TestBrowser } from '../helpers/browser.js';
import { makeApp, mustRun, npmInstall, pack } from './helpers.js';

const SECRET = 'nest12-app-session-secret-0123456789abcdef';
const APP = {
  'package.json': JSON.stringify({ name: 'nest12-app', version: '0.0.1', private: true, type: 'module' }, null, 2),
  'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2023', strict: true, experimentalDecorators: true, emitDecoratorMetadata: true, skipLibCheck: true, outDir: 'dist', types: ['node'] }, include: ['src'] }, null, 2),
  'src/main.ts': `import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { Public, Smart, SmartGuard, SmartModule, type SmartContext } from '@smart-launch/nestjs';

@Controller()
class AppController {
  @Get() @Public() hello(): string { return 'Hello World!'; }
  @Get('api/context') context(@Smart() smart: SmartContext) { return { patient: smart.patient ?? null }; }
}

@Module({
  imports: [SmartModule.forRoot({ issuers: [{ iss: process.env.SMART_ISS!, clientId: 'demo-public' }], session: { secret: process.env.SESSION_SECRET! } })],
  controllers: [AppController],
  providers: [{ provide: APP_GUARD, useClass: SmartGuard }],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT), '127.0.0.1');
`,
};

let sandbox: Sandbox;
let dir: string;
beforeAll(async () => {
  let tarballs: Record<string, string>;
  [tarballs, dir, sandbox] = await Promise.all([pack(['core', 'nestjs']), makeApp('nest12-app', APP), startSandbox({ port: 0, autoApprove: true, quiet: true })]);
  await npmInstall(dir, [tarballs.core!, tarballs.nestjs!, '@nestjs/common@^12', '@nestjs/core@^12', '@nestjs/platform-express@^12', 'reflect-metadata@^0.2', 'rxjs@^7.8', 'typescript@~5.9', '@types/node@^20.19']);
}, 600_000);
afterAll(() => sandbox?.stop());

it('a NestJS 12 app (npm install without --legacy-peer-deps) boots with SmartModule and completes an EHR launch', async () => {
  const core = JSON.parse(await readFile(join(dir, 'node_modules/@nestjs/core/package.json'), 'utf8')) as { version: string };
  expect(core.version).toMatch(/^12\./);
  await mustRun(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: dir, timeout: 180_000 });
  const app = await startProcess('node', ['dist/main.js'], { cwd: dir, env: { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET } });
  try {
    expect((await fetch(`${app.baseUrl}/api/context`)).status).toBe(401);
    const browser = new TestBrowser();
    const r = await browser.navigate(`${sandbox.origin}/ehr/launch?launch_url=${encodeURIComponent(`${app.baseUrl}/launch`)}&patient=p3&user=pr1`);
    const landing = new URL(r.url);
    expect(`${landing.origin}${landing.pathname}`, browser.hops.map((h) => `${h.status} ${h.url}`).join('\n')).toBe(`${app.baseUrl}/`);
    const res = await browser.fetch(`${app.baseUrl}/api/context${landing.search}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ patient: 'p3' });
  } finally {
    await app.stop();
  }
}, 240_000);
