import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Redis from 'ioredis';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createSmart, RedisStore } from '../src/index.js';
import { InvalidationCache, type TrackingConnection, type TrackingRedis } from '../src/session/redis-tracking.js';
import { APP, login } from './login.js';

// RedisStore's default cache: sessions read from Redis are served from memory on the hot path and
// dropped when Redis reports their key changed (client-side caching, BCAST mode,
// https://redis.io/docs/latest/develop/reference/client-side-caching/). A logout or a refresh on
// another instance applies there as soon as the invalidation arrives, not after a fixed time.
const secret = 'redis-tracking-test-secret-0123456789abc';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let sandbox: Sandbox;
const clients: Redis[] = [];
const client = () => {
  const c = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await sandbox?.stop();
});

const url = `${APP}/api`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const make = (store: RedisStore, warn: (m: string) => void = () => {}) =>
  createSmart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public' }], session: { secret, store }, logger: { warn, error: () => {} } });
/** Two instances: each its own client and store (as two processes have), one Redis, one prefix. */
const pair = () => {
  const prefix = `test:track:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
  return [make(new RedisStore({ client: client(), prefix })), make(new RedisStore({ client: client(), prefix }))] as const;
};
async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await wait(5)) if (check()) return true;
  return check();
}
/** A session read twice: the first read starts the store's connection, the second is kept. */
async function warm(smart: ReturnType<typeof make>, cookie: string): Promise<void> {
  expect(await until(() => {
    void smart.session({ cookie, url });
    return smart.peekSession({ cookie, url })?.context != null;
  })).toBe(true);
}

describe('RedisStore tracking (real Redis)', () => {
  it('serves a session read once from memory: no store read per request', async () => {
    const [a] = pair();
    const cookie = await login(a);
    await warm(a, cookie);
    const hit = a.peekSession({ cookie, url });
    expect(hit?.context?.accessToken).toBe((await a.session({ cookie, url })).context!.accessToken);
  });

  it("another instance's logout ends the session here as soon as Redis reports it", async () => {
    const [a, b] = pair();
    const cookie = await login(a);
    await warm(b, cookie);
    const out = (await a.handle(new Request(`${APP}/logout`, { headers: { cookie } })))!;
    expect(out.status).toBe(302);
    // No fixed window: the invalidation message drops b's copy (a round trip, milliseconds).
    expect(await until(() => (b.peekSession({ cookie, url })?.context ?? null) === null, 1000)).toBe(true);
    expect((await b.session({ cookie, url })).context).toBeNull();
    // And it never comes back: nothing repopulates an ended session.
    await wait(50);
    expect(b.peekSession({ cookie, url })?.context ?? null).toBeNull();
  });

  it("another instance's refresh replaces the copy here: the rotated token, one token call", async () => {
    const [a, b] = pair();
    const cookie = await login(a);
    await warm(b, cookie);
    const before = b.peekSession({ cookie, url })?.context?.accessToken;
    await wait(2500); // accessTokenTtl 62 s, refreshSkewSeconds 60: now due
    sandbox.resetStats();
    const refreshed = (await a.session({ cookie, url })).context!.accessToken;
    expect(refreshed).not.toBe(before);
    expect(await until(() => b.peekSession({ cookie, url }) === undefined, 1000)).toBe(true);
    expect((await b.session({ cookie, url })).context!.accessToken).toBe(refreshed);
    expect(b.peekSession({ cookie, url })?.context?.accessToken).toBe(refreshed);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
  });

  it('a change made outside smart-launch (redis-cli DEL) is seen too', async () => {
    const prefix = `test:track:del:${Date.now()}:`;
    const admin = client();
    const a = make(new RedisStore({ client: client(), prefix }));
    const cookie = await login(a);
    await warm(a, cookie);
    const keys = await admin.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    await admin.del(keys[0]!);
    expect(await until(() => a.peekSession({ cookie, url }) === undefined, 1000)).toBe(true);
    expect((await a.session({ cookie, url })).context).toBeNull();
  });

  it('serves nothing from memory while its connection is down, and again once it is back', async () => {
    const prefix = `test:track:kill:${Date.now()}:`;
    const admin = client();
    const a = make(new RedisStore({ client: client(), prefix }));
    const cookie = await login(a);
    await warm(a, cookie);
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const id = /id=(\d+) .*name=smart-launch:invalidations:test:track:kill:/.exec(list.split('\n').find((l) => l.includes(`name=smart-launch:invalidations:${prefix}`)) ?? '')?.[1];
    expect(id).toBeDefined();
    await admin.call('CLIENT', 'KILL', 'ID', id!);
    // Messages sent while it was away are lost: every copy went with the connection.
    expect(await until(() => a.peekSession({ cookie, url }) === undefined, 1000)).toBe(true);
    await warm(a, cookie);
  });

  it('closes its connection with the client (quit), so the process can exit', async () => {
    const prefix = `test:track:quit:${Date.now()}:`;
    const admin = client();
    const own = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const a = make(new RedisStore({ client: own, prefix }));
    const cookie = await login(a);
    await warm(a, cookie);
    const names = async () => ((await admin.call('CLIENT', 'LIST')) as string).split('\n').filter((l) => l.includes(`name=smart-launch:invalidations:${prefix}`)).length;
    expect(await names()).toBe(1);
    await own.quit();
    await wait(100);
    expect(await names()).toBe(0);
  });

  it('tracking: false reads Redis on every request', async () => {
    const a = make(new RedisStore({ client: client(), prefix: `test:track:off:${Date.now()}:`, tracking: false }));
    const cookie = await login(a);
    expect((await a.session({ cookie, url })).context).not.toBeNull();
    await wait(100);
    expect((await a.session({ cookie, url })).context).not.toBeNull();
    expect(a.peekSession({ cookie, url })).toBeUndefined();
  });
});

/** A scripted invalidation connection: the test decides when it is ready and what it receives. */
class FakeConnection extends EventEmitter implements TrackingConnection {
  calls: string[] = [];
  refuse = false;
  async call(...args: (string | number)[]): Promise<unknown> {
    this.calls.push(args.join(' '));
    if (this.refuse && args[1] === 'TRACKING') throw Object.assign(new Error('ERR unknown subcommand'), { name: 'ReplyError' });
    return args[1] === 'ID' ? 7 : 'OK';
  }
  async subscribe(): Promise<unknown> {
    return 1;
  }
  silent = false;
  reconnects = 0;
  async ping(): Promise<unknown> {
    return this.silent ? new Promise(() => {}) : ['pong', ''];
  }
  async connect(): Promise<unknown> {
    return undefined;
  }
  disconnect(reconnect?: boolean): void {
    if (reconnect) this.reconnects++;
    this.emit('close');
  }
  invalidate(keys: string[] | null): void {
    this.emit('messageBuffer', Buffer.from('__redis__:invalidate'), keys && keys.map((k) => Buffer.from(k)));
  }
}
function fake(): { redis: TrackingRedis; conn: FakeConnection } {
  const conn = new FakeConnection();
  return { conn, redis: { duplicate: () => conn, on: () => undefined } };
}
async function live(cache: InvalidationCache<string>, conn: FakeConnection): Promise<void> {
  cache.ticket('boot'); // the first read starts the connection
  conn.emit('ready');
  expect(await until(() => cache.live, 500)).toBe(true);
}

describe('InvalidationCache (scripted connection)', () => {
  it('turns tracking on in broadcast mode for its prefix, redirected to itself', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    await live(cache, conn);
    expect(conn.calls).toEqual(['CLIENT ID', 'CLIENT TRACKING ON REDIRECT 7 BCAST PREFIX p:']);
  });

  it('keeps a read, and drops it when its key is invalidated', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    await live(cache, conn);
    cache.settle('a', cache.ticket('a'), 'A');
    cache.settle('b', cache.ticket('b'), 'B');
    expect(cache.get('a')).toBe('A');
    conn.invalidate(['p:a', 'other:b']);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe('B');
    conn.invalidate(null); // FLUSHALL / FLUSHDB
    expect(cache.get('b')).toBeUndefined();
  });

  it('does not keep a read that an invalidation overtook (reply and message on two connections)', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    await live(cache, conn);
    const t = cache.ticket('a');
    conn.invalidate(['p:a']); // the key changed after Redis answered the read, before we got it
    cache.settle('a', t, 'old');
    expect(cache.get('a')).toBeUndefined();
    // Two reads in flight: only the later one may be kept.
    const t1 = cache.ticket('a');
    const t2 = cache.ticket('a');
    cache.settle('a', t1, 'first');
    expect(cache.get('a')).toBeUndefined();
    cache.settle('a', t2, 'second');
    expect(cache.get('a')).toBe('second');
  });

  it('serves nothing before it is subscribed, nor from before a disconnect', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    const early = cache.ticket('a');
    expect(early).toBe(0);
    cache.settle('a', early, 'A');
    expect(cache.get('a')).toBeUndefined();
    await live(cache, conn);
    const t = cache.ticket('a');
    cache.settle('a', cache.ticket('b'), 'B');
    conn.emit('close');
    expect(cache.live).toBe(false);
    expect(cache.get('b')).toBeUndefined();
    cache.settle('a', t, 'A'); // a read from before the disconnect
    conn.emit('ready');
    expect(await until(() => cache.live, 500)).toBe(true);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('is bounded: the oldest entry goes first', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {}, { max: 2 });
    await live(cache, conn);
    for (const k of ['a', 'b', 'c']) cache.settle(k, cache.ticket(k), k.toUpperCase());
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'B', 'C']);
  });

  it('a connection that stops answering pings (silently dead) is dropped with everything it kept', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {}, { heartbeatMs: 30 });
    await live(cache, conn);
    cache.settle('a', cache.ticket('a'), 'A');
    await wait(100);
    expect(cache.get('a')).toBe('A'); // answered pings: kept
    conn.silent = true;
    expect(await until(() => !cache.live, 500)).toBe(true);
    expect(cache.get('a')).toBeUndefined();
    expect(conn.reconnects).toBe(1);
    cache.stop();
  });

  it('a server that refuses CLIENT TRACKING: one warning, nothing cached, reads still work', async () => {
    const { redis, conn } = fake();
    conn.refuse = true;
    const warn = vi.fn();
    const cache = new InvalidationCache<string>(redis, 'p:', warn);
    cache.ticket('a');
    conn.emit('ready');
    await wait(20);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/CLIENT TRACKING/);
    expect(cache.live).toBe(false);
    const t = cache.ticket('a');
    cache.settle('a', t, 'A');
    expect(cache.get('a')).toBeUndefined();
  });

  it('RedisStore: a non-ioredis client or a cluster is not tracked; tracking: true then says why', () => {
    const plain = { get: async () => null, set: async () => 'OK', del: async () => 1, eval: async () => 0 };
    expect(new RedisStore({ client: plain }).peek('x')).toBeUndefined();
    expect(() => new RedisStore({ client: plain, tracking: true })).toThrow(/tracking: true/);
    expect(() => new RedisStore({ client: Object.assign({ duplicate: () => ({}), isCluster: true }, plain), tracking: true })).toThrow(/cluster/);
  });
});
