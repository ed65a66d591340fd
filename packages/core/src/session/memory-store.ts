import type { SessionData, SessionStore } from './types.js';

/** In-process session store: for one instance, development and tests. Expired entries are pruned. */
export class MemoryStore implements SessionStore {
  readonly #data = new Map<string, { data: SessionData; expires: number }>();
  readonly #maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  async get(sid: string): Promise<SessionData | undefined> {
    const hit = this.#data.get(sid);
    if (!hit) return undefined;
    if (hit.expires <= Date.now()) {
      this.#data.delete(sid);
      return undefined;
    }
    return structuredClone(hit.data);
  }

  async set(sid: string, data: SessionData, ttlSeconds: number): Promise<void> {
    this.#data.delete(sid);
    if (this.#data.size >= this.#maxEntries) {
      const oldest = this.#data.keys().next().value;
      if (oldest !== undefined) this.#data.delete(oldest);
    }
    this.#data.set(sid, { data: structuredClone(data), expires: Date.now() + ttlSeconds * 1000 });
  }

  async delete(sid: string): Promise<void> {
    this.#data.delete(sid);
  }

  readonly #locks = new Map<string, number>();

  /** In-process lock, so several smart instances sharing this store refresh a session once. */
  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const now = Date.now();
    const held = this.#locks.get(key);
    if (held !== undefined && held > now) return undefined;
    const until = now + ttlMs;
    this.#locks.set(key, until);
    return async () => {
      if (this.#locks.get(key) === until) this.#locks.delete(key);
    };
  }

  get size(): number {
    return this.#data.size;
  }
}
