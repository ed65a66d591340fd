import { fileURLToPath } from 'node:url';

// The monorepo root: workspace packages live outside this folder.
const root = fileURLToPath(new URL('../..', import.meta.url));

/** @type {import('next').NextConfig} */
export default {
  poweredByHeader: false,
  turbopack: { root },
  outputFileTracingRoot: root,
};
