/**
 * Token responses as real servers send them (ADR 0009: strict on security, lenient on the rest).
 * openid-client sees the response after this filter: the id_token is taken out (verified by
 * `IdTokenVerifier` with SMART's rules, or ignored when not requested), and optional fields some
 * servers get wrong are repaired instead of failing the sign-in or the refresh.
 */

/** What the filter took out of (or noticed in) one token response. */
export interface TokenResponseCapture {
  /** The id_token, if the server sent one (a string). */
  idToken?: string;
  /** Epoch seconds from `expires_at` when the response had no usable `expires_in`. */
  expiresAt?: number;
  /** Lenient repairs made (field names only, never values), for one warning. */
  repairs: string[];
}

export const newCapture = (): TokenResponseCapture => ({ repairs: [] });

const YEAR = 366 * 24 * 3600;

/** A positive number of seconds from a number or a numeric string (RFC 6749 5.1 expires_in). */
function seconds(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Repairs one token response body in place; records what it did in `capture`. */
export function repairTokenBody(body: Record<string, unknown>, capture: TokenResponseCapture, now = Math.floor(Date.now() / 1000)): void {
  if (body.id_token !== undefined) {
    if (typeof body.id_token === 'string' && body.id_token) capture.idToken = body.id_token;
    else capture.repairs.push('id_token');
    delete body.id_token;
  }
  if (body.expires_in !== undefined) {
    // RFC 6749 5.1: expires_in is a number of seconds; strings ("3600", "3599.9") are common.
    const s = seconds(body.expires_in);
    if (s === undefined) {
      capture.repairs.push('expires_in');
      delete body.expires_in;
    } else {
      if (typeof body.expires_in !== 'number') capture.repairs.push('expires_in');
      body.expires_in = s;
    }
  }
  if (body.expires_in === undefined && body.expires_at !== undefined) {
    // Not in RFC 6749, but some servers send an absolute expiry instead: used when plausible.
    const at = seconds(body.expires_at);
    if (at !== undefined && at > now && at < now + YEAR) capture.expiresAt = Math.floor(at);
    else capture.repairs.push('expires_at');
  }
  if (body.token_type === undefined && typeof body.access_token === 'string') {
    // RFC 6749 5.1 requires token_type; SMART access tokens are bearer tokens.
    capture.repairs.push('token_type');
    body.token_type = 'Bearer';
  }
}

/**
 * A fetch that repairs successful JSON answers of `tokenEndpoint` (see `repairTokenBody`) before
 * openid-client reads them. Other URLs and error answers pass through untouched.
 */
export function repairingFetch(base: typeof fetch, tokenEndpoint: string, capture: TokenResponseCapture): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url !== tokenEndpoint || res.status !== 200) return res;
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return rebuild(res, text);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return rebuild(res, text);
    repairTokenBody(body as Record<string, unknown>, capture);
    return rebuild(res, JSON.stringify(body));
  };
}

function rebuild(res: Response, text: string): Response {
  const headers = new Headers(res.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(text, { status: res.status, statusText: res.statusText, headers });
}
