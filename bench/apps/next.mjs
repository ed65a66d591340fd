// Child process: `next start` of bench/next-app (built by `pnpm --filter bench build`) in this
// process, on 127.0.0.1 and a free port; ready once the bare route answers.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from './ipc.mjs';

const dir = fileURLToPath(new URL('../next-app', import.meta.url));
if (!existsSync(`${dir}/.next/BUILD_ID`)) throw new Error('bench/next-app is not built: run `pnpm --filter bench build`');
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const url = `http://127.0.0.1:${port}`;
process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.APP_BASE_URL = url;
process.argv = [process.argv[0], 'next', 'start', dir, '-H', '127.0.0.1', '-p', String(port)];
await import('next/dist/bin/next');
for (let i = 0; ; i++) {
  const ok = await fetch(`${url}/api/bare`).then((r) => r.ok, () => false);
  if (ok) break;
  if (i > 300) throw new Error('next start did not answer');
  await new Promise((r) => setTimeout(r, 100));
}
serve({ urls: { base: url } });
