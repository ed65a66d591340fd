import { randomBytes } from 'node:crypto';
import type { ResolvedConfig } from '../config.js';
import { clearChunked, cookieHeaderBytes, getCookie, readChunked, readChunkedHeader, writeChunked, type CookieOptions } from './cookies.js';
import { newLaunchHandle, slotCookieName, slotHandles } from './launch-handle.js';
import { ErrorCode, SessionError } from '../errors.js';
import type { Sealer } from './seal.js';
import type { SessionData } from './types.js';

export interface LoadedSession {
  data: SessionData;
  /** True when what the browser sent is older than what this process knows: re-send the cookie. */
  stale: boolean;
}

/** A sealed blob is a session only with this shape (a sealed transaction or id is not). */
function isSession(x: unknown): x is SessionData {
  const d = x as SessionData | undefined;
  return !!d && d.v === 1 && typeof d.sid === 'string' && typeof d.accessToken === 'string' && typeof d.createdAt === 'number';
}

/**
 * Reads and writes sessions, one slot per launch (ADR 0008): slot `h` lives in the cookie
 * `<cookieName>~<h>` (chunks `.1`, `.2`...). Cookie mode: the whole SessionData is sealed into
 * it. Store mode: it carries only the sealed `{ sid, slot }`; the data lives in the store. A slot
 * cookie whose sealed slot is another one is refused (no session under another launch's name).
 *
 * In cookie mode a refresh rotates tokens while other requests may still carry the old cookie, so
 * the newest revision of each session seen by this process is remembered (bounded) and wins; an
 * ended session is remembered as null so its old cookies can't come back in this process.
 */
export class SessionManager {
  readonly #latest = new Map<string, SessionData | null>();
  readonly #latestMax = 10_000;
  /**
   * Store mode with `session.storeCacheMs` > 0: what this process last read from or wrote to the
   * store, per sid, and when (read start), for the synchronous hot path only. null: this process
   * ended the session (a read that started before the delete can't bring it back). Bounded LRU.
   */
  readonly #stored = new Map<string, { data: SessionData | null; at: number }>();
  #warnedChunks = false;

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

  /** Seconds left of the session's absolute lifetime (`session.maxAge` from login). */
  remaining(data: SessionData): number {
    return data.createdAt + this.cfg.session.maxAge - Math.floor(Date.now() / 1000);
  }

  /** The newest revision this process knows: data, null when ended, undefined when unknown. */
  latest(sid: string): SessionData | null | undefined {
    return this.#latest.get(sid);
  }

  #pick(data: unknown): LoadedSession | undefined {
    if (!isSession(data) || this.remaining(data) <= 0) return undefined;
    const newer = this.#latest.get(data.sid);
    if (newer === null) return undefined;
    if (newer && newer.rev > data.rev) return { data: newer, stale: true };
    return { data, stale: false };
  }

  /**
   * The hot path: a cookie-mode session this process has already verified, without any await.
   * Returns null when there is no session cookie, undefined when the slow path must decide.
   */
  peek(cookieHeader: string, slot: string): LoadedSession | null | undefined {
    const { store, storeCacheMs } = this.cfg.session;
    const name = this.cookieName(slot);
    const sealed = readChunkedHeader(name, cookieHeader);
    // Null only when the slot has no cookie at all. An empty one, or chunks we did not write:
    // the slow path refuses it and clears it.
    if (!sealed) return getCookie(cookieHeader, name) === undefined && !cookieHeader.includes(`${name}.`) ? null : undefined;
    if (store) return store.peek || storeCacheMs > 0 ? this.#peekStored(sealed, slot, storeCacheMs) : undefined;
    const data = this.sealer.peek<SessionData>(sealed);
    return data && data.slot === slot ? this.#pick(data) : undefined;
  }

  /**
   * Store mode: the session a verified id cookie names, from the store's own current copy
   * (`store.peek`, e.g. RedisStore's invalidated cache), else from this process's recent store
   * reads (at most `storeCacheMs` old). Undefined sends the request to the slow path, which reads
   * the store (and the refresh path always reads it under the lock, never from here).
   */
  #peekStored(sealed: string, slot: string, maxAgeMs: number): LoadedSession | undefined {
    const ref = this.sealer.peek<{ sid?: unknown; slot?: unknown }>(sealed);
    if (!ref || typeof ref.sid !== 'string' || ref.slot !== slot) return undefined;
    const current = this.cfg.session.store?.peek?.(ref.sid);
    if (current !== undefined) {
      // An end this process made wins over a copy the invalidation has not reached yet.
      if (!isSession(current) || current.sid !== ref.sid || this.#stored.get(ref.sid)?.data === null) return undefined;
      return current.slot === slot && this.remaining(current) > 0 ? { data: current, stale: false } : undefined;
    }
    if (maxAgeMs <= 0) return undefined;
    const hit = this.#stored.get(ref.sid);
    if (!hit?.data || Date.now() - hit.at > maxAgeMs) return undefined;
    const data = hit.data;
    return data.slot === slot && this.remaining(data) > 0 ? { data, stale: false } : undefined;
  }

  /**
   * Records a store read (started at `at`), or this process's own write (data) or end (null), for
   * `#peekStored`. A read never replaces a newer revision nor an end this process made.
   */
  #noteStored(sid: string, data: SessionData | null, at: number, read = false): void {
    if (this.cfg.session.storeCacheMs <= 0) return;
    const cur = this.#stored.get(sid);
    if (read && cur && (cur.data === null || cur.data.rev > data!.rev)) return;
    this.#stored.delete(sid);
    if (this.#stored.size >= this.#latestMax) this.#stored.delete(this.#stored.keys().next().value!);
    this.#stored.set(sid, { data, at });
  }

  /** The session of slot `slot`, or undefined (absent, forged, expired, ended, another slot's). */
  async load(cookies: Map<string, string>, slot: string): Promise<LoadedSession | undefined> {
    const sealed = readChunked(this.cookieName(slot), cookies);
    if (!sealed) return undefined;
    const ttl = this.cfg.session.maxAge;
    const store = this.cfg.session.store;
    if (store) {
      const ref = await this.sealer.unseal<{ sid?: string; slot?: string }>(sealed, ttl);
      if (!ref?.sid || typeof ref.sid !== 'string' || ref.slot !== slot) return undefined;
      const at = Date.now();
      const data = await store.get(ref.sid);
      if (!isSession(data) || data.sid !== ref.sid) {
        // Gone from the store (logout or expiry elsewhere): nothing of it stays cached here.
        if (this.#stored.get(ref.sid)?.data) this.#stored.delete(ref.sid);
        return undefined;
      }
      this.#noteStored(ref.sid, data, at, true);
      return data.slot === slot && this.remaining(data) > 0 ? { data, stale: false } : undefined;
    }
    const data = await this.sealer.unseal<SessionData>(sealed, ttl);
    return data?.slot === slot ? this.#pick(data) : undefined;
  }

  /** The cookie (first chunk) of slot `slot`. */
  cookieName(slot: string): string {
    return slotCookieName(this.name, slot);
  }

  /**
   * Ends the oldest slots of this browser until at most `keep` remain and, in cookie mode, the
   * rest add at most `budget` bytes to the Cookie header. Returns the Set-Cookie values that clear
   * them. A slot that can't be read (forged, expired) counts as the oldest.
   */
  async evict(cookies: Map<string, string>, secure: boolean, keep: number, budget: number): Promise<string[]> {
    const header = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const slots = await Promise.all(slotHandles(header, this.name).map(async (slot) => {
      const prefix = `${this.cookieName(slot)}.`;
      let bytes = 0;
      for (const [k, v] of cookies) if (k === this.cookieName(slot) || k.startsWith(prefix)) bytes += k.length + v.length + 3;
      const loaded = await this.load(cookies, slot).catch(() => undefined);
      return { slot, bytes, data: loaded?.data };
    }));
    slots.sort((a, b) => (a.data?.createdAt ?? -1) - (b.data?.createdAt ?? -1));
    let total = slots.reduce((n, s) => n + s.bytes, 0);
    const out: string[] = [];
    for (let i = 0; i < slots.length && (slots.length - i > keep || total > budget); i++) {
      const s = slots[i]!;
      out.push(...(await this.destroy(s.data, cookies, secure, s.slot)));
      total -= s.bytes;
    }
    return out;
  }

  /** Set-Cookie values clearing the single pre-slot cookie (`<cookieName>`, chunks), if present (ADR 0008). */
  clearLegacy(cookies: Map<string, string>, secure: boolean): string[] {
    for (const k of cookies.keys()) {
      if (k === this.name || (k.startsWith(`${this.name}.`) && /^\d+$/.test(k.slice(this.name.length + 1)))) return clearChunked(this.name, cookies, this.cookieOptions(secure));
    }
    return [];
  }

  /**
   * A new session (login): persists it and returns the Set-Cookie values to send. Cookie mode:
   * a session over `session.maxCookieBytes` is not written (SessionError `session_too_large`,
   * whose `clearCookies` end any session cookies the browser has).
   */
  async save(data: SessionData, cookies: Map<string, string>, secure: boolean): Promise<string[]> {
    const ttl = Math.max(60, this.remaining(data));
    data.slot ??= newLaunchHandle();
    if (this.cfg.session.store) {
      await this.persist(data);
      return writeChunked(this.cookieName(data.slot), await this.sealer.seal({ sid: data.sid, slot: data.slot }, ttl), cookies, { ...this.cookieOptions(secure), maxAge: ttl });
    }
    const out = await this.#sessionCookies(data, cookies, secure, ttl);
    if (!out) {
      const err = new SessionError(ErrorCode.SESSION_TOO_LARGE, `The EHR's tokens do not fit in the session cookies (over session.maxCookieBytes = ${this.cfg.session.maxCookieBytes} bytes). Configure session.store (e.g. RedisStore or MemoryStore) to keep sessions on the server.`, { status: 500 });
      throw Object.assign(err, { clearCookies: clearChunked(this.cookieName(data.slot), cookies, this.cookieOptions(secure)) });
    }
    this.#remember(data);
    return out;
  }

  /**
   * Cookie-mode Set-Cookie values for `data`, or undefined when they would add more than
   * `session.maxCookieBytes` to every request (RFC 6265 6.1 leaves limits to browsers; nginx's
   * default header buffer is 8 KB, Node's 16 KB: past them every request fails with 431).
   */
  async #sessionCookies(data: SessionData, cookies: Map<string, string>, secure: boolean, ttl: number): Promise<string[] | undefined> {
    // Sessions hold nothing a client chooses, so compressing them before sealing is safe.
    const out = writeChunked(this.cookieName(data.slot ?? ''), await this.sealer.seal(data, ttl, { compress: true }), cookies, { ...this.cookieOptions(secure), maxAge: ttl });
    const bytes = cookieHeaderBytes(out);
    if (bytes > this.cfg.session.maxCookieBytes) {
      this.cfg.logger.error('smart-launch: session too large for cookies; configure session.store', { bytes, maxCookieBytes: this.cfg.session.maxCookieBytes });
      return undefined;
    }
    const chunks = out.length - out.filter((c) => /; Max-Age=0(;|$)/.test(c)).length;
    if (chunks > 1 && !this.#warnedChunks) {
      this.#warnedChunks = true;
      this.cfg.logger.warn(`smart-launch: a session needs ${chunks} cookies (${bytes} bytes sent with every request). Configure session.store (RedisStore, MemoryStore) to keep sessions on the server and send one small cookie.`, { chunks, bytes });
    }
    return out;
  }

  /** Stores a (refreshed) session where it lives: the store, and this process's memory. */
  async persist(data: SessionData): Promise<void> {
    const store = this.cfg.session.store;
    if (store) {
      await store.set(data.sid, data, Math.max(60, this.remaining(data)));
      this.#noteStored(data.sid, data, Date.now());
      return;
    }
    this.#remember(data);
  }

  /**
   * Cookies for data already persisted (refreshed, or a stale cookie caught up). Store mode: none.
   * A refreshed session that no longer fits the cookie budget ends here (its cookies are
   * cleared): writing it would make every later request fail, logout included.
   */
  async cookieFor(data: SessionData, cookies: Map<string, string>, secure: boolean): Promise<string[]> {
    if (this.cfg.session.store) return [];
    const ttl = Math.max(60, this.remaining(data));
    const out = await this.#sessionCookies(data, cookies, secure, ttl);
    if (out) return out;
    this.#set(data.sid, null);
    return clearChunked(this.cookieName(data.slot ?? ''), cookies, this.cookieOptions(secure));
  }

  /** Ends the session of slot `slot` (default: `data`'s): store entry, process memory, cookies. */
  async destroy(data: SessionData | undefined, cookies: Map<string, string>, secure: boolean, slot = data?.slot ?? ''): Promise<string[]> {
    if (data) {
      this.#set(data.sid, null);
      this.#noteStored(data.sid, null, Date.now());
      await this.cfg.session.store?.delete(data.sid);
    }
    const name = this.cookieName(slot);
    const sealed = readChunked(name, cookies);
    if (sealed) this.sealer.forget(sealed);
    return clearChunked(name, cookies, this.cookieOptions(secure));
  }

  #remember(data: SessionData): void {
    if (this.#latest.get(data.sid) === null) return;
    this.#set(data.sid, data);
  }

  #set(sid: string, value: SessionData | null): void {
    this.#latest.delete(sid);
    if (this.#latest.size >= this.#latestMax) this.#latest.delete(this.#latest.keys().next().value!);
    this.#latest.set(sid, value);
  }
}
