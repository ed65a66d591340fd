import { smartNext } from '@smart-launch/next';
import { SECRET } from '../../shape.mjs';

// Read lazily: `next build` runs without BENCH_ISS.
export const { getSmart, createProxy } = smartNext(() => ({
  issuers: [{ iss: process.env.BENCH_ISS, clientId: 'bench' }],
  session: { secret: SECRET },
  logger: { warn: () => {}, error: (m) => console.error(m) },
}));
