import { matchesTemplate, type IssuerTemplate } from '../config.js';
import { DiscoveryError, ErrorCode, LaunchError, isSmartError } from '../errors.js';
import type { Discovery, SmartConfiguration } from './discovery.js';

/** How long a peer whose discovery failed is not asked again (launches stay fast meanwhile). */
const PEER_FAILURE_BACKOFF_MS = 30_000;

export interface IssuerPeer {
  iss: string;
  capabilityStatementFallback: boolean;
}

/** The authorization-server issuer a FHIR base resolves to (the base itself when none is named). */
export function issuerOf(doc: SmartConfiguration, base: string): string {
  return typeof doc.issuer === 'string' ? doc.issuer : base;
}

/** One real authorization server behind several FHIR bases: same authorize, token and JWKS. */
function sameServer(a: SmartConfiguration, b: SmartConfiguration): boolean {
  return a.authorization_endpoint === b.authorization_endpoint && a.token_endpoint === b.token_endpoint && a.jwks_uri === b.jwks_uri;
}

function originOf(u: unknown): string | undefined {
  try {
    return typeof u === 'string' ? new URL(u).origin : undefined;
  } catch {
    return undefined;
  }
}

function sameOrigin(a: string, b: string): boolean {
  const o = originOf(a);
  return o !== undefined && o === originOf(b);
}

/** Where a document sends the user and the code: its issuer (when it names one), authorize and token endpoint origins. */
function flowOrigins(doc: SmartConfiguration): (string | undefined)[] {
  const endpoints = [originOf(doc.authorization_endpoint), originOf(doc.token_endpoint)];
  return typeof doc.issuer === 'string' ? [originOf(doc.issuer), ...endpoints] : endpoints;
}

/**
 * Mix-up defence for apps that allowlist several EHRs (RFC 9700 4.4; RFC 9207 2.4 only helps
 * when every authorization server has a distinct issuer, RFC 9207 2.3). Before a launch at `iss`,
 * the issuer its discovery claims must not be claimed by another allowlisted FHIR base, unless
 * both documents name the same authorization, token and JWKS endpoints (one AS, several bases).
 *
 * Cost: each other allowlisted base is discovered once per discovery TTL (cached). A peer whose
 * discovery fails is decided from the last document it answered in this process; with none, it
 * blocks the launch only when it is needed to decide: when the claimed issuer is not on the
 * launching base's own origin (an issuer on the base's origin can only belong to its own host).
 */
export class IssuerGuard {
  readonly #failedAt = new Map<string, number>();

  constructor(
    private readonly discovery: Discovery,
    private readonly peers: () => Iterable<IssuerPeer>,
    private readonly log: (message: string, meta: Record<string, unknown>) => void,
    private readonly templates: () => readonly IssuerTemplate[] = () => [],
  ) {}

  async check(iss: string, doc: SmartConfiguration): Promise<void> {
    const claimed = issuerOf(doc, iss);
    const exact = [...this.peers()];
    this.#checkTemplates(iss, doc, claimed, new Set(exact.map((p) => p.iss)));
    const others = exact.filter((p) => p.iss !== iss);
    if (others.length === 0) return;
    const ownOrigin = sameOrigin(claimed, iss);
    await Promise.all(others.map(async (peer) => {
      const other = await this.#peerDoc(peer);
      if (other === undefined) {
        if (ownOrigin) {
          this.log('smart-launch: could not discover another allowlisted EHR for the issuer mix-up check; the launch issuer is on its own origin, going on', { iss, other: peer.iss });
          return;
        }
        throw new DiscoveryError(ErrorCode.DISCOVERY_FAILED, `Cannot check that the authorization server of ${iss} is not another EHR's (RFC 9700 4.4): discovery of ${peer.iss} failed`, { status: 502 });
      }
      if (issuerOf(other, peer.iss) === claimed && !sameServer(doc, other)) {
        throw new LaunchError(ErrorCode.ISSUER_CONFLICT, `The EHRs ${iss} and ${peer.iss} both claim the authorization server issuer ${claimed} with different endpoints; refusing to launch (RFC 9700 4.4 mix-up)`, { status: 502 });
      }
    }));
  }

  /**
   * Tenant templates (RFC 9700 4.4): a template has no base to discover in advance, so
   * 1. every tenant base this process has discovered is a peer (same issuer, other endpoints:
   *    refused; tenants on the launching base's own origin are the same operator and skipped);
   * 2. a template's hosts are its FHIR origin plus the issuer, authorize and token origins of
   *    its discovered tenants. A base that neither fills the template nor is on its origin must
   *    put all of its issuer, authorize and token endpoint on those hosts (one real AS behind
   *    several bases) or none: a split (say another tenant's issuer with its own token endpoint)
   *    would send that tenant's code and PKCE verifier elsewhere. While no tenant was discovered
   *    the AS hosts are unknown, and a base whose issuer, authorize and token endpoint are not on
   *    one origin cannot be cleared: refused until a tenant launch has been seen.
   */
  #checkTemplates(iss: string, doc: SmartConfiguration, claimed: string, exact: Set<string>): void {
    const templates = this.templates();
    if (templates.length === 0) return;
    const own = originOf(iss);
    const conflict = (why: string) =>
      new LaunchError(ErrorCode.ISSUER_CONFLICT, `The authorization server of ${iss} ${why}; refusing to launch (RFC 9700 4.4 mix-up)`, { status: 502 });
    const tenants = [...this.discovery.known()].filter(([base]) => base !== iss && !exact.has(base) && originOf(base) !== own && templates.some((t) => matchesTemplate(t, base)));
    for (const [base, other] of tenants) {
      if (issuerOf(other, base) === claimed && !sameServer(doc, other)) throw conflict(`claims the issuer ${claimed} of the tenant ${base} with different endpoints`);
    }
    const mine = flowOrigins(doc);
    for (const t of templates) {
      if (t.origin === own || matchesTemplate(t, iss)) continue;
      const hosts = new Set<string | undefined>([t.origin]);
      const learned = tenants.filter(([base]) => matchesTemplate(t, base));
      for (const [, other] of learned) for (const o of flowOrigins(other)) hosts.add(o);
      const inside = mine.filter((o) => hosts.has(o)).length;
      if (inside > 0 && inside < mine.length) throw conflict(`is partly on the hosts of the tenant template ${t.issuer.entry} (issuer, authorize and token endpoint must all be there or none)`);
      if (inside === 0 && learned.length === 0 && new Set(mine).size > 1) {
        throw conflict(`has its issuer, authorize and token endpoint on different hosts, and no tenant of ${t.issuer.entry} has been discovered yet to tell whether one of them is that template's; launch a tenant first`);
      }
    }
  }

  async #peerDoc(peer: IssuerPeer): Promise<SmartConfiguration | undefined> {
    const failed = this.#failedAt.get(peer.iss);
    if (failed !== undefined && Date.now() - failed < PEER_FAILURE_BACKOFF_MS) return this.discovery.lastKnown(peer.iss);
    try {
      const doc = await this.discovery.get(peer.iss, { capabilityStatementFallback: peer.capabilityStatementFallback });
      this.#failedAt.delete(peer.iss);
      return doc;
    } catch (e) {
      this.#failedAt.set(peer.iss, Date.now());
      this.log('smart-launch: discovery of another allowlisted EHR failed', { other: peer.iss, code: isSmartError(e) ? e.code : 'error' });
      return this.discovery.lastKnown(peer.iss);
    }
  }
}
