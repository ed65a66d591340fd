/** URL helpers shared by config, discovery and the callback. */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackUrl(url: URL | string): boolean {
  const u = typeof url === 'string' ? new URL(url) : url;
  return LOOPBACK.has(u.hostname) || u.hostname.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
}

/** FHIR base URLs compare without a trailing slash (SMART App Launch step 2: `iss` is the FHIR base URL, https://hl7.org/fhir/smart-app-launch/app-launch.html). */
export function normalizeBaseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Whether cookies for this app URL get `Secure`: always, except plain http on a loopback host
 * (local development). An https app behind a TLS-terminating proxy that forwards plain http
 * therefore still gets Secure cookies.
 */
export function needsSecureCookies(appUrl: string): boolean {
  try {
    const u = new URL(appUrl);
    return !(u.protocol === 'http:' && isLoopbackUrl(u));
  } catch {
    return true;
  }
}

/** `http` is acceptable only on loopback unless explicitly allowed. */
export function isSecureEnough(url: string, allowInsecure: boolean): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && (allowInsecure || isLoopbackUrl(u)));
  } catch {
    return false;
  }
}

/**
 * A post-login / post-logout target must be a same-origin relative path (SMART app-launch: no
 * open redirects; RFC 9700 4.11). Anything else falls back to `fallback`.
 */
export function safeReturnPath(value: string | null | undefined, fallback: string): string {
  if (!value || typeof value !== 'string' || value.length > 2048) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  if (/[\u0000-\u001f\\]/.test(value)) return fallback;
  try {
    const base = new URL('http://x.invalid');
    const u = new URL(value, base);
    if (u.origin !== base.origin) return fallback;
    const out = u.pathname + u.search + u.hash;
    // Dot segments collapse (`/.//evil.example` -> `//evil.example`): check the result too.
    if (out.startsWith('//') || out.startsWith('/\\')) return fallback;
    return out;
  } catch {
    return fallback;
  }
}
