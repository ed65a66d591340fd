import { randomBytes } from 'node:crypto';
import { InvalidationCache, type TrackingRedis } from './redis-tracking.js';
import type { Sealer } from './seal.js';
import type { SessionData, SessionStore } from './types.js';

/** The few commands RedisStore needs, as ioredis names them (node-redis: wrap `set` options). */
export interface RedisLike {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, secondsToken: 'EX', seconds: number): Promise<unknown>;
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number, nx: 'NX'): Promise<unknown>;
  del(key: string): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface RedisStoreOptions {
  client: RedisLike;
  /** Key prefix. Default 'smart:sess:'. */
  prefix?: string;
  // Values are sealed at rest with the session secrets: createSmart hands the store its sealer
  // (useSealer), so tokens never sit in Redis in the clear.
  /**
   * Keep the sessions this process read in memory and drop each the moment Redis reports its key
   * changed (Redis client-side caching, BCAST mode, Redis >= 6), so most requests need no Redis
   * round trip while a logout or refresh on any instance still applies everywhere. Costs one
   * extra connection per store (closed when the client ends). Default: on for an ioredis
   * client (`duplicate()`), not for a cluster; `false` reads Redis on every request.
   */
  tracking?: boolean;
}

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Sessions in Redis, for several app instances. `lock()` (SET NX PX + compare-and-delete release)
 * serialises refreshes of one session across instances (single-use refresh tokens).
 */
export class RedisStore implements SessionStore {
  readonly #client: RedisLike;
  readonly #prefix: string;
  readonly #cache: InvalidationCache<SessionData> | undefined;
  #sealer: Sealer | undefined;
  #warn: (message: string) => void = () => {};

  constructor(options: RedisStoreOptions) {
    if (!options?.client || typeof options.client.get !== 'function') throw new TypeError('RedisStore: `client` must be an ioredis-compatible client');
    this.#client = options.client;
    this.#prefix = options.prefix ?? 'smart:sess:';
    const tracked = options.client as RedisLike & Partial<TrackingRedis> & { options?: { role?: string; readOnly?: boolean } };
    // Reads and invalidations must come from one server: not a cluster, not replicas (Sentinel
    // `role: 'slave'` picks one per connection), whose copies may lag the invalidation.
    const oneServer = !tracked.isCluster && tracked.options?.role !== 'slave' && !tracked.options?.readOnly;
    if (options.tracking !== false && typeof tracked.duplicate === 'function' && oneServer) {
      this.#cache = new InvalidationCache(tracked as TrackingRedis, this.#prefix, (m) => this.#warn(m));
    } else if (options.tracking === true) {
      throw new TypeError('RedisStore: `tracking: true` needs an ioredis client of one primary server (duplicate(); no cluster, no replica)');
    }
  }

  /** Called by createSmart so values are sealed with the session secrets. */
  useSealer(sealer: Sealer): void {
    this.#sealer ??= sealer;
  }

  /** Called by createSmart: where the store's own warnings go. */
  useLogger(warn: (message: string) => void): void {
    this.#warn = warn;
  }

  /**
   * The session as Redis holds it now, from memory, or undefined (not read yet, changed since,
   * or invalidations not being received). Synchronous: the request hot path.
   */
  peek(sid: string): SessionData | undefined {
    return this.#cache?.get(sid);
  }

  /** Reads of this store in flight whose result may be kept in memory (diagnostics). */
  get pendingReads(): number {
    return this.#cache?.pendingReads ?? 0;
  }

  /** Always reads Redis (a refresh reads here under the lock, never from memory). */
  async get(sid: string): Promise<SessionData | undefined> {
    const ticket = this.#cache?.ticket(sid) ?? 0;
    let data: SessionData | undefined;
    try {
      const raw = await this.#client.get(this.#prefix + sid);
      if (!raw) return undefined;
      data = this.#sealer ? await this.#sealer.unseal<SessionData>(raw, 365 * 24 * 3600) : (JSON.parse(raw) as SessionData);
      return data;
    } finally {
      // Kept only when read and unsealed; the ticket is cleared in every case.
      this.#cache?.settle(sid, ticket, data);
    }
  }

  async set(sid: string, data: SessionData, ttlSeconds: number): Promise<void> {
    const value = this.#sealer ? await this.#sealer.seal(data, Math.max(ttlSeconds, 60)) : JSON.stringify(data);
    this.#cache?.drop(sid);
    try {
      await this.#client.set(this.#prefix + sid, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    } finally {
      this.#cache?.drop(sid);
    }
  }

  async delete(sid: string): Promise<void> {
    this.#cache?.drop(sid);
    try {
      await this.#client.del(this.#prefix + sid);
    } finally {
      this.#cache?.drop(sid);
    }
  }

  /** Closes the store's own connection (tracking). The client passed in stays the app's to close. */
  close(): void {
    this.#cache?.stop();
  }

  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const k = `${this.#prefix}lock:${key}`;
    const token = randomBytes(16).toString('hex');
    const ok = await this.#client.set(k, token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
    if (ok !== 'OK') return undefined;
    return async () => {
      await this.#client.eval(RELEASE, 1, k, token);
    };
  }
}
