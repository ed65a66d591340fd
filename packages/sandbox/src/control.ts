import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatedFailure } from './failures.js';
import { readBody, sendJson } from './http.js';
import type { SandboxState } from './state.js';

/**
 * Test hooks: `POST /_sandbox/fail` (JSON SimulatedFailure), `POST /_sandbox/reset` (clear failures),
 * `GET /_sandbox/stats`, `POST /_sandbox/reset-stats`.
 */
export function makeControlHandler(state: SandboxState) {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (url.pathname === '/_sandbox/stats' && req.method === 'GET') return sendJson(res, 200, state.stats.snapshot());
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' });
    if (url.pathname === '/_sandbox/reset') {
      state.failures.clear();
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_sandbox/reset-stats') {
      state.stats.reset();
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === '/_sandbox/fail') {
      try {
        const failure = JSON.parse(await readBody(req)) as SimulatedFailure;
        state.failures.arm(failure);
        return sendJson(res, 200, { ok: true });
      } catch (error) {
        return sendJson(res, 400, { error: 'invalid_request', error_description: (error as Error).message });
      }
    }
    return sendJson(res, 404, { error: 'not_found' });
  };
}
