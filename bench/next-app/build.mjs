// `next build` of the suite's Next.js app (bench/next-app), from any working directory.
import { fileURLToPath } from 'node:url';

process.env.NEXT_TELEMETRY_DISABLED = '1';
const dir = fileURLToPath(new URL('.', import.meta.url));
process.argv = [process.argv[0], 'next', 'build', dir];
await import('next/dist/bin/next');
