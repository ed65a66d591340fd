// The CommonJS entry (dist/index.cjs), as for @smart-launch/nestjs: for test runners that load
// packages with their own CommonJS loader and cannot require() ES modules — Jest, the test runner of
// a default `nest new` app. Node itself (>= 20.19) never uses it: it picks the "module-sync"
// condition, the ES build. @smart-launch/core and its ESM-only dependencies are bundled (Jest could
// not require them either); sessionCookie() writes the same format, so the app's own copy of core
// accepts what this copy seals.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const result = await build({
  entryPoints: [fileURLToPath(new URL('../dist/index.js', import.meta.url))],
  outfile: fileURLToPath(new URL('../dist/index.cjs', import.meta.url)),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['ioredis'],
  legalComments: 'eof', // keeps the bundled packages' license notices
  banner: { js: `/* ${pkg.name} ${pkg.version} (CommonJS build; bundles @smart-launch/core, jose, openid-client, oauth4webapi, iron-session — MIT/Apache-2.0, notices at the end) */` },
  logLevel: 'warning',
  metafile: true,
});
const bundled = new Set(Object.keys(result.metafile.inputs).map((p) => p.match(/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/)?.[1]).filter(Boolean));
console.log(`dist/index.cjs: bundled ${[...bundled].sort().join(', ')}`);
