import type { ClientMetadata } from './client-metadata.js';
import { CERNER_ACCESS_TOKEN_TTL, parseProfile, type SandboxProfile } from './profiles/profiles.js';

export interface SandboxOptions {
  /** Default 0 (a free port); the CLI uses SANDBOX_PORT || 4010. */
  port?: number;
  /** Default 127.0.0.1. The sandbox is for local use only. */
  host?: string;
  /** Skip login and consent; default `SANDBOX_AUTO_APPROVE === '1'`. */
  autoApprove?: boolean;
  /** Access token lifetime in seconds; default `SANDBOX_ACCESS_TOKEN_TTL` or 300. */
  accessTokenTtl?: number;
  /**
   * Lifetime in seconds of access tokens issued by a refresh (default: `accessTokenTtl`). Tests that
   * count refreshes set it longer than `accessTokenTtl`, so the refreshed token cannot itself fall
   * due while a slow machine is still answering the test's requests.
   */
  refreshedAccessTokenTtl?: number;
  /** Patient used for standalone `launch/patient` under auto-approve; default `SANDBOX_PATIENT` or the first patient. */
  defaultPatient?: string;
  /** Apps listed on the EHR page. */
  apps?: { name: string; launchUrl: string }[];
  /** Extra preregistered clients (exact redirect URI matching applies to them). */
  clients?: ClientMetadata[];
  /** When set, dynamic registration (RFC 7591) requires this initial access token. Default: open registration. */
  registrationAccessToken?: string;
  /** No logging. */
  quiet?: boolean;
  /** Behave like a real SMART server (README "Vendor profiles"); default `SANDBOX_PROFILE` or `strict`. */
  profile?: SandboxProfile;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  autoApprove: boolean;
  accessTokenTtl: number;
  refreshedAccessTokenTtl: number;
  defaultPatient: string | undefined;
  apps: { name: string; launchUrl: string }[];
  clients: ClientMetadata[];
  registrationAccessToken: string | undefined;
  quiet: boolean;
  profile: SandboxProfile;
}

export function resolveOptions(options: SandboxOptions = {}): ResolvedOptions {
  const env = process.env;
  const profile = parseProfile(options.profile ?? env.SANDBOX_PROFILE);
  // Cerner access tokens live 570 s (fhir.cerner.com/authorization); an explicit TTL still wins.
  const ttl = options.accessTokenTtl ?? (Number(env.SANDBOX_ACCESS_TOKEN_TTL) || (profile === 'cerner' ? CERNER_ACCESS_TOKEN_TTL : 300));
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new TypeError(`accessTokenTtl must be a positive integer number of seconds, got ${String(ttl)}`);
  }
  const refreshedTtl = options.refreshedAccessTokenTtl ?? ttl;
  if (!Number.isInteger(refreshedTtl) || refreshedTtl <= 0) {
    throw new TypeError(`refreshedAccessTokenTtl must be a positive integer number of seconds, got ${String(refreshedTtl)}`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`port must be an integer between 0 and 65535, got ${String(port)}`);
  }
  return {
    port,
    host: options.host ?? '127.0.0.1',
    autoApprove: options.autoApprove ?? env.SANDBOX_AUTO_APPROVE === '1',
    accessTokenTtl: ttl,
    refreshedAccessTokenTtl: refreshedTtl,
    defaultPatient: options.defaultPatient ?? (env.SANDBOX_PATIENT || undefined),
    apps: options.apps ?? [{ name: 'Express example', launchUrl: 'http://127.0.0.1:3000/launch' }],
    clients: options.clients ?? [],
    registrationAccessToken: options.registrationAccessToken,
    quiet: options.quiet ?? false,
    profile,
  };
}
