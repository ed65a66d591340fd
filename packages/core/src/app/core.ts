import type * as oidc from 'openid-client';
import { findIssuer, resolveConfig, type ResolvedConfig, type ResolvedIssuer, type SmartConfig } from '../config.js';
import { Discovery } from '../oauth/discovery.js';
import { cappedFetch } from '../oauth/limits.js';
import { IssuerGuard } from '../oauth/mix-up.js';
import { importSigningKey, type SigningKey } from '../oauth/keys.js';
import { oauthConfiguration, type AuthServer } from '../oauth/client.js';
import { IdTokenVerifier } from '../oauth/id-token.js';
import { OpenIdDiscovery } from '../oauth/openid-configuration.js';
import type { TokenResponseCapture } from '../oauth/token-response.js';
import { Refresher } from './refresh.js';
import { Sealer } from '../session/seal.js';
import { SessionManager } from '../session/manager.js';
import { UsedStates } from './transaction.js';
import { needsSecureCookies } from '../url.js';

/** Shared state of one `createSmart()` instance: config, caches, keys. Internal. */
export class SmartCore {
  readonly cfg: ResolvedConfig;
  readonly sealer: Sealer;
  readonly discovery: Discovery;
  readonly sessions: SessionManager;
  readonly refresher: Refresher;
  readonly usedStates = new UsedStates();
  readonly idTokens: IdTokenVerifier;
  readonly openid: OpenIdDiscovery;
  /** RFC 9700 4.4: refuses launches whose issuer another allowlisted EHR also claims. */
  readonly issuerGuard: IssuerGuard;
  readonly #keys = new Map<string, Promise<SigningKey[]>>();

  constructor(config: SmartConfig) {
    this.cfg = resolveConfig(config);
    this.sealer = new Sealer(this.cfg.session.secrets);
    this.discovery = new Discovery({
      fetch: this.cfg.fetch,
      ttlSeconds: this.cfg.discoveryTtlSeconds,
      timeoutMs: this.cfg.httpTimeoutMs,
      allowInsecureHttp: this.cfg.allowInsecureHttp,
      maxResponseBytes: this.cfg.maxResponseBytes,
    });
    this.issuerGuard = new IssuerGuard(this.discovery, () => this.cfg.issuers.values(), (m, meta) => this.log('warn', m, meta), () => this.cfg.issuerTemplates);
    // Every body read from the EHR's auth side (JWKS, OpenID configuration) is capped.
    const authFetch = cappedFetch(this.cfg.fetch, this.cfg.maxResponseBytes);
    this.sessions = new SessionManager(this.cfg, this.sealer);
    // Stores that can seal their values at rest use the session secrets.
    const store = this.cfg.session.store as { useSealer?: (s: Sealer) => void; useLogger?: (warn: (m: string) => void) => void } | undefined;
    store?.useSealer?.(this.sealer);
    store?.useLogger?.((m) => this.log('warn', m));
    this.refresher = new Refresher(this);
    this.idTokens = new IdTokenVerifier({ fetch: authFetch, clockToleranceSeconds: this.cfg.clockToleranceSeconds, timeoutMs: this.cfg.httpTimeoutMs, allowInsecureHttp: this.cfg.allowInsecureHttp });
    this.openid = new OpenIdDiscovery({ fetch: authFetch, timeoutMs: this.cfg.httpTimeoutMs, ttlSeconds: this.cfg.discoveryTtlSeconds, allowInsecureHttp: this.cfg.allowInsecureHttp });
  }

  /** Private keys are imported once per issuer; a bad key fails with a ConfigError. */
  keysFor(issuer: ResolvedIssuer): Promise<SigningKey[]> {
    // Keyed by the configured entry: every tenant of a templated issuer shares its keys.
    let p = this.#keys.get(issuer.entry);
    if (!p) {
      p = Promise.all(issuer.privateKeys.map((k) => importSigningKey(k, issuer.alg)));
      p.catch(() => this.#keys.delete(issuer.entry));
      this.#keys.set(issuer.entry, p);
    }
    return p;
  }

  /** `capture`: for grants, collects the id_token and lenient repairs of the token response. */
  oauth(issuer: ResolvedIssuer, keys: SigningKey[], as: AuthServer, capture?: TokenResponseCapture): oidc.Configuration {
    return oauthConfiguration(this.cfg, issuer, keys, as, capture);
  }

  /** Every configured entry: exact issuers, then tenant templates. */
  configuredIssuers(): ResolvedIssuer[] {
    return [...this.cfg.issuers.values(), ...this.cfg.issuerTemplates.map((t) => t.issuer)];
  }

  /** The allowlisted issuer for a FHIR base URL (exact entry, else a tenant template), or undefined. */
  issuer(iss: string): ResolvedIssuer | undefined {
    return findIssuer(this.cfg, iss);
  }

  /** Secure cookies unless the app (baseUrl, else this request) is plain http on loopback. */
  secureCookies(requestUrl: string): boolean {
    return needsSecureCookies(this.cfg.baseUrl ?? requestUrl);
  }

  log(level: 'debug' | 'warn' | 'error', message: string, meta?: Record<string, unknown>): void {
    const l = this.cfg.logger;
    if (level === 'debug') l.debug?.(message, meta);
    else l[level](message, meta);
  }
}
