import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { unsealData } from 'iron-session';

/** `s2.<key id>.<base64url(iv | ciphertext | tag)>`: AES-256-GCM; the prefix is authenticated too. */
const SEAL = /^s2\.(\d{1,10})\.([A-Za-z0-9_-]{40,})$/;
/** iron-session's format (read only, for seals written before v2): every byte pinned. */
const IRON = /^Fe26\.2\*\d{1,10}\*[0-9a-f]{64}\*[A-Za-z0-9_-]{22}\*[A-Za-z0-9_-]+\*\d*\*[0-9a-f]{64}\*[A-Za-z0-9_-]{43}~2$/;
/** An unsealed payload is never inflated past this (the ciphertext is ours, but be safe). */
const MAX_PLAINTEXT = 1024 * 1024;

export interface SealOptions {
  /**
   * Deflate before encrypting (smaller cookies). Only for values that hold nothing a client can
   * choose (sessions): compression next to attacker-chosen text leaks through length (CRIME).
   */
  compress?: boolean;
}

/**
 * Authenticated encryption of cookie payloads: AES-256-GCM (NIST SP 800-38D) under a key derived
 * with HKDF-SHA256 (RFC 5869) from each session secret. The whole sealed string is authenticated:
 * the version and key id are the GCM additional data, the base64url must be canonical, and
 * nothing may follow it. Key rotation: the first secret seals, every listed secret unseals. Each
 * secret gets a stable id derived from its hash, so reordering the list never breaks cookies.
 * Seals written by earlier versions (iron, via iron-session) are still read, strictly.
 *
 * `Sealer.unseal` caches verified results by sealed value (bounded LRU, honouring the seal's own
 * expiry), so the hot path decrypts a cookie once per process.
 */
export class Sealer {
  readonly #sealId: string;
  readonly #keys: Map<string, Buffer>;
  readonly #ironPasswords: Record<string, string>;
  // Keyed by the seal's tail (its GCM tag): hashing a whole 2-4 KB cookie on every request is the
  // dominant cost otherwise. A hit is only used when the full sealed string is identical.
  readonly #cache = new Map<string, { sealed: string; value: unknown; expires: number }>();
  readonly #cacheSize: number;

  constructor(secrets: string[], options: { cacheSize?: number } = {}) {
    const id = (s: string) => String(parseInt(createHash('sha256').update(s).digest('hex').slice(0, 8), 16));
    this.#sealId = id(secrets[0]!);
    // RFC 5869: one 256-bit key per secret, bound to this use by salt and info.
    this.#keys = new Map(secrets.map((s) => [id(s), Buffer.from(hkdfSync('sha256', s, 'smart-launch/seal', 's2 aes-256-gcm', 32))]));
    this.#ironPasswords = Object.fromEntries(secrets.map((s) => [id(s), s]));
    this.#cacheSize = options.cacheSize ?? 10_000;
  }

  async seal(value: object, ttlSeconds: number, options: SealOptions = {}): Promise<string> {
    const json = Buffer.from(JSON.stringify({ e: Math.floor(Date.now() / 1000) + Math.max(1, Math.floor(ttlSeconds)), d: value }));
    // One flag byte: 1 = deflated, 0 = plain JSON.
    const plain = options.compress ? Buffer.concat([Buffer.of(1), deflateRawSync(json, { level: 9 })]) : Buffer.concat([Buffer.of(0), json]);
    const head = `s2.${this.#sealId}`;
    // NIST SP 800-38D 8.2.2: a fresh random 96-bit IV per seal.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#sealId)!, iv);
    cipher.setAAD(Buffer.from(head));
    const body = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return `${head}.${body.toString('base64url')}`;
  }

  /** Decrypts and checks a v2 seal; undefined unless every byte is as this Sealer wrote it. */
  #open(sealed: string): { value: Record<string, unknown>; expires: number } | undefined {
    const m = SEAL.exec(sealed);
    if (!m) return undefined;
    const key = this.#keys.get(m[1]!);
    if (!key) return undefined;
    const body = Buffer.from(m[2]!, 'base64url');
    // Canonical base64url only: no second spelling of the same bytes is accepted.
    if (body.toString('base64url') !== m[2] || body.length < 12 + 1 + 16) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
      decipher.setAAD(Buffer.from(`s2.${m[1]}`));
      decipher.setAuthTag(body.subarray(body.length - 16));
      const plain = Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]);
      const json = plain[0] === 1 ? inflateRawSync(plain.subarray(1), { maxOutputLength: MAX_PLAINTEXT }) : plain[0] === 0 ? plain.subarray(1) : undefined;
      if (!json) return undefined;
      const { e, d } = JSON.parse(json.toString('utf8')) as { e?: unknown; d?: unknown };
      if (typeof e !== 'number' || e <= Date.now() / 1000) return undefined;
      return d && typeof d === 'object' ? { value: d as Record<string, unknown>, expires: e * 1000 } : undefined;
    } catch {
      return undefined;
    }
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
    let value: Record<string, unknown> | undefined;
    // Never cache past the seal's own expiry, nor longer than 5 minutes.
    let expires = now + Math.min(ttlSeconds * 1000, 5 * 60_000);
    if (sealed.startsWith('s2.')) {
      const opened = this.#open(sealed);
      value = opened?.value;
      if (opened) expires = Math.min(expires, opened.expires);
    } else if (IRON.test(sealed)) {
      try {
        value = await unsealData<Record<string, unknown>>(sealed, { password: this.#ironPasswords, ttl: ttlSeconds });
      } catch {
        return undefined;
      }
    }
    // iron-session answers {} for a bad or expired seal.
    if (!value || typeof value !== 'object' || Object.keys(value).length === 0) return undefined;
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(sealed.slice(-64), { sealed, value, expires });
    return value as T;
  }

  forget(sealed: string): void {
    if (this.#cache.get(sealed.slice(-64))?.sealed === sealed) this.#cache.delete(sealed.slice(-64));
  }
}
