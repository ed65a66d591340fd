import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createSmart } from '../src/index.js';
import { APP, login } from './login.js';

// A token endpoint that never answers, behind a fetch that ignores its abort signal: the
// requests of that session get an answer anyway (the refresh has a deadline), never a hang.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
});
afterAll(() => sandbox?.stop());

it('a refresh that never settles ends in a timeout for the waiting requests; the session keeps its still-valid token', async () => {
  let hang = false;
  const warnings: string[] = [];
  const fetchThatHangs: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (hang && url.endsWith('/token')) return new Promise<Response>(() => {});
    return fetch(input, init);
  };
  const smart = createSmart({
    issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }],
    session: { secret: 'refresh-deadline-secret-0123456789abcdef' },
    httpTimeoutMs: 100,
    fetch: fetchThatHangs,
    logger: { warn: (m) => void warnings.push(m), error: () => {} },
  });
  const cookie = await login(smart);
  await new Promise((r) => setTimeout(r, 2500)); // 62 s token, 60 s refresh skew: now due
  hang = true;
  const started = Date.now();
  const [a, b] = await Promise.all([smart.session({ cookie, url: `${APP}/api` }), smart.session({ cookie, url: `${APP}/api` })]);
  const took = Date.now() - started;
  expect(took).toBeLessThan(2 * 100 + 6000 + 3000);
  // The token itself is valid for another minute: both requests go on with it, and say so.
  expect(a.context?.patient).toBeTruthy();
  expect(b.context?.accessToken).toBe(a.context?.accessToken);
  expect(warnings.some((w) => /early refresh failed/.test(w))).toBe(true);
  // Nothing stays stuck: once the endpoint answers again, the next request refreshes.
  hang = false;
  sandbox.resetStats();
  const c = await smart.session({ cookie, url: `${APP}/api` });
  expect(c.context?.accessToken).not.toBe(a.context?.accessToken);
  expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
}, 30_000);
