import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createSmart, MemoryStore, RedisStore, type SessionStore } from '../src/index.js';
import { APP, login } from './login.js';

// session.storeCacheMs (ADR 0013): store mode may reuse a store read for a bounded time on the
// synchronous hot path; this process's own writes and logouts apply at once, another instance's
// within that time, and a refresh always reads the store under the lock.
const secret = 'store-cache-test-secret-0123456789abcdef';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let sandbox: Sandbox;
let redis: Redis;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62 });
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  redis?.disconnect();
  await sandbox?.stop();
});

const make = (store: SessionStore, storeCacheMs?: number) =>
  createSmart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret, store, ...(storeCacheMs !== undefined ? { storeCacheMs } : {}) } });
const url = `${APP}/api`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('session.storeCacheMs', () => {
  it('is validated: 0 to 5000 ms', () => {
    const store = new MemoryStore();
    expect(() => make(store, -1)).toThrow(/session.storeCacheMs/);
    expect(() => make(store, 5001)).toThrow(/session.storeCacheMs/);
    expect(() => make(store, Number.NaN)).toThrow(/session.storeCacheMs/);
    expect(() => make(store, 5000)).not.toThrow();
  });

  describe.each([
    ['MemoryStore', () => new MemoryStore()],
    // tracking: false: these are storeCacheMs's own semantics (tracking: redis-tracking.test.ts).
    ['RedisStore', () => new RedisStore({ client: redis, prefix: `test:cache:${Date.now()}:`, tracking: false })],
  ])('%s', (_name, makeStore) => {
    it('default 0: every request reads the store (no synchronous store-mode answer)', async () => {
      const smart = make(makeStore());
      const cookie = await login(smart);
      expect((await smart.session({ cookie, url })).context).not.toBeNull();
      expect(smart.peekSession({ cookie, url })).toBeUndefined();
    });

    it('a read is reused on the hot path, never past storeCacheMs', async () => {
      const smart = make(makeStore(), 300);
      const cookie = await login(smart);
      const first = await smart.session({ cookie, url });
      const hit = smart.peekSession({ cookie, url });
      expect(hit?.context?.accessToken).toBe(first.context!.accessToken);
      await wait(350);
      expect(smart.peekSession({ cookie, url })).toBeUndefined();
    });

    it("this process's own logout applies at once; another instance's within storeCacheMs", async () => {
      const store = makeStore();
      const a = make(store, 400);
      const b = make(store, 400);
      const cookie = await login(a);
      expect((await a.session({ cookie, url })).context).not.toBeNull();
      expect((await b.session({ cookie, url })).context).not.toBeNull();
      const out = (await a.handle(new Request(`${APP}/logout`, { headers: { cookie } })))!;
      expect(out.status).toBe(302);
      // a ended it: neither its hot path nor its slow path knows the session any more.
      expect(a.peekSession({ cookie, url })?.context ?? null).toBeNull();
      expect((await a.session({ cookie, url })).context).toBeNull();
      // b's read is at most 400 ms old: the documented window, and not a moment longer.
      await wait(450);
      expect(b.peekSession({ cookie, url })?.context ?? null).toBeNull();
      expect((await b.session({ cookie, url })).context).toBeNull();
    });

    it('a session due for refresh never comes from the cache: one token call, the rotated token everywhere', async () => {
      const store = makeStore();
      const a = make(store, 5000);
      const b = make(store, 5000);
      const cookie = await login(a);
      const before = (await b.session({ cookie, url })).context!.accessToken;
      await wait(2500); // accessTokenTtl 62 s, refreshSkewSeconds 60: now due
      sandbox.resetStats();
      const refreshed = (await a.session({ cookie, url })).context!.accessToken;
      expect(refreshed).not.toBe(before);
      // b's cached copy (rev 0) is due for refresh: the hot path declines it, the slow path reads
      // the store and gets a's revision instead of spending the rotated refresh token again.
      expect(b.peekSession({ cookie, url })).toBeUndefined();
      const fromB = (await b.session({ cookie, url })).context!.accessToken;
      expect(fromB).toBe(refreshed);
      expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
      // And a's own write is what its hot path serves now.
      expect(a.peekSession({ cookie, url })?.context?.accessToken).toBe(refreshed);
    });
  });
});
