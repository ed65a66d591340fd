import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// One shared config for the whole monorepo. Workspace packages resolve to their sources, so unit
// and integration tests need no build; tests that spawn example apps use the built dist/.
export default defineConfig({
  resolve: {
    alias: [
      // Subpath exports map to one folder each: @smart-launch/core/<sub> -> packages/core/src/<sub>/index.ts.
      { find: /^@smart-launch\/core\/(.+)$/, replacement: fileURLToPath(new URL('./packages/core/src/$1/index.ts', import.meta.url)) },
      { find: /^@smart-launch\/core$/, replacement: src('core') },
      { find: /^@smart-launch\/express$/, replacement: src('express') },
      { find: /^@smart-launch\/next$/, replacement: src('next') },
      { find: /^@smart-launch\/nestjs$/, replacement: src('nestjs') },
      { find: /^@smart-launch\/sandbox$/, replacement: src('sandbox') },
      { find: /^@smart-launch\/testing$/, replacement: src('testing') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 3,
    reporters: ['default'],
    // Prints the profile x example matrix (test/*.profiles.test.ts) at the end of the run.
    globalSetup: ['test/matrix/global-setup.ts'],
  },
});
