import { NextRequest } from 'next/server.js';
import { smartNext } from '../index.js';
import { startSandbox } from '@smart-launch/sandbox';
import { originPolicySuite } from '../../../../test/helpers/origin-policy.js';

// Next.js fills request.url's scheme from X-Forwarded-Proto itself; the route handlers must not
// trust it (nor the Host Next.js reports) unless `trustProxy` is set.
originPolicySuite('Next.js', startSandbox, async (config) => {
  const { handlers } = smartNext(config);
  const origin = 'http://127.0.0.1:3999';
  return {
    origin,
    request: (path, init = {}) => {
      const headers: Record<string, string> = { host: '127.0.0.1:3999', ...init.headers };
      // As Next.js builds it: the scheme follows X-Forwarded-Proto, the host is localhost.
      const scheme = headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
      const request = new NextRequest(`${scheme}://localhost:3999${path}`, { method: init.method ?? 'GET', headers });
      return (init.method === 'POST' ? handlers.POST : handlers.GET)(request);
    },
    stop: async () => {},
  };
});
