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

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
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
  ) {}

  async check(iss: string, doc: SmartConfiguration): Promise<void> {
    const claimed = issuerOf(doc, iss);
    const others = [...this.peers()].filter((p) => p.iss !== iss);
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
