import { createHash } from 'node:crypto';
import { sealData, unsealData } from 'iron-session';

/**
 * Authenticated encryption of cookie payloads (iron: AES-256-CBC + HMAC-SHA256, via iron-session).
 * Key rotation: the first secret seals, every listed secret unseals. Each secret gets a stable id
 * derived from its hash, so reordering the list never breaks existing cookies.
 *
 * Unsealing costs ~0.5 ms (key derivation), too much for every request: `Sealer.unseal` caches
 * verified results by sealed value (bounded LRU, honouring the seal's own expiry).
 */
export class Sealer {
  readonly #sealWith: Record<string, string>;
  readonly #unsealWith: Record<string, string>;
  readonly #cache = new Map<string, { value: unknown; expires: number }>();
  readonly #cacheSize: number;

  constructor(secrets: string[], options: { cacheSize?: number } = {}) {
    const id = (s: string) => String(parseInt(createHash('sha256').update(s).digest('hex').slice(0, 8), 16));
    this.#sealWith = { [id(secrets[0]!)]: secrets[0]! };
    this.#unsealWith = Object.fromEntries(secrets.map((s) => [id(s), s]));
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  async seal(value: object, ttlSeconds: number): Promise<string> {
    return sealData(value, { password: this.#sealWith, ttl: ttlSeconds });
  }

  /** Returns the unsealed object, or undefined when the seal is forged, corrupt or expired. */
  async unseal<T extends object>(sealed: string, ttlSeconds: number): Promise<T | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(sealed);
    if (hit) {
      if (hit.expires > now) return hit.value as T;
      this.#cache.delete(sealed);
    }
    let value: Record<string, unknown>;
    try {
      value = await unsealData<Record<string, unknown>>(sealed, { password: this.#unsealWith, ttl: ttlSeconds });
    } catch {
      return undefined;
    }
    // iron-session answers {} for a bad or expired seal.
    if (!value || typeof value !== 'object' || Object.keys(value).length === 0) return undefined;
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    // iron's own expiry is ttl-based: never cache beyond it (the ttl is checked again on a miss).
    this.#cache.set(sealed, { value, expires: now + Math.min(ttlSeconds * 1000, 5 * 60_000) });
    return value as T;
  }

  forget(sealed: string): void {
    this.#cache.delete(sealed);
  }
}
