import { ErrorCode, SmartError } from '../errors.js';

/** Default cap on a response body read from an EHR (discovery, token, JWKS, registration...). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/** A response body from an EHR (or a JWKS/registration/introspection endpoint) over the cap. */
export class ResponseTooLargeError extends SmartError {
  override readonly name = 'ResponseTooLargeError';
  constructor(url: string, maxBytes: number) {
    // RFC 9700 / RFC 6749 10 leave resource limits to the client: refuse instead of buffering.
    super(ErrorCode.RESPONSE_TOO_LARGE, `The response of ${safeUrl(url)} is larger than ${maxBytes} bytes (maxResponseBytes)`, { status: 502 });
  }
}

/** Origin and path only: a query string may carry a token or a code. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'the server';
  }
}

/**
 * Reads a body as bytes, streaming, and stops (cancelling the stream) as soon as it passes
 * `maxBytes`; a Content-Length over the cap is refused before reading anything.
 */
export async function readCapped(res: Response, maxBytes: number, url = res.url): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new ResponseTooLargeError(url, maxBytes);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ResponseTooLargeError(url, maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Wraps a fetch so every response body is read (streaming, capped) before it is handed on: used
 * as openid-client's `customFetch` and for discovery, registration, introspection and JWKS.
 * Throws ResponseTooLargeError (code `response_too_large`) over the cap.
 */
export function cappedFetch(f: typeof fetch, maxBytes: number = DEFAULT_MAX_RESPONSE_BYTES): typeof fetch {
  return async (input, init) => {
    const res = await f(input, init);
    const url = res.url || (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    // 1xx/204/304 and HEAD answers have no body to cap.
    if (!res.body) return res;
    const body = await readCapped(res, maxBytes, url);
    const out = new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
    // Keep the final URL (discovery checks where redirects ended).
    if (res.url) Object.defineProperty(out, 'url', { value: res.url });
    return out;
  };
}
