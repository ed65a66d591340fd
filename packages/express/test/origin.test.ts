import { once } from 'node:events';
import type { Server } from 'node:http';
import express from 'express';
import { smart } from '../src/index.js';
import { startSandbox } from '@smart-launch/sandbox';
import { originPolicySuite } from '../../../test/helpers/origin-policy.js';

// Express's own `trust proxy` / req.protocol play no part: the adapter uses core's one policy.
originPolicySuite('Express', startSandbox, async (config) => {
  const app = express();
  app.use(smart(config));
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    request: (path, init = {}) => fetch(`${origin}${path}`, { ...init, redirect: 'manual' }),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
});
