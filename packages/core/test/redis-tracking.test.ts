import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Redis, { type RedisOptions } from 'ioredis';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createSmart, RedisStore } from '../src/index.js';
import { resolveSession } from '../src/adapter/session.js';
import { InvalidationCache, type TrackingConnection, type TrackingRedis } from '../src/session/redis-tracking.js';
import { APP, login } from './login.js';

// RedisStore's default cache: sessions read from Redis are served from memory on the hot path and
// dropped when Redis reports their key changed (client-side caching, BCAST mode,
// https://redis.io/docs/latest/develop/reference/client-side-caching/). A logout or a refresh on
// another instance applies there as soon as the invalidation arrives, not after a fixed time.
const secret = 'redis-tracking-test-secret-0123456789abc';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Tokens that stay fresh through every test: what is served comes from the store cache only. */
let sandbox: Sandbox;
/** Tokens due for refresh two seconds after login (62 s, less the 60 s refresh skew). */
let short: Sandbox;
const clients: Redis[] = [];
const client = (options: RedisOptions = {}) => {
  const c = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, ...options });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  [sandbox, short] = await Promise.all([
    startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 3600 }),
    startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 }),
  ]);
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await Promise.all([sandbox?.stop(), short?.stop()]);
});

const url = `${APP}/api`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const make = (store: RedisStore, sb: Sandbox = sandbox, warn: (m: string) => void = () => {}) =>
  createSmart({ issuers: [{ iss: sb.fhirBaseUrl, clientId: 'demo-public' }], session: { secret, store }, logger: { warn, error: () => {} } });
const newPrefix = (what: string) => `test:track:${what}:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
/** Two instances: each its own client and store (as two processes have), one Redis, one prefix. */
const pair = (sb: Sandbox = sandbox) => {
  const prefix = newPrefix('pair');
  const stores = [new RedisStore({ client: client(), prefix }), new RedisStore({ client: client(), prefix })] as const;
  return { prefix, stores, a: make(stores[0], sb), b: make(stores[1], sb) };
};
/** The one session id stored under `prefix` (as Redis names the key: `fullPrefix` + sid). */
async function sidUnder(fullPrefix: string): Promise<string> {
  const keys = (await client().keys(`${fullPrefix}*`)).filter((k) => !k.startsWith(`${fullPrefix}lock:`));
  expect(keys).toHaveLength(1);
  return keys[0]!.slice(fullPrefix.length);
}
async function until(check: () => boolean, ms = 2000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await wait(5)) if (check()) return true;
  return check();
}
/** A session read until the store keeps it: the first read starts the store's connection. */
async function warm(smart: ReturnType<typeof make>, store: RedisStore, cookie: string, sid: string): Promise<void> {
  const reads: Promise<unknown>[] = [];
  const ok = await until(() => {
    reads.push(smart.session({ cookie, url }));
    return store.peek(sid) !== undefined;
  });
  await Promise.allSettled(reads);
  expect(ok).toBe(true);
}

/** One instance on its own client and prefix, signed in, its session kept in memory. */
async function signedIn(what: string, redis: Redis = client()) {
  const prefix = newPrefix(what);
  const store = new RedisStore({ client: redis, prefix });
  const a = make(store);
  const cookie = await login(a);
  const sid = await sidUnder(prefix);
  await warm(a, store, cookie, sid);
  return { prefix, redis, store, a, cookie, sid };
}
/** The CLIENT LIST lines of the stores' invalidation connections under `prefix`. */
async function trackingConnections(prefix: string): Promise<string[]> {
  return ((await client().call('CLIENT', 'LIST')) as string).split('\n').filter((l) => l.includes(`name=smart-launch:invalidations:${prefix}`));
}
const idOf = (line: string | undefined) => /id=(\d+) /.exec(line ?? '')?.[1];

describe('RedisStore tracking (real Redis)', () => {
  it('serves a session read once from memory: no Redis read per request', async () => {
    const { redis, store, a, cookie, sid } = await signedIn('hot');
    const get = vi.spyOn(redis, 'get');
    const origin = { header: (name: string) => (name === 'host' ? '127.0.0.1:3999' : undefined), encrypted: false };
    for (let i = 0; i < 20; i++) {
      const result = await resolveSession(a, { cookie, origin, target: '/api' });
      expect(result.context?.accessToken).toBe(store.peek(sid)!.accessToken);
    }
    expect(get).not.toHaveBeenCalled();
    get.mockRestore();
  });

  it("another instance's logout ends the session here as soon as Redis reports it", async () => {
    const { a, b, stores, prefix } = pair();
    const cookie = await login(a);
    const sid = await sidUnder(prefix);
    await warm(b, stores[1], cookie, sid);
    const out = (await a.handle(new Request(`${APP}/logout`, { headers: { cookie } })))!;
    expect(out.status).toBe(302);
    // No fixed window: the invalidation message drops b's copy (a round trip, milliseconds).
    expect(await until(() => stores[1].peek(sid) === undefined, 1000)).toBe(true);
    expect(b.peekSession({ cookie, url })?.context ?? null).toBeNull();
    expect((await b.session({ cookie, url })).context).toBeNull();
    // And it never comes back: nothing repopulates an ended session.
    await wait(50);
    expect(stores[1].peek(sid)).toBeUndefined();
  });

  it("another instance's refresh replaces the copy here: the rotated token, one token call", async () => {
    const { a, b, stores, prefix } = pair(short);
    const cookie = await login(a);
    const sid = await sidUnder(prefix);
    await warm(b, stores[1], cookie, sid);
    const before = stores[1].peek(sid)!.accessToken;
    await wait(2500); // accessTokenTtl 62 s, refreshSkewSeconds 60: now due
    expect(stores[1].peek(sid)?.accessToken).toBe(before); // still held: only a change drops it
    short.resetStats();
    const refreshed = (await a.session({ cookie, url })).context!.accessToken;
    expect(refreshed).not.toBe(before);
    expect(await until(() => stores[1].peek(sid) === undefined, 1000)).toBe(true);
    expect((await b.session({ cookie, url })).context!.accessToken).toBe(refreshed);
    expect(stores[1].peek(sid)?.accessToken).toBe(refreshed);
    expect(short.stats().token.refresh_token ?? 0).toBe(1);
  });

  it('a change made outside smart-launch (redis-cli DEL) is seen too', async () => {
    const { prefix, store, a, cookie, sid } = await signedIn('del');
    await client().del(prefix + sid);
    expect(await until(() => store.peek(sid) === undefined, 1000)).toBe(true);
    expect((await a.session({ cookie, url })).context).toBeNull();
  });

  it("honours the client's own keyPrefix (ioredis prefixes every key it sends)", async () => {
    const keyPrefix = newPrefix('kp');
    const store = new RedisStore({ client: client({ keyPrefix }), prefix: 'sess:' });
    const a = make(store);
    const cookie = await login(a);
    const sid = await sidUnder(`${keyPrefix}sess:`);
    await warm(a, store, cookie, sid);
    await client().del(`${keyPrefix}sess:${sid}`);
    expect(await until(() => store.peek(sid) === undefined, 1000)).toBe(true);
    expect((await a.session({ cookie, url })).context).toBeNull();
  });

  it('serves nothing from memory while its connection is down, and hears changes again once it is back', async () => {
    const { prefix, store, a, cookie, sid } = await signedIn('kill');
    const id = idOf((await trackingConnections(prefix))[0]);
    expect(id).toBeDefined();
    await client().call('CLIENT', 'KILL', 'ID', id!);
    // Messages sent while it was away are lost: every copy went with the connection.
    expect(await until(() => store.peek(sid) === undefined, 1000)).toBe(true);
    await warm(a, store, cookie, sid);
    // The new connection tracks again: a change made now is heard.
    await client().del(prefix + sid);
    expect(await until(() => store.peek(sid) === undefined, 1000)).toBe(true);
  });

  it('closes its connection with the client (quit), so the process can exit; reads after that still go to Redis', async () => {
    const own = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const { prefix, store, sid } = await signedIn('quit', own);
    const names = async () => (await trackingConnections(prefix)).length;
    expect(await names()).toBe(1);
    await own.quit();
    expect(await until(() => store.peek(sid) === undefined, 1000)).toBe(true);
    let left = 1;
    for (const end = Date.now() + 2000; Date.now() < end && left; await wait(20)) left = await names();
    expect(left).toBe(0);
    // The client is closed: a read fails as Redis reads do, never from a stale copy.
    await expect(store.get(sid)).rejects.toThrow();
    expect(store.peek(sid)).toBeUndefined();
  });

  it('a client closed before the store is made, or before its first read, never opens the extra connection', async () => {
    const prefix = newPrefix('closed');
    const own = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const before = new RedisStore({ client: own, prefix });
    await own.quit();
    await until(() => own.status === 'end');
    const duplicate = vi.spyOn(own, 'duplicate');
    const store = new RedisStore({ client: own, prefix });
    await expect(before.get('x')).rejects.toThrow();
    await expect(store.get('x')).rejects.toThrow();
    await wait(50);
    expect(await trackingConnections(prefix)).toEqual([]);
    expect(duplicate).not.toHaveBeenCalled();
  });

  it("the app's client losing its connection drops the copies and restarts tracking (a failover may have moved it)", async () => {
    const { prefix, redis, store, a, cookie, sid } = await signedIn('mainclose');
    const id = idOf((await trackingConnections(prefix))[0]);
    expect(id).toBeDefined();
    await redis.call('CLIENT', 'KILL', 'SKIPME', 'no', 'ID', String(await redis.call('CLIENT', 'ID'))).catch(() => {});
    expect(await until(() => store.peek(sid) === undefined, 1000)).toBe(true);
    await warm(a, store, cookie, sid);
    const now = (await trackingConnections(prefix)).map(idOf);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(id);
  });

  it('tracking: false reads Redis on every request', async () => {
    const prefix = newPrefix('off');
    const store = new RedisStore({ client: client(), prefix, tracking: false });
    const a = make(store);
    const cookie = await login(a);
    const sid = await sidUnder(prefix);
    expect((await a.session({ cookie, url })).context).not.toBeNull();
    await wait(100);
    expect((await a.session({ cookie, url })).context).not.toBeNull();
    expect(store.peek(sid)).toBeUndefined();
    expect(a.peekSession({ cookie, url })).toBeUndefined();
  });
});

/** A scripted invalidation connection: the test decides when it is ready and what it receives. */
class FakeConnection extends EventEmitter implements TrackingConnection {
  calls: string[] = [];
  refuse = false;
  /** Replies to CLIENT TRACKING, in order, before the normal one (an Error is thrown). */
  trackingReplies: (Error | (() => Promise<unknown>))[] = [];
  async call(...args: (string | number)[]): Promise<unknown> {
    this.calls.push(args.join(' '));
    if (this.refuse && args[1] === 'TRACKING') throw replyError('ERR unknown subcommand');
    if (args[1] === 'TRACKING' && this.trackingReplies.length) {
      const next = this.trackingReplies.shift()!;
      if (next instanceof Error) throw next;
      return next();
    }
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
const replyError = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
function fake(options: { keyPrefix?: string } = {}): { redis: TrackingRedis & { override?: Record<string, unknown> }; conn: FakeConnection } {
  const conn = new FakeConnection();
  const redis: TrackingRedis & { override?: Record<string, unknown> } = {
    duplicate: (override) => ((redis.override = override), conn),
    on: () => undefined,
    options,
  };
  return { conn, redis };
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

  it("listens under the client's keyPrefix, on a connection that adds none and resends nothing", async () => {
    const { redis, conn } = fake({ keyPrefix: 'app1:' });
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    await live(cache, conn);
    expect(conn.calls).toContain('CLIENT TRACKING ON REDIRECT 7 BCAST PREFIX app1:p:');
    expect(redis.override).toMatchObject({ keyPrefix: '', autoResendUnfulfilledCommands: false, enableOfflineQueue: false, autoResubscribe: false });
    cache.settle('a', cache.ticket('a'), 'A');
    cache.settle('b', cache.ticket('b'), 'B');
    conn.invalidate(['p:b']); // not ours: the same name without the client's prefix
    expect(cache.get('b')).toBe('B');
    conn.invalidate(['app1:p:a']);
    expect(cache.get('a')).toBeUndefined();
  });

  it('a connection that drops during its set-up is not taken for a refusal: no warning, live once back', async () => {
    const { redis, conn } = fake();
    const warn = vi.fn();
    const cache = new InvalidationCache<string>(redis, 'p:', warn);
    // The first CLIENT TRACKING is answered after the connection closed, with an error.
    conn.trackingReplies.push(async () => {
      conn.emit('close');
      throw replyError('ERR something from a dead connection');
    });
    cache.ticket('boot');
    conn.emit('ready');
    await wait(20);
    expect(cache.live).toBe(false);
    conn.emit('ready');
    expect(await until(() => cache.live, 500)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('a set-up overtaken by a disconnect does not go live on the old connection', async () => {
    const { redis, conn } = fake();
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    let answer!: () => void;
    conn.trackingReplies.push(() => new Promise((r) => (answer = () => r('OK'))));
    cache.ticket('boot');
    conn.emit('ready');
    await until(() => answer !== undefined, 500);
    conn.emit('close');
    answer();
    await wait(20);
    expect(cache.live).toBe(false);
  });

  it('a busy or loading server is asked again later, without a warning', async () => {
    const { redis, conn } = fake();
    const warn = vi.fn();
    const cache = new InvalidationCache<string>(redis, 'p:', warn);
    conn.trackingReplies.push(replyError('BUSY Redis is busy running a script'));
    cache.ticket('boot');
    conn.emit('ready');
    // Tracking may be half set up on that connection: it starts again on a new one.
    expect(await until(() => conn.reconnects === 1, 2000)).toBe(true);
    expect(cache.live).toBe(false);
    conn.emit('ready');
    expect(await until(() => cache.live, 500)).toBe(true);
    expect(conn.calls.filter((c) => c.startsWith('CLIENT TRACKING'))).toHaveLength(2);
    expect(warn).not.toHaveBeenCalled();
    cache.stop();
  });

  it('a logger that throws does not turn a refusal into an unhandled rejection', async () => {
    const { redis, conn } = fake();
    conn.refuse = true;
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const cache = new InvalidationCache<string>(redis, 'p:', () => {
        throw new Error('logger down');
      });
      cache.ticket('a');
      conn.emit('ready');
      await wait(50);
      expect(cache.live).toBe(false);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('RedisStore: a read that fails or finds nothing leaves no pending ticket behind', async () => {
    const { redis, conn } = fake();
    let reply: () => Promise<string | null> = async () => null;
    const store = new RedisStore({
      client: Object.assign(redis, { get: () => reply(), set: async () => 'OK', del: async () => 1, eval: async () => 0 }),
      prefix: 'p:',
    });
    await store.get('warmup'); // starts the connection
    conn.emit('ready');
    reply = async () => JSON.stringify({ v: 1, sid: 'kept' });
    expect(await until(() => (void store.get('kept'), store.peek('kept') !== undefined), 500)).toBe(true); // live
    reply = async () => null;
    for (let i = 0; i < 5; i++) await store.get(`missing${i}`);
    reply = async () => Promise.reject(new Error('Connection is closed.'));
    for (let i = 0; i < 5; i++) await expect(store.get(`failed${i}`)).rejects.toThrow();
    reply = async () => 'not a sealed value';
    for (let i = 0; i < 5; i++) await expect(store.get(`garbled${i}`)).rejects.toThrow();
    expect(store.pendingReads).toBe(0);
  });

  it('a timeout during set-up starts again on a new connection rather than waiting forever', async () => {
    const { redis, conn } = fake();
    const warn = vi.fn();
    const cache = new InvalidationCache<string>(redis, 'p:', warn);
    conn.trackingReplies.push(new Error('Command timed out'));
    cache.ticket('boot');
    conn.emit('ready');
    expect(await until(() => conn.reconnects === 1, 2000)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
    cache.stop();
  });

  it('a connection that gave up reconnecting is replaced at the next read', async () => {
    let made = 0;
    const conns: FakeConnection[] = [];
    const redis: TrackingRedis = { duplicate: () => (made++, conns.push(new FakeConnection()), conns.at(-1)!), on: () => undefined };
    const cache = new InvalidationCache<string>(redis, 'p:', () => {});
    cache.ticket('a');
    conns[0]!.emit('ready');
    expect(await until(() => cache.live, 500)).toBe(true);
    conns[0]!.emit('close');
    conns[0]!.emit('end');
    cache.ticket('a');
    expect(made).toBe(2);
    conns[1]!.emit('ready');
    expect(await until(() => cache.live, 500)).toBe(true);
    cache.stop();
  });

  it('stop() removes its listeners from the client', () => {
    const client = new EventEmitter();
    const cache = new InvalidationCache<string>(Object.assign(client, { duplicate: () => new FakeConnection() }) as unknown as TrackingRedis, 'p:', () => {});
    expect(client.listenerCount('end') + client.listenerCount('close')).toBe(2);
    cache.stop();
    expect(client.listenerCount('end') + client.listenerCount('close')).toBe(0);
  });

  it('RedisStore: a non-ioredis client, a cluster or a replica is not tracked; tracking: true then says why', () => {
    const plain = { get: async () => null, set: async () => 'OK', del: async () => 1, eval: async () => 0 };
    expect(new RedisStore({ client: plain }).peek('x')).toBeUndefined();
    expect(() => new RedisStore({ client: plain, tracking: true })).toThrow(/tracking: true/);
    expect(() => new RedisStore({ client: Object.assign({ duplicate: () => ({}), isCluster: true }, plain), tracking: true })).toThrow(/cluster/);
    expect(() => new RedisStore({ client: Object.assign({ duplicate: () => ({}), options: { role: 'slave' } }, plain), tracking: true })).toThrow(/replica/);
  });
});
