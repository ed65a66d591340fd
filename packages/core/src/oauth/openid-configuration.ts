/**
 * Where a SMART configuration lacks `issuer` or `jwks_uri` (SMART App Launch 2.2 "Conformance":
 * both are required with `sso-openid-connect`, https://hl7.org/fhir/smart-app-launch/conformance.html),
 * they come from the OpenID Provider's own metadata, `{issuer}/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0 §4, https://openid.net/specs/openid-connect-discovery-1_0.html).
 */
import { normalizeBaseUrl, isSecureEnough } from '../url.js';

export interface OpenIdMetadata {
  issuer: string;
  jwksUri: string;
  /** `id_token_signing_alg_values_supported`. */
  idTokenAlgs?: string[];
}

export interface OpenIdDiscoveryOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  ttlSeconds: number;
  allowInsecureHttp: boolean;
}

const MAX_BYTES = 1024 * 1024;

/** Looks up OpenID Provider metadata; caches answers (not failures) per candidate issuer. */
export class OpenIdDiscovery {
  readonly #cache = new Map<string, { value: OpenIdMetadata | undefined; expires: number }>();
  constructor(private readonly options: OpenIdDiscoveryOptions) {}

  /**
   * The first candidate issuer whose openid-configuration names itself as issuer (OIDC
   * Discovery §4.3), has a jwks_uri, and names the same token endpoint as the SMART
   * configuration (the id_token must come from the server we talk to).
   */
  async find(candidates: string[], tokenEndpoint: string): Promise<OpenIdMetadata | undefined> {
    for (const c of [...new Set(candidates.map(normalizeBaseUrl))]) {
      if (!isSecureEnough(c, this.options.allowInsecureHttp)) continue;
      const hit = this.#cache.get(`${c} ${tokenEndpoint}`);
      if (hit && hit.expires > Date.now()) {
        if (hit.value) return hit.value;
        continue;
      }
      const value = await this.#load(c, tokenEndpoint);
      if (this.options.ttlSeconds > 0 && value) this.#cache.set(`${c} ${tokenEndpoint}`, { value, expires: Date.now() + this.options.ttlSeconds * 1000 });
      if (this.#cache.size > 200) this.#cache.delete(this.#cache.keys().next().value!);
      if (value) return value;
    }
    return undefined;
  }

  async #load(issuer: string, tokenEndpoint: string): Promise<OpenIdMetadata | undefined> {
    let doc: Record<string, unknown>;
    try {
      const res = await this.options.fetch(`${issuer}/.well-known/openid-configuration`, {
        headers: { accept: 'application/json' },
        // A redirect is not followed: the document must live under the issuer itself (§4.1).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (res.status !== 200 || Number(res.headers.get('content-length') ?? 0) > MAX_BYTES) {
        await res.body?.cancel().catch(() => {});
        return undefined;
      }
      const text = await res.text();
      if (text.length > MAX_BYTES) return undefined;
      const json = JSON.parse(text) as unknown;
      if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
      doc = json as Record<string, unknown>;
    } catch {
      return undefined;
    }
    // OIDC Discovery §4.3: the issuer in the document MUST be the one used to find it.
    if (typeof doc.issuer !== 'string' || normalizeBaseUrl(doc.issuer) !== issuer) return undefined;
    if (typeof doc.jwks_uri !== 'string' || !isSecureEnough(doc.jwks_uri, this.options.allowInsecureHttp)) return undefined;
    if (doc.token_endpoint !== tokenEndpoint) return undefined;
    const algs = Array.isArray(doc.id_token_signing_alg_values_supported) ? doc.id_token_signing_alg_values_supported.filter((a): a is string => typeof a === 'string') : undefined;
    return { issuer: doc.issuer, jwksUri: doc.jwks_uri, ...(algs?.length ? { idTokenAlgs: algs } : {}) };
  }
}
