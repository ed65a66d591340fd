/**
 * The packages as an outside app installs them: every package packed (`pnpm pack`), the tarballs
 * installed with plain npm into a temporary app outside the workspace, shaped like `nest new`
 * (CommonJS, Jest), that also holds an Express server and the README snippets. Checks the tarballs'
 * contents, the bins, an EHR launch through the Express adapter against the installed sandbox,
 * a Nest 11 app (CommonJS, Node's require(esm)) and its default-shaped Jest e2e test, a CommonJS
 * consumer type-checked with `module: nodenext`, and every README code block (strict).
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type RunningApp } from '../helpers/processes.js';
import { TestBrowser } from '../helpers/browser.js';
import { cleanEnv, makeApp, mustRun, npmInstall, pack, PACKAGES, run, type PackageName } from './helpers.js';
import { snippetFiles, TSCONFIGS, READMES, DOCS, type SnippetProject } from './snippets.js';

const SECRET = 'outside-app-session-secret-0123456789abcdef';

// The files of a default `nest new` app (Nest 11: CommonJS, ts-jest), with SmartModule.
const NEST_TSCONFIG = {
  compilerOptions: {
    module: 'nodenext', moduleResolution: 'nodenext', resolvePackageJsonExports: true, esModuleInterop: true, isolatedModules: true,
    declaration: true, removeComments: true, emitDecoratorMetadata: true, experimentalDecorators: true, allowSyntheticDefaultImports: true,
    target: 'ES2023', sourceMap: true, outDir: './dist', baseUrl: './', incremental: true, skipLibCheck: true, strictNullChecks: true,
    forceConsistentCasingInFileNames: true, noImplicitAny: false, strictBindCallApply: false, noFallthroughCasesInSwitch: false,
  },
};
const APP = {
  'package.json': JSON.stringify({ name: 'outside-app', version: '0.0.1', private: true, scripts: { 'test:e2e': 'jest --config ./test/jest-e2e.json' } }, null, 2),
  'tsconfig.json': JSON.stringify(NEST_TSCONFIG, null, 2),
  'tsconfig.build.json': JSON.stringify({ extends: './tsconfig.json', exclude: ['node_modules', 'test', 'dist', 'snippets', '**/*spec.ts'] }, null, 2),
  'src/app.module.ts': `import { Controller, Get, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Public, Smart, SmartGuard, SmartModule, type SmartContext } from '@smart-launch/nestjs';

@Controller()
export class AppController {
  @Get() @Public() hello(): string { return 'Hello World!'; }
  @Get('api/context') context(@Smart() smart: SmartContext) { return { patient: smart.patient ?? null, fhirUser: smart.fhirUser ?? null }; }
}

@Module({
  imports: [SmartModule.forRoot({ issuers: [{ iss: process.env.SMART_ISS ?? 'http://127.0.0.1:4010/fhir', clientId: 'demo-public' }], session: { secret: process.env.SESSION_SECRET ?? '' } })],
  controllers: [AppController],
  providers: [{ provide: APP_GUARD, useClass: SmartGuard }],
})
export class AppModule {}
`,
  'src/main.ts': `import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}
void bootstrap();
`,
  // A CommonJS consumer of every package (this package.json has no "type"): compiled with
  // module nodenext (TypeScript turns the imports into require()), then run by Node (require(esm)).
  'src/cjs-consumer.ts': `import { createSmart, MemoryStore, type SmartConfig, type SmartContext } from '@smart-launch/core';
import { createBackendClient } from '@smart-launch/core/backend';
import { smart, requireSmart } from '@smart-launch/express';
import { SmartModule, SmartGuard } from '@smart-launch/nestjs';
import { startSandbox } from '@smart-launch/sandbox';
import type { SmartNext } from '@smart-launch/next';
import { main } from '@smart-launch/cli';

const config: SmartConfig = { issuers: [{ iss: 'https://ehr.example.com/fhir', clientId: 'app' }], session: { secret: '${SECRET}', store: new MemoryStore() } };
const instance = createSmart(config);
const ctx: SmartContext | null = null;
const next: SmartNext | null = null;
console.log(JSON.stringify({ createSmart: typeof createSmart, handle: typeof instance.handle, createBackendClient: typeof createBackendClient, smart: typeof smart, requireSmart: typeof requireSmart, SmartModule: typeof SmartModule, SmartGuard: typeof SmartGuard, startSandbox: typeof startSandbox, main: typeof main, ctx, next }));
`,
  'test/jest-e2e.json': JSON.stringify({ moduleFileExtensions: ['js', 'json', 'ts'], rootDir: '.', testEnvironment: 'node', testRegex: '.e2e-spec.ts$', transform: { '^.+\\.(t|j)s$': 'ts-jest' } }, null, 2),
  'test/app.e2e-spec.ts': `import { Test, TestingModule } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { App } from 'supertest/types';
import { AppModule } from './../src/app.module';

describe('AppController (e2e)', () => {
  let app: INestApplication<App>;

  beforeEach(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleFixture.createNestApplication();
    await app.init();
  });

  afterEach(async () => {
    await app.close();
  });

  it('/ (GET)', () => request(app.getHttpServer()).get('/').expect(200).expect('Hello World!'));

  it('/api/context without a session: 401 JSON', () =>
    request(app.getHttpServer()).get('/api/context').expect(401).expect('content-type', /json/));

  it('/launch: a standalone launch, 302 to the sandbox authorize endpoint with PKCE', async () => {
    const res = await request(app.getHttpServer()).get('/launch').expect(302);
    expect(res.headers.location.startsWith(new URL(process.env.SMART_ISS!).origin)).toBe(true);
    expect(res.headers.location).toContain('code_challenge_method=S256');
  });
});
`,
  // The Express adapter as an outside ES module app uses it.
  'express-server.mjs': `import express from 'express';
import { smart, requireSmart } from '@smart-launch/express';

const app = express();
app.use(smart({ issuers: [{ iss: process.env.SMART_ISS, clientId: 'demo-public' }], session: { secret: process.env.SESSION_SECRET } }));
app.get('/', requireSmart(), async (req, res) => {
  const patient = await req.smart.fhir.read('Patient', req.smart.patient);
  res.json({ patient: patient.id, resourceType: patient.resourceType, fhirUser: req.smart.fhirUser ?? null });
});
app.listen(Number(process.env.PORT), '127.0.0.1');
`,
  'snippets/node/package.json': JSON.stringify({ type: 'module' }),
  // The app files docs/testing.md's blocks import (the reader's own app), shaped like the examples.
  'snippets/node/docs-testing/src/app.ts': `import express from 'express';
import type { SmartConfig } from '@smart-launch/core';
import { smart, requireSmart } from '@smart-launch/express';

export function createApp(config: SmartConfig) {
  const app = express();
  app.use(smart(config));
  app.get('/api/context', requireSmart(), (req, res) => res.json({ patient: req.smart!.patient ?? null }));
  app.get('/api/patient', requireSmart(), async (req, res) => res.json(await req.smart!.fhir.read('Patient', req.smart!.patient!)));
  return app;
}
`,
  'snippets/next/docs-testing/smart.ts': `import type { SmartConfig } from '@smart-launch/core';
import { smartNext } from '@smart-launch/next';

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SmartConfig {
  return { issuers: [{ iss: env.SMART_ISS ?? 'http://127.0.0.1:4010/fhir', clientId: 'demo-public' }], session: { secret: env.SESSION_SECRET ?? '' } };
}

export const { handlers, getSmart, withSmart, createProxy } = smartNext(() => configFromEnv());
`,
  'snippets/next/docs-testing/app/api/context/route.ts': `import { withSmart } from '../../../smart';

export const GET = withSmart((_request, s) => Response.json({ patient: s.patient ?? null }));
`,
  'snippets/nest/docs-testing/src/app.module.ts': `import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { SmartGuard, SmartModule } from '@smart-launch/nestjs';

@Module({
  imports: [SmartModule.forRoot({ issuers: [{ iss: 'http://127.0.0.1:4010/fhir', clientId: 'demo-public' }], session: { secret: process.env.SESSION_SECRET ?? '' } })],
  providers: [{ provide: APP_GUARD, useClass: SmartGuard }],
})
export class AppModule {}
`,
  ...Object.fromEntries((Object.entries(TSCONFIGS) as [SnippetProject, object][]).map(([p, c]) => [`snippets/${p}/tsconfig.json`, JSON.stringify({ ...c, include: ['**/*.ts', '**/*.tsx'] }, null, 2)])),
};

// What `nest new` (11) installs, plus Express, Next.js and React for the other adapters' snippets
// and vitest for docs/testing.md's.
const DEPS = [
  '@nestjs/common@^11', '@nestjs/core@^11', '@nestjs/platform-express@^11', '@nestjs/testing@^11', '@nestjs/config@^4', 'reflect-metadata@^0.2', 'rxjs@^7.8',
  'jest@^30', 'ts-jest@^29', '@types/jest@^30', 'supertest@^7', '@types/supertest@^6', 'typescript@~5.9', '@types/node@^20.19',
  'express@^5', '@types/express@^5', 'next@^16', 'react@^19', 'react-dom@^19', '@types/react@^19', 'vitest@^4',
];

let dir: string;
let tarballs: Record<PackageName, string>;
let sandbox: RunningApp;
const bin = (name: string) => join(dir, 'node_modules', '.bin', name);

beforeAll(async () => {
  [tarballs, dir] = await Promise.all([pack(PACKAGES), makeApp('outside-app', APP)]);
  await npmInstall(dir, [...PACKAGES.map((p) => tarballs[p]), ...DEPS]);
  // The installed sandbox, through its bin (what `npx @smart-launch/sandbox` runs).
  sandbox = await startProcess(bin('smart-launch-sandbox'), [], { cwd: dir, env: { SANDBOX_AUTO_APPROVE: '1' }, readyPath: '/fhir/.well-known/smart-configuration', timeoutMs: 60_000, portEnv: 'SANDBOX_PORT' });
}, 600_000);
afterAll(async () => {
  await sandbox?.stop();
});

describe('the tarballs', () => {
  it.each(PACKAGES)('%s: README, LICENSE, dist, sources for the source maps, metadata; no tests, no workspace: ranges', async (name) => {
    const list = (await mustRun('tar', ['-tzf', tarballs[name]])).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    const pkg = JSON.parse(await readFile(join(dir, 'node_modules', '@smart-launch', name, 'package.json'), 'utf8')) as Record<string, unknown>;
    const main = String(pkg.main).replace(/^\.\//, ''); // dist/index.js (cli: dist/main.js)
    const entry = main.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts');
    for (const f of ['README.md', 'LICENSE', 'package.json', main, main.replace(/\.js$/, '.d.ts'), `${main}.map`, entry]) expect(list, f).toContain(f);
    expect(list.filter((f) => /\.test\.ts$|__tests__/.test(f))).toEqual([]);
    // Every source the source maps and declaration maps name is in the tarball.
    for (const m of list.filter((f) => f.endsWith('.map'))) {
      const map = JSON.parse(await readFile(join(dir, 'node_modules', '@smart-launch', name, m), 'utf8')) as { sources: string[] };
      for (const s of map.sources) expect(list, `${m} -> ${s}`).toContain(join(dirname(m), s));
    }
    expect(pkg).toMatchObject({ license: 'Apache-2.0', repository: { type: 'git', directory: `packages/${name}` }, keywords: expect.arrayContaining(['smart-on-fhir', 'fhir']) });
    expect(pkg.sideEffects === false || Array.isArray(pkg.sideEffects)).toBe(true);
    expect(JSON.stringify(pkg)).not.toContain('workspace:');
  });

  it('peer ranges: Nest 11 and 12, no react for next, @types/express optional', async () => {
    const pkg = async (n: string) => JSON.parse(await readFile(join(dir, 'node_modules', '@smart-launch', n, 'package.json'), 'utf8'));
    const [nest, next, express] = await Promise.all([pkg('nestjs'), pkg('next'), pkg('express')]);
    expect(nest.peerDependencies['@nestjs/common']).toBe('^11.0.0 || ^12.0.0');
    expect(nest.peerDependencies['@nestjs/core']).toBe('^11.0.0 || ^12.0.0');
    expect(next.peerDependencies).toEqual({ next: '^16.0.0' });
    expect(express.peerDependenciesMeta['@types/express']).toEqual({ optional: true });
  });

  it('bins: smart-launch --version, smart-launch-sandbox', async () => {
    const v = await mustRun(bin('smart-launch'), ['--version'], { cwd: dir });
    expect(v.stdout.trim()).toBe(JSON.parse(await readFile(join(dir, 'node_modules/@smart-launch/cli/package.json'), 'utf8')).version);
    expect(sandbox.output()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fhir$/m);
  });
});

/** EHR launch without a browser (CONTRACTS: /ehr/launch?launch_url=...): ends on the app's `/` (with its session slot query). */
async function ehrLaunch(appUrl: string): Promise<{ browser: TestBrowser; landing: URL }> {
  const browser = new TestBrowser();
  const r = await browser.navigate(`${sandbox.baseUrl}/ehr/launch?launch_url=${encodeURIComponent(`${appUrl}/launch`)}&patient=p2&user=pr1`);
  const landing = new URL(r.url);
  expect(`${landing.origin}${landing.pathname}`, browser.hops.map((h) => `${h.status} ${h.url}`).join('\n')).toBe(`${appUrl}/`);
  expect(r.res.status).toBe(200);
  return { browser, landing };
}

describe('an outside app', () => {
  it('Express: an EHR launch against the installed sandbox reaches the app with the patient', async () => {
    const app = await startProcess('node', ['express-server.mjs'], { cwd: dir, env: { SMART_ISS: `${sandbox.baseUrl}/fhir`, SESSION_SECRET: SECRET } });
    try {
      const { browser, landing } = await ehrLaunch(app.baseUrl);
      const res = await browser.fetch(landing.href);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ patient: 'p2', resourceType: 'Patient' });
    } finally {
      await app.stop();
    }
  });

  it('a CommonJS consumer type-checks with module nodenext and runs (Node require(esm)); Nest 11 boots and completes a launch', async () => {
    const tsc = await run(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: dir, timeout: 180_000 });
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
    expect(await readFile(join(dir, 'dist', 'cjs-consumer.js'), 'utf8')).toMatch(/require\("@smart-launch\/express"\)/);
    const out = await mustRun('node', ['dist/cjs-consumer.js'], { cwd: dir });
    const types = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    for (const k of ['createSmart', 'handle', 'createBackendClient', 'smart', 'requireSmart', 'SmartModule', 'SmartGuard', 'startSandbox', 'main']) expect(types[k], k).toBe('function');

    const app = await startProcess('node', ['dist/main.js'], { cwd: dir, env: { SMART_ISS: `${sandbox.baseUrl}/fhir`, SESSION_SECRET: SECRET } });
    try {
      const anonymous = await fetch(`${app.baseUrl}/api/context`);
      expect(anonymous.status).toBe(401);
      const { browser, landing } = await ehrLaunch(app.baseUrl);
      const res = await browser.fetch(`${app.baseUrl}/api/context${landing.search}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ patient: 'p2' });
    } finally {
      await app.stop();
    }
  }, 240_000);

  it("a default-shaped Nest app's Jest e2e test with SmartModule passes (CommonJS build)", async () => {
    const jest = await run('npm', ['run', 'test:e2e'], { cwd: dir, timeout: 180_000, env: cleanEnv({ SMART_ISS: `${sandbox.baseUrl}/fhir`, SESSION_SECRET: SECRET }) });
    const out = jest.stdout + jest.stderr;
    expect(jest.code, out).toBe(0);
    expect(out).toMatch(/Tests:\s+3 passed, 3 total/);
  }, 240_000);

  it('every TypeScript block of README.md, the package READMEs and docs/testing.md compiles as written (strict)', async () => {
    const files = snippetFiles();
    // Each README with code has its blocks here (guards against an extraction that finds nothing).
    for (const readme of ['README.md', 'packages/express/README.md', 'packages/next/README.md', 'packages/nestjs/README.md', 'packages/core/README.md', 'packages/sandbox/README.md', 'docs/testing.md']) {
      expect(files.some((f) => f.readme === readme), readme).toBe(true);
    }
    expect(READMES.length).toBe(PACKAGES.length + 1);
    expect(DOCS).toContain('docs/testing.md');
    // docs/testing.md: the Express, Next.js, NestJS and any-server blocks, each in its kind of app.
    expect(files.filter((f) => f.readme === 'docs/testing.md').map((f) => `${f.project}:${f.path}`).sort()).toEqual([
      'nest:docs-testing/test/app.e2e-spec.ts', 'next:docs-testing/test/context.test.ts', 'node:docs-testing/block4.ts', 'node:docs-testing/test/routes.test.ts',
    ]);
    expect(PACKAGES).toEqual(expect.arrayContaining(['cli', 'core', 'express', 'nestjs', 'next', 'sandbox']));
    for (const f of files) {
      const path = join(dir, 'snippets', f.project, f.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, f.text);
    }
    const projects = [...new Set(files.map((f) => f.project))];
    expect(projects.sort()).toEqual(['nest', 'next', 'node']);
    const results = await Promise.all(projects.map((p) => run(bin('tsc'), ['-p', `snippets/${p}/tsconfig.json`], { cwd: dir, timeout: 180_000 })));
    const errors = results.map((r, i) => (r.code === 0 ? '' : `${projects[i]}:\n${r.stdout}${r.stderr}`)).join('');
    expect(errors).toBe('');
  }, 240_000);
});
