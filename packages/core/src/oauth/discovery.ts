import { DiscoveryError, ErrorCode } from '../errors.js';
import { isSecureEnough, normalizeBaseUrl } from '../url.js';
import { DEFAULT_MAX_RESPONSE_BYTES, readCapped } from './limits.js';

/**
 * `.well-known/smart-configuration`, unknown fields kept (SMART App Launch 2.2 "Conformance",
 * https://hl7.org/fhir/smart-app-launch/conformance.html: servers may add fields).
 */
export interface SmartConfiguration {
  issuer?: string;
  jwks_uri?: string;
  authorization_endpoint?: string;
  token_endpoint: string;
  token_endpoint_auth_methods_supported?: string[];
  token_endpoint_auth_signing_alg_values_supported?: string[];
  grant_types_supported?: string[];
  registration_endpoint?: string;
  scopes_supported?: string[];
  response_types_supported?: string[];
  management_endpoint?: string;
  introspection_endpoint?: string;
  revocation_endpoint?: string;
  capabilities: string[];
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  [key: string]: unknown;
}

export interface DiscoveryOptions {
  fetch: typeof fetch;
  ttlSeconds: number;
  timeoutMs: number;
  allowInsecureHttp: boolean;
  /** Cap on a discovery document's size (default 1 MiB): bigger answers are refused unread. */
  maxResponseBytes?: number;
}

/** Redirects followed by discovery (each one checked before it is requested). */
const MAX_REDIRECTS = 5;

const ENDPOINT_FIELDS = [
  'authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'management_endpoint',
  'introspection_endpoint', 'revocation_endpoint', 'jwks_uri',
] as const;
const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

/**
 * Discovery with a per-issuer TTL cache. Failures are not cached; concurrent callers for the same
 * issuer share one request. Falls back to the CapabilityStatement oauth-uris extension (SMART v1).
 */
export class Discovery {
  readonly #cache = new Map<string, { value: SmartConfiguration; expires: number }>();
  readonly #inflight = new Map<string, Promise<{ doc: SmartConfiguration; fallback: boolean }>>();
  /** The last document each base answered, kept past its TTL (for the issuer mix-up check). */
  readonly #lastKnown = new Map<string, SmartConfiguration>();
  constructor(private readonly options: DiscoveryOptions) {}

  async get(fhirBaseUrl: string, opts: { capabilityStatementFallback?: boolean } = {}): Promise<SmartConfiguration> {
    const base = normalizeBaseUrl(fhirBaseUrl);
    const hit = this.#cache.get(base);
    if (hit && hit.expires > Date.now()) return hit.value;
    let p = this.#inflight.get(base);
    if (!p) {
      p = this.#load(base, opts.capabilityStatementFallback ?? true).finally(() => this.#inflight.delete(base));
      this.#inflight.set(base, p);
    }
    const { doc, fallback } = await p;
    this.#lastKnown.set(base, doc);
    // A fallback result (v1 CapabilityStatement) is kept briefly: the well-known may come back.
    const ttl = fallback ? Math.min(this.options.ttlSeconds, 60) : this.options.ttlSeconds;
    if (ttl > 0) this.#cache.set(base, { value: doc, expires: Date.now() + ttl * 1000 });
    return doc;
  }

  clear(): void {
    this.#cache.clear();
  }

  /** The last document `fhirBaseUrl` answered in this process, however old; undefined if never. */
  lastKnown(fhirBaseUrl: string): SmartConfiguration | undefined {
    return this.#lastKnown.get(normalizeBaseUrl(fhirBaseUrl));
  }

  /** Every base this process has discovered, with the last document each answered. */
  known(): IterableIterator<[string, SmartConfiguration]> {
    return this.#lastKnown.entries();
  }

  async #load(base: string, fallback: boolean): Promise<{ doc: SmartConfiguration; fallback: boolean }> {
    let firstError: unknown;
    try {
      // SMART App Launch 2.2 Conformance: the document is at `{base}/.well-known/smart-configuration`,
      // appended to the base even when it has a path.
      const doc = await this.#fetchJson(`${base}/.well-known/smart-configuration`);
      return { doc: validate(resolveEndpoints(doc, base), base, this.options.allowInsecureHttp), fallback: false };
    } catch (e) {
      firstError = e;
      // Only a server without the well-known document (4xx, not JSON) is a v1 server; a timeout
      // or a 5xx is an outage, not a reason to downgrade.
      const httpStatus = (e as { httpStatus?: number }).httpStatus;
      const v1 = (e instanceof DiscoveryError && e.code === ErrorCode.DISCOVERY_INVALID) || (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500);
      if (!v1) throw e;
    }
    if (fallback) {
      try {
        const cs = await this.#fetchJson(`${base}/metadata`);
        const doc = fromCapabilityStatement(cs);
        if (doc) return { doc: validate(resolveEndpoints(doc, base), base, this.options.allowInsecureHttp), fallback: true };
      } catch (e) {
        if (e instanceof DiscoveryError && e.code === ErrorCode.INSECURE_ENDPOINT) throw e;
      }
    }
    if (firstError instanceof DiscoveryError) throw firstError;
    throw new DiscoveryError(ErrorCode.DISCOVERY_FAILED, `SMART discovery failed for ${base}`, { cause: firstError, status: 502 });
  }

  async #fetchJson(url: string): Promise<Record<string, unknown>> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let res: Response;
    let at = url;
    for (let hop = 0; ; hop++) {
      try {
        // Some EHRs (Epic) answer XML to /metadata without an Accept header (FHIR R4 http.html#mime-type).
        // Redirects are handled here, not by fetch: each Location is checked before it is requested.
        res = await this.options.fetch(at, { headers: { accept: 'application/json, application/fhir+json;q=0.9' }, redirect: 'manual', signal });
      } catch (e) {
        const timeout = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
        throw new DiscoveryError(timeout ? ErrorCode.TIMEOUT : ErrorCode.DISCOVERY_FAILED, `SMART discovery failed: ${url} ${timeout ? 'timed out' : 'is unreachable'}`, { cause: e, status: 502 });
      }
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (location === null) break;
      await res.body?.cancel().catch(() => {});
      let next: string;
      try {
        next = new URL(location, at).href;
      } catch {
        throw new DiscoveryError(ErrorCode.DISCOVERY_FAILED, `SMART discovery failed: ${url} redirected to an invalid URL`, { status: 502 });
      }
      // SMART app-launch: TLS everywhere. A redirect to plain http off loopback is refused from
      // its Location header alone: no request ever leaves for it.
      if (!isSecureEnough(next, this.options.allowInsecureHttp)) {
        throw new DiscoveryError(ErrorCode.INSECURE_ENDPOINT, `SMART discovery failed: ${url} redirected to a non-https URL`, { status: 502 });
      }
      if (hop >= MAX_REDIRECTS) throw new DiscoveryError(ErrorCode.DISCOVERY_FAILED, `SMART discovery failed: ${url} redirected too many times`, { status: 502 });
      at = next;
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      const err = new DiscoveryError(ErrorCode.DISCOVERY_FAILED, `SMART discovery failed: ${url} answered ${res.status}`, { status: 502 });
      throw Object.assign(err, { httpStatus: res.status });
    }
    // Read streaming, up to the cap: a huge (or endless) document is refused, not buffered.
    const bytes = await readCapped(res, this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, at);
    try {
      const json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
      if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object');
      return json as Record<string, unknown>;
    } catch (e) {
      throw new DiscoveryError(ErrorCode.DISCOVERY_INVALID, `SMART discovery failed: ${url} did not answer a JSON object`, { cause: e, status: 502 });
    }
  }
}

/** Relative endpoint URLs resolve against the FHIR base (RFC 3986 5.2; lenient: SMART wants absolute URLs). */
function resolveEndpoints(doc: Record<string, unknown>, base: string): Record<string, unknown> {
  const out = { ...doc };
  for (const f of ENDPOINT_FIELDS) {
    const v = out[f];
    if (typeof v === 'string' && v) {
      try {
        out[f] = new URL(v, `${base}/`).href;
      } catch {
        delete out[f];
      }
    }
  }
  return out;
}

function validate(doc: Record<string, unknown>, base: string, allowInsecure: boolean): SmartConfiguration {
  if (typeof doc.token_endpoint !== 'string') {
    throw new DiscoveryError(ErrorCode.DISCOVERY_INVALID, `SMART configuration of ${base} has no token_endpoint`, { status: 502 });
  }
  for (const f of ENDPOINT_FIELDS) {
    const v = doc[f];
    // SMART: TLS everywhere; http only on loopback (development) unless dangerously allowed.
    if (typeof v === 'string' && !isSecureEnough(v, allowInsecure)) {
      throw new DiscoveryError(ErrorCode.INSECURE_ENDPOINT, `SMART configuration of ${base}: ${f} is not https`, { status: 502 });
    }
  }
  const capabilities = Array.isArray(doc.capabilities) ? doc.capabilities.filter((c): c is string => typeof c === 'string') : [];
  const methods = doc.code_challenge_methods_supported;
  return {
    ...doc,
    token_endpoint: doc.token_endpoint,
    capabilities,
    // SMART 2.0: servers SHALL support S256; we always send it, even to servers that don't say.
    code_challenge_methods_supported: Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : ['S256'],
  } as SmartConfiguration;
}

/**
 * SMART v1: `rest.security.extension[oauth-uris]` of the CapabilityStatement
 * (SMART App Launch 1.0, http://hl7.org/fhir/smart-app-launch/1.0.0/conformance/).
 */
export function fromCapabilityStatement(cs: Record<string, unknown>): Record<string, unknown> | undefined {
  const rest = Array.isArray(cs.rest) ? (cs.rest as Record<string, unknown>[]) : [];
  for (const r of rest) {
    const security = r?.security as { extension?: { url?: string; extension?: { url?: string; valueUri?: string }[] }[] } | undefined;
    const ext = security?.extension?.find((e) => e?.url === OAUTH_URIS);
    if (!ext?.extension) continue;
    const uri = (name: string) => ext.extension!.find((e) => e?.url === name)?.valueUri;
    // A server known only by its CapabilityStatement is a SMART v1 server: v1 scopes (permission-v1).
    const doc: Record<string, unknown> = { capabilities: ['launch-ehr', 'launch-standalone', 'client-public', 'client-confidential-symmetric', 'permission-v1'] };
    const map = { authorize: 'authorization_endpoint', token: 'token_endpoint', register: 'registration_endpoint', manage: 'management_endpoint', introspect: 'introspection_endpoint', revoke: 'revocation_endpoint' } as const;
    for (const [k, f] of Object.entries(map)) if (uri(k)) doc[f] = uri(k);
    return doc.token_endpoint ? doc : undefined;
  }
  return undefined;
}

export function hasCapability(doc: SmartConfiguration, capability: string): boolean {
  return doc.capabilities.includes(capability);
}

/**
 * Reads a FHIR server's SMART configuration once, uncached (tools, diagnostics):
 * `{base}/.well-known/smart-configuration`, else the v1 CapabilityStatement oauth-uris extension
 * (SMART App Launch 2.2, "Conformance", https://hl7.org/fhir/smart-app-launch/conformance.html).
 */
export function discover(
  fhirBaseUrl: string,
  options: Partial<Omit<DiscoveryOptions, 'ttlSeconds'>> & { capabilityStatementFallback?: boolean } = {},
): Promise<SmartConfiguration> {
  const { capabilityStatementFallback, ...rest } = options;
  const discovery = new Discovery({ fetch: (i, init) => fetch(i, init), timeoutMs: 10_000, allowInsecureHttp: false, ...rest, ttlSeconds: 0 });
  return discovery.get(fhirBaseUrl, { capabilityStatementFallback });
}
