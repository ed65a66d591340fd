import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// One shared config for the whole monorepo. Workspace packages resolve to their sources, so unit
// and integration tests need no build; tests that spawn example apps use the built dist/.
export default defineConfig({
  resolve: {
    alias: {
      '@smart-launch/core': src('core'),
      '@smart-launch/express': src('express'),
      '@smart-launch/next': src('next'),
      '@smart-launch/nestjs': src('nestjs'),
      '@smart-launch/sandbox': src('sandbox'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
