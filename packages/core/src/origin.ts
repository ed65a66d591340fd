/**
 * The one origin policy (used by core `handle()` and every adapter): the app's public origin is
 * `baseUrl` when configured; else the connection's scheme and the `Host` header. `Forwarded`
 * (RFC 7239 section 4) and `X-Forwarded-Proto` / `X-Forwarded-Host` are read only with
 * `trustProxy: true`: any client can send them, so nothing is trusted by default.
 */
export interface OriginPolicy {
  /** Public origin of the app (`https://app.example.com`); wins over everything else. */
  readonly baseUrl?: string;
  /** Read `Forwarded` / `X-Forwarded-*` (set only behind a proxy that overwrites them). */
  readonly trustProxy: boolean;
}

/** What the policy reads from one request. */
export interface OriginSource {
  /** A request header by lower-case name (the first value when repeated). */
  header(name: string): string | null | undefined;
  /** The connection to this server is TLS. */
  readonly encrypted: boolean;
  /** Host when the request has no usable Host header. Default `localhost`. */
  readonly fallbackHost?: string;
}

// RFC 3986 3.2.2 / 3.2.3: reg-name or IP literal, optional port. Anything else is not a host.
const HOST = /^(?:[A-Za-z0-9\-._~%]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

// The first element of a comma-separated header value (no array: this runs on every request).
const first = (v: string | null | undefined): string | undefined => {
  if (!v) return undefined;
  const comma = v.indexOf(',');
  return (comma < 0 ? v : v.slice(0, comma)).trim() || undefined;
};

/** RFC 7239 section 4: `proto` and `host` of the first element (the one the client's request reached). */
export function parseForwarded(value: string | null | undefined): { proto?: string; host?: string } {
  const element = first(value);
  const out: { proto?: string; host?: string } = {};
  if (!element) return out;
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const key = pair.slice(0, eq).trim().toLowerCase();
    const raw = pair.slice(eq + 1).trim();
    const val = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? raw.slice(1, -1) : raw;
    if (key === 'proto' || key === 'host') out[key] = val;
  }
  return out;
}

/** The app's public origin for one request (`https://app.example.com`), per `policy`. */
export function appOrigin(policy: OriginPolicy, source: OriginSource): string {
  if (policy.baseUrl) return policy.baseUrl;
  let proto = source.encrypted ? 'https' : 'http';
  let host = first(source.header('host'));
  if (policy.trustProxy) {
    const fwd = parseForwarded(source.header('forwarded'));
    const p = (fwd.proto ?? first(source.header('x-forwarded-proto')))?.toLowerCase();
    if (p === 'https' || p === 'http') proto = p;
    host = fwd.host ?? first(source.header('x-forwarded-host')) ?? host;
  }
  if (!host || (host !== lastHost && !HOST.test(host))) return `${proto}://${source.fallbackHost ?? 'localhost'}`;
  if (host !== lastHost) {
    lastHost = host;
    lastLower = host.toLowerCase();
  }
  return `${proto}://${lastLower}`;
}

// The last Host that passed the HOST check, and its lower-case form: an app sees one or a few
// Hosts, so the check (a regex) runs once per change of Host, not once per request.
let lastHost = '';
let lastLower = '';

/** The policy's input from a Web `Request` (its URL gives the connection's scheme and a fallback host). */
export function webOriginSource(request: Request): OriginSource {
  const url = new URL(request.url);
  return { header: (name) => request.headers.get(name), encrypted: url.protocol === 'https:', fallbackHost: url.host };
}
