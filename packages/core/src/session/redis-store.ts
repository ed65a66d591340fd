import { randomBytes } from 'node:crypto';
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
}

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * Sessions in Redis, for several app instances. `lock()` (SET NX PX + compare-and-delete release)
 * serialises refreshes of one session across instances (single-use refresh tokens).
 */
export class RedisStore implements SessionStore {
  readonly #client: RedisLike;
  readonly #prefix: string;
  #sealer: Sealer | undefined;

  constructor(options: RedisStoreOptions) {
    if (!options?.client || typeof options.client.get !== 'function') throw new TypeError('RedisStore: `client` must be an ioredis-compatible client');
    this.#client = options.client;
    this.#prefix = options.prefix ?? 'smart:sess:';
  }

  /** Called by createSmart so values are sealed with the session secrets. */
  useSealer(sealer: Sealer): void {
    this.#sealer ??= sealer;
  }

  async get(sid: string): Promise<SessionData | undefined> {
    const raw = await this.#client.get(this.#prefix + sid);
    if (!raw) return undefined;
    if (!this.#sealer) return JSON.parse(raw) as SessionData;
    return this.#sealer.unseal<SessionData>(raw, 365 * 24 * 3600);
  }

  async set(sid: string, data: SessionData, ttlSeconds: number): Promise<void> {
    const value = this.#sealer ? await this.#sealer.seal(data, Math.max(ttlSeconds, 60)) : JSON.stringify(data);
    await this.#client.set(this.#prefix + sid, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async delete(sid: string): Promise<void> {
    await this.#client.del(this.#prefix + sid);
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
