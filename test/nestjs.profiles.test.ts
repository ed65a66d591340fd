import { profileMatrix } from './matrix/profiles.js';
import { startProcess } from './helpers/processes.js';

// The NestJS example (built dist/, Express platform) against every sandbox profile.
profileMatrix('nestjs', (env) => startProcess('node', ['examples/nestjs/dist/main.js'], { env: { ...env, NEST_PLATFORM: 'express' } }));
