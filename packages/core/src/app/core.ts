import type * as oidc from 'openid-client';
import { resolveConfig, type ResolvedConfig, type ResolvedIssuer, type SmartConfig } from '../config.js';
import { Discovery } from '../oauth/discovery.js';
import { IssuerGuard } from '../oauth/mix-up.js';
import { importSigningKey, type SigningKey } from '../oauth/keys.js';
import { oauthConfiguration, type AuthServer } from '../oauth/client.js';
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
    this.issuerGuard = new IssuerGuard(this.discovery, () => this.cfg.issuers.values(), (m, meta) => this.log('warn', m, meta));
    this.sessions = new SessionManager(this.cfg, this.sealer);
    // Stores that can seal their values at rest use the session secrets.
    (this.cfg.session.store as { useSealer?: (s: Sealer) => void } | undefined)?.useSealer?.(this.sealer);
    this.refresher = new Refresher(this);
  }

  /** Private keys are imported once per issuer; a bad key fails with a ConfigError. */
  keysFor(issuer: ResolvedIssuer): Promise<SigningKey[]> {
    let p = this.#keys.get(issuer.iss);
    if (!p) {
      p = Promise.all(issuer.privateKeys.map((k) => importSigningKey(k, issuer.alg)));
      p.catch(() => this.#keys.delete(issuer.iss));
      this.#keys.set(issuer.iss, p);
    }
    return p;
  }

  oauth(issuer: ResolvedIssuer, keys: SigningKey[], as: AuthServer): oidc.Configuration {
    return oauthConfiguration(this.cfg, issuer, keys, as);
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
