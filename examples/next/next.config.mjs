import { fileURLToPath } from 'node:url';

// The monorepo root: workspace packages live outside this folder.
const root = fileURLToPath(new URL('../..', import.meta.url));

/** @type {import('next').NextConfig} */
export default {
  poweredByHeader: false,
  // What create-next-app@16 enables: pages render statically unless marked dynamic; getSmart()
  // marks the request dynamic itself (connection()), the page renders the session inside <Suspense>.
  cacheComponents: true,
  // Next.js 16.4+ asks new Cache Components apps to enable Partial Prefetching with it.
  partialPrefetching: true,
  turbopack: { root },
  outputFileTracingRoot: root,
};
