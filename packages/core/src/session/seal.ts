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
  // Keyed by the seal's tail (its HMAC): hashing a whole 2-4 KB cookie on every request is the
  // dominant cost otherwise. A hit is only used when the full sealed string is identical.
  readonly #cache = new Map<string, { sealed: string; value: unknown; expires: number }>();
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

  /** Synchronous cache lookup: the verified value of `sealed`, if this process unsealed it lately. */
  peek<T extends object>(sealed: string): T | undefined {
    const key = sealed.slice(-64);
    const hit = this.#cache.get(key);
    if (!hit) return undefined;
    if (hit.sealed !== sealed) return undefined;
    if (hit.expires <= Date.now()) {
      this.#cache.delete(key);
      return undefined;
    }
    return hit.value as T;
  }

  /** Returns the unsealed object, or undefined when the seal is forged, corrupt or expired. */
  async unseal<T extends object>(sealed: string, ttlSeconds: number): Promise<T | undefined> {
    const now = Date.now();
    const cached = this.peek<T>(sealed);
    if (cached) return cached;
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
    this.#cache.set(sealed.slice(-64), { sealed, value, expires: now + Math.min(ttlSeconds * 1000, 5 * 60_000) });
    return value as T;
  }

  forget(sealed: string): void {
    if (this.#cache.get(sealed.slice(-64))?.sealed === sealed) this.#cache.delete(sealed.slice(-64));
  }
}
