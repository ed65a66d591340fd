import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '../config.js';
import { clearChunked, readChunked, readChunkedHeader, writeChunked, type CookieOptions } from '../cookies.js';
import type { Sealer } from '../seal.js';
import type { SessionData } from './types.js';

export interface LoadedSession {
  data: SessionData;
  /** True when what the browser sent is older than what this process knows: re-send the cookie. */
  stale: boolean;
}

/**
 * Reads and writes sessions. Cookie mode: the whole SessionData is sealed into chunked cookies.
 * Store mode: the cookie carries only the sealed session id; the data lives in the store.
 *
 * In cookie mode a refresh rotates tokens while other requests may still carry the old cookie, so
 * the newest revision of each session seen by this process is remembered (bounded) and wins.
 */
export class SessionManager {
  readonly #latest = new Map<string, SessionData | null>();
  readonly #latestMax = 10_000;

  constructor(private readonly cfg: ResolvedConfig, private readonly sealer: Sealer) {}

  cookieOptions(secure: boolean): CookieOptions {
    const s = this.cfg.session;
    return { path: '/', httpOnly: true, secure: s.secure ?? (secure || s.sameSite === 'none'), sameSite: s.sameSite, maxAge: s.maxAge, partitioned: s.sameSite === 'none' };
  }

  get name(): string {
    return this.cfg.session.cookieName;
  }

  newSid(): string {
    return randomBytes(24).toString('base64url');
  }

  /**
   * The hot path: a cookie-mode session this process has already verified, without any await.
   * Returns null when there is no session cookie, undefined when the slow path must decide.
   */
  peek(cookieHeader: string): LoadedSession | null | undefined {
    if (this.cfg.session.store) return undefined;
    const sealed = readChunkedHeader(this.name, cookieHeader);
    if (!sealed) return null;
    const data = this.sealer.peek<SessionData>(sealed);
    if (!data) return undefined;
    const newer = this.#latest.get(data.sid);
    if (newer === null) return undefined;
    if (newer && newer.rev > data.rev) return { data: newer, stale: true };
    return { data, stale: false };
  }

  async load(cookies: Map<string, string>): Promise<LoadedSession | undefined> {
    const sealed = readChunked(this.name, cookies);
    if (!sealed) return undefined;
    const ttl = this.cfg.session.maxAge;
    const store = this.cfg.session.store;
    if (store) {
      const ref = await this.sealer.unseal<{ sid?: string }>(sealed, ttl);
      if (!ref?.sid) return undefined;
      const data = await store.get(ref.sid);
      return data && data.v === 1 ? { data, stale: false } : undefined;
    }
    const data = await this.sealer.unseal<SessionData>(sealed, ttl);
    if (!data || data.v !== 1 || typeof data.sid !== 'string') return undefined;
    const newer = this.#latest.get(data.sid);
    if (newer === null) return undefined;
    if (newer && newer.rev > data.rev) return { data: newer, stale: true };
    return { data, stale: false };
  }

  /** Persists the session and returns the Set-Cookie values to send. */
  async save(data: SessionData, cookies: Map<string, string>, secure: boolean): Promise<string[]> {
    const ttl = this.cfg.session.maxAge;
    const store = this.cfg.session.store;
    this.#remember(data);
    if (store) {
      await store.set(data.sid, data, ttl);
      return writeChunked(this.name, await this.sealer.seal({ sid: data.sid }, ttl), cookies, this.cookieOptions(secure));
    }
    return writeChunked(this.name, await this.sealer.seal(data, ttl), cookies, this.cookieOptions(secure));
  }

  /** Re-sends the cookie for data already persisted (a stale cookie caught up). */
  async cookieFor(data: SessionData, cookies: Map<string, string>, secure: boolean): Promise<string[]> {
    if (this.cfg.session.store) return [];
    return writeChunked(this.name, await this.sealer.seal(data, this.cfg.session.maxAge), cookies, this.cookieOptions(secure));
  }

  async destroy(data: SessionData | undefined, cookies: Map<string, string>, secure: boolean): Promise<string[]> {
    if (data) {
      this.#latest.delete(data.sid);
      // Remember the end of this session so its old cookies can't come back in this process.
      this.#tombstone(data.sid);
      await this.cfg.session.store?.delete(data.sid);
    }
    const sealed = readChunked(this.name, cookies);
    if (sealed) this.sealer.forget(sealed);
    return clearChunked(this.name, cookies, this.cookieOptions(secure));
  }

  isEnded(sid: string): boolean {
    return this.#latest.get(sid) === null;
  }

  #remember(data: SessionData): void {
    if (this.cfg.session.store) return;
    this.#latest.delete(data.sid);
    if (this.#latest.size >= this.#latestMax) this.#latest.delete(this.#latest.keys().next().value!);
    this.#latest.set(data.sid, data);
  }

  #tombstone(sid: string): void {
    if (this.#latest.size >= this.#latestMax) this.#latest.delete(this.#latest.keys().next().value!);
    this.#latest.set(sid, null);
  }
}
