import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Redis from 'ioredis';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createSmart, MemoryStore, RedisStore, type SessionStore } from '../src/index.js';
import { APP, login } from './login.js';

const secret = 'store-test-secret-0123456789abcdefghij';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let sandbox: Sandbox;
let redis: Redis;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
  redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});
afterAll(async () => {
  redis?.disconnect();
  await sandbox?.stop();
});

const make = (store: SessionStore) => createSmart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret, store } });
const url = `${APP}/api`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ client: redis, prefix: `test:${Date.now()}:` })],
])('%s', (_name, makeStore) => {
  it('keeps tokens server-side: the cookie holds only a sealed session id', async () => {
    const store = makeStore();
    const smart = make(store);
    const cookie = await login(smart);
    expect(cookie.length).toBeLessThan(400);
    const s = await smart.session({ cookie, url });
    expect(s.context?.patient).toBeTruthy();
    expect(cookie).not.toContain(s.context!.accessToken);
  });

  it('logout deletes the session from the store: the old cookie is no session anywhere', async () => {
    const store = makeStore();
    const a = make(store);
    const b = make(store);
    const cookie = await login(a);
    expect((await b.session({ cookie, url })).context).not.toBeNull();
    const out = (await a.handle(new Request(`${APP}/logout`, { headers: { cookie } })))!;
    expect(out.status).toBe(302);
    expect((await b.session({ cookie, url })).context).toBeNull();
  });

  it('two app instances sharing the store refresh once for 50 concurrent requests', async () => {
    const store = makeStore();
    const a = make(store);
    const b = make(store);
    const cookie = await login(a);
    await wait(2500);
    sandbox.resetStats();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).session({ cookie, url })));
    expect(results.every((r) => r.context !== null)).toBe(true);
    const tokens = new Set(results.map((r) => r.context!.accessToken));
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    expect(tokens.size).toBe(1);
  });
});

describe('RedisStore', () => {
  it('seals values at rest: no token in Redis in the clear', async () => {
    const prefix = `test:seal:${Date.now()}:`;
    const smart = make(new RedisStore({ client: redis, prefix }));
    const cookie = await login(smart);
    const s = await smart.session({ cookie, url });
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    const raw = (await redis.get(keys[0]!))!;
    expect(raw).not.toContain(s.context!.accessToken);
    expect(raw).not.toContain('refresh');
  });

  it('lock() is exclusive until released', async () => {
    const store = new RedisStore({ client: redis, prefix: `test:lock:${Date.now()}:` });
    const release = await store.lock('k', 5000);
    expect(release).toBeDefined();
    expect(await store.lock('k', 5000)).toBeUndefined();
    await release!();
    expect(await store.lock('k', 5000)).toBeDefined();
  });

  it('fails closed when Redis is down: no session, a 503-class error', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const live = new RedisStore({ client: redis, prefix: `test:dead:${Date.now()}:` });
    const cookie = await login(make(live));
    const broken = make(new RedisStore({ client: dead, prefix: 'x:' }));
    const s = await broken.session({ cookie, url });
    expect(s.context).toBeNull();
    expect(s.error?.status).toBe(503);
    dead.disconnect();
  });
});
