import { timingSafeEqual } from 'node:crypto';
import { readChunkedHeader, writeChunked, type CookieOptions } from '../session/cookies.js';
import type { AuthServer } from '../oauth/client.js';
import type { Sealer } from '../session/seal.js';

/** A pending authorization, sealed into its own cookie per state (SMART App Launch step 3 `state`, https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code). */
export interface Transaction {
  state: string;
  codeVerifier: string;
  nonce?: string;
  iss: string;
  as: AuthServer;
  clientId: string;
  redirectUri: string;
  scope: string;
  launch?: string;
  returnTo: string;
  createdAt: number;
}

export const TRANSACTION_TTL_SECONDS = 600;
/** The sealed transaction outlives its validity by this much, so a late callback says "expired". */
const EXPIRED_GRACE_SECONDS = 600;

/** One cookie per state, so parallel tabs/launches don't overwrite each other. */
export function transactionCookieName(sessionCookie: string, state: string): string {
  return `${sessionCookie}_tx_${state.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 22)}`;
}

/** Chunked like the session: a long client_id (athena: 968 chars) plus a JWT launch passes 4 KB. */
export async function sealTransaction(sealer: Sealer, tx: Transaction, name: string, o: CookieOptions): Promise<string[]> {
  const ttl = TRANSACTION_TTL_SECONDS + EXPIRED_GRACE_SECONDS;
  return writeChunked(name, await sealer.seal(tx, ttl), new Map(), { ...o, maxAge: ttl });
}

/** The pending transaction of `state`; 'expired' when it is older than 10 minutes. */
export async function openTransaction(sealer: Sealer, cookieHeader: string | null, name: string, state: string): Promise<Transaction | 'expired' | undefined> {
  const sealed = cookieHeader ? readChunkedHeader(name, cookieHeader) : undefined;
  if (!sealed) return undefined;
  const tx = await sealer.unseal<Transaction>(sealed, TRANSACTION_TTL_SECONDS + EXPIRED_GRACE_SECONDS);
  sealer.forget(sealed);
  if (!tx || typeof tx.state !== 'string') return undefined;
  // SMART app-launch step 4: the state on the redirect must be the one we sent.
  const a = Buffer.from(tx.state);
  const b = Buffer.from(state);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  if (typeof tx.createdAt !== 'number' || Date.now() - tx.createdAt > TRANSACTION_TTL_SECONDS * 1000) return 'expired';
  return tx;
}

/**
 * States already redeemed in this process (RFC 9700 4.2.4: state is single use). The sealed
 * cookie is also deleted on the callback; this catches a replayed callback carrying the old cookie.
 */
export class UsedStates {
  readonly #seen = new Map<string, number>();
  /** Returns false when the state was already used. */
  use(state: string): boolean {
    const now = Date.now();
    // Entries are inserted in expiry order: prune expired ones from the front, and cap the size.
    for (const [k, t] of this.#seen) {
      if (t > now && this.#seen.size < 100_000) break;
      this.#seen.delete(k);
    }
    const t = this.#seen.get(state);
    if (t !== undefined && t > now) return false;
    this.#seen.set(state, now + TRANSACTION_TTL_SECONDS * 1000);
    return true;
  }
}
