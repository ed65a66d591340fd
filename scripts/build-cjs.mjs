#!/usr/bin/env node
// The CommonJS entry (dist/index.cjs) of a package, run from the package's folder after tsc: for test
// runners that load packages with their own CommonJS loader and cannot require() ES modules — Jest,
// the test runner of a default `nest new` app. Node itself (>= 20.19) never uses it: it picks the
// "module-sync" export condition, the ES build, for import and require.
// @smart-launch/core and its ESM-only dependencies (jose, openid-client, oauth4webapi) are bundled,
// since Jest could not require them either; the package's peer dependencies (e.g. Nest, rxjs,
// reflect-metadata) and ioredis stay the app's own. The session format is core's, so an app's own
// copy of core accepts what a bundled copy seals.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.cwd();
// esbuild is a devDependency of each package that runs this script: resolve it from there.
const { build } = createRequire(join(dir, 'package.json'))('esbuild');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const peers = Object.keys(pkg.peerDependencies ?? {});
const scopes = [...new Set(peers.filter((p) => p.startsWith('@')).map((p) => `${p.split('/')[0]}/*`))];
const result = await build({
  entryPoints: [join(dir, 'dist/index.js')],
  outfile: join(dir, 'dist/index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: [...peers, ...scopes, 'ioredis'],
  legalComments: 'eof', // keeps the bundled packages' license notices
  banner: { js: `/* ${pkg.name} ${pkg.version} (CommonJS build; bundles @smart-launch/core, jose, openid-client, oauth4webapi, iron-session — MIT/Apache-2.0, notices at the end) */` },
  logLevel: 'warning',
  metafile: true,
});
const bundled = new Set(Object.keys(result.metafile.inputs).map((p) => p.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)?.[1]).filter(Boolean));
console.log(`dist/index.cjs: bundled ${[...bundled].sort().join(', ')}`);
