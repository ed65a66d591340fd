import { createApp } from './app.js';
import { configFromEnv, frameAncestors } from './config.js';

const { port, ...config } = configFromEnv();
const server = createApp(config, { frameAncestors: frameAncestors() }).listen(port, '127.0.0.1', () => {
  console.log(`example-express listening on http://127.0.0.1:${port}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => server.close(() => process.exit(0)));
