// `next start` on 127.0.0.1 and $PORT (default 3000), from any working directory, in this process.
import { fileURLToPath } from 'node:url';

process.env.NEXT_TELEMETRY_DISABLED = '1';
const dir = fileURLToPath(new URL('..', import.meta.url));
process.argv = [process.argv[0], 'next', 'start', dir, '-H', '127.0.0.1', '-p', process.env.PORT || '3000'];
await import('next/dist/bin/next');
