import { describe } from 'vitest';
import { conformanceSuite } from './conformance/suite.js';
import { startProcess } from './helpers/processes.js';

// The NestJS example, built (dist/) and started as its own process, on each Nest HTTP platform.
for (const platform of ['express', 'fastify'] as const) {
  describe(`NEST_PLATFORM=${platform}`, () => {
    conformanceSuite(`examples/nestjs (${platform})`, (env) => startProcess('node', ['examples/nestjs/dist/main.js'], { env: { ...env, NEST_PLATFORM: platform } }));
  });
}
