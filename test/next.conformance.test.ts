import { conformanceSuite } from './conformance/suite.js';
import { startProcess } from './helpers/processes.js';

// The Next.js example as a production build (`next build` ran in `turbo run build`), started with
// `next start` on 127.0.0.1:$PORT through its start script, as a user would run it.
conformanceSuite('examples/next', (env) => startProcess('node', ['examples/next/scripts/start.mjs'], { env, timeoutMs: 60_000 }));
