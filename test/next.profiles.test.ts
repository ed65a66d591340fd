import { profileMatrix } from './matrix/profiles.js';
import { startProcess } from './helpers/processes.js';

// The Next.js example (production build, `next start`) against every sandbox profile.
profileMatrix('next', (env) => startProcess('node', ['examples/next/scripts/start.mjs'], { env, timeoutMs: 60_000 }));
