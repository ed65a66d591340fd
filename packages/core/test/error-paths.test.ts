/** Error paths whose codes no other test reaches: each answers its documented code and status. */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSmart, ErrorCode, isSmartError, type SmartConfig } from '../src/index.js';
import { cookiesOf, FAKE_APP, startFakeAs, type FakeAs } from './fake-as.js';

let as: FakeAs;
beforeAll(async () => {
  as = await startFakeAs();
});
afterAll(() => as.close());
afterEach(() => vi.restoreAllMocks());

const json = { accept: 'application/json' };
const make = (extra: Partial<SmartConfig> = {}) =>
  createSmart({ issuers: [{ iss: as.fhirBase, clientId: 'app', authorizeMethod: 'GET', scope: 'launch/patient patient/*.rs' }], session: { secret: 'error-paths-test-secret-0123456789abcdef' }, ...extra });

async function startLaunch(smart: ReturnType<typeof make>) {
  const launch = (await smart.handle(new Request(`${FAKE_APP}/launch`)))!;
  expect(launch.status).toBe(302);
  return { state: new URL(launch.headers.get('location')!).searchParams.get('state')!, cookie: cookiesOf(launch) };
}
const callback = (smart: ReturnType<typeof make>, query: string, cookie: string) =>
  smart.handle(new Request(`${FAKE_APP}/callback?${query}`, { headers: { ...json, cookie } })) as Promise<Response>;

describe('error codes on their paths', () => {
  it('config_invalid: createSmart() refuses a bad config at once', () => {
    let error: unknown;
    try {
      make({ trustProxy: 'yes' as unknown as boolean });
    } catch (e) {
      error = e;
    }
    expect(isSmartError(error) && error.code).toBe(ErrorCode.CONFIG_INVALID);
    expect((error as Error).message).toContain('trustProxy');
  });

  it('launch_invalid: a launch parameter without iss', async () => {
    const res = (await make().handle(new Request(`${FAKE_APP}/launch?launch=abc`, { headers: json })))!;
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'launch_invalid' });
  });

  it('code_missing: a callback with its state but neither code nor error', async () => {
    const smart = make();
    const { state, cookie } = await startLaunch(smart);
    const res = await callback(smart, `state=${state}&iss=${encodeURIComponent(as.url)}`, cookie);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'code_missing' });
  });

  it('transaction_expired: the callback comes more than 10 minutes after its launch; the transaction cookie is cleared', async () => {
    const smart = make();
    const { state, cookie } = await startLaunch(smart);
    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + 11 * 60_000);
    const res = await callback(smart, `code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, cookie);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'transaction_expired' });
    expect(res.headers.getSetCookie().some((c) => c.startsWith('smart_session_tx_') && /Max-Age=0/.test(c))).toBe(true);
    expect(as.requests.some((r) => r.path === '/token' && r.body.includes(`code=c`))).toBe(false);
  });

  it('a callback within 10 minutes is not expired', async () => {
    const smart = make();
    const { state, cookie } = await startLaunch(smart);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 9 * 60_000);
    const res = await callback(smart, `state=${state}&iss=${encodeURIComponent(as.url)}`, cookie);
    expect(await res.json()).toMatchObject({ error: 'code_missing' });
  });

  it('discovery_invalid: smart-configuration without a token_endpoint', async () => {
    const saved = as.smartConfig;
    as.smartConfig = { ...saved, token_endpoint: undefined };
    try {
      const res = (await make().handle(new Request(`${FAKE_APP}/launch`, { headers: json })))!;
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: 'discovery_invalid' });
    } finally {
      as.smartConfig = saved;
    }
  });

  it('token_response_invalid: a 200 token response without access_token', async () => {
    const smart = make();
    const { state, cookie } = await startLaunch(smart);
    const saved = as.tokenResponse;
    as.tokenResponse = async () => ({ status: 200, body: { token_type: 'Bearer', expires_in: 3600, patient: 'p1', scope: 'launch/patient patient/*.rs' } });
    try {
      const res = await callback(smart, `code=c&state=${state}&iss=${encodeURIComponent(as.url)}`, cookie);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: 'token_response_invalid' });
    } finally {
      as.tokenResponse = saved;
    }
  });
});
