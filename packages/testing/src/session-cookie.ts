import { randomBytes } from 'node:crypto';
import { DEFAULT_SCOPE } from '@smart-launch/core';
import { mintSession, type MintSessionConfig } from '@smart-launch/core/testing';

/**
 * The app's smart config, or the part of it that shapes the session cookie: `session` (secret,
 * cookieName, store, maxAge) and, for the defaults, `issuers` / `defaultIss` / `scope`.
 */
export type SessionCookieConfig = MintSessionConfig;

/** A signed-in session, as the app would hold it after a launch. Every field has a default. */
export interface TestSession {
  /** FHIR base URL; default: the config's `defaultIss`, else its first issuer. */
  iss?: string;
  /** Patient id in context (`123` or `Patient/123`); default: none. */
  patient?: string;
  encounter?: string;
  /** The user's FHIR resource, absolute or relative to `iss` (`Practitioner/123`); default: none. */
  fhirUser?: string;
  /** Granted scopes; default: what the app requests from `iss` (its issuer or top-level `scope`). */
  scope?: string;
  /**
   * Default: a random opaque string no server knows (FHIR calls answer 401). For a token the
   * sandbox's FHIR API accepts, use `sandbox.issueToken(...)`.
   */
  accessToken?: string;
  /** Epoch seconds; default: in one hour. `null`: no expiry (the server sent no `expires_in`). */
  expiresAt?: number | null;
  /** Default: none (an expired token then ends the session, as with a server that gives none). */
  refreshToken?: string;
  /** SMART 2.1 objects (`{ reference: 'Observation/1', role: 'launch' }`) or 2.0 strings. */
  fhirContext?: unknown[];
  needPatientBanner?: boolean;
  intent?: string;
  tenant?: string;
  tokenType?: string;
  idTokenClaims?: Record<string, unknown>;
}

function requestedScope(config: SessionCookieConfig, iss: string | undefined): string {
  const strip = (u: string) => u.replace(/\/+$/, '');
  const issuer = config.issuers?.find((i) => strip(i.iss) === strip(iss ?? config.defaultIss ?? config.issuers?.[0]?.iss ?? ''));
  return issuer?.scope ?? config.scope ?? DEFAULT_SCOPE;
}

/**
 * A `Cookie` header value the app accepts as a logged-in session, written by core's own session
 * code (sealed with the config's secret; in store mode the entry is written to the config's store).
 * For route tests with no server at all:
 *
 *     const cookie = await sessionCookie(config, { patient: '123' });
 *     await request(app).get('/api/context').set('Cookie', cookie);
 */
export async function sessionCookie(config: SessionCookieConfig, session: TestSession = {}): Promise<string> {
  const { expiresAt, ...rest } = session;
  const minted = await mintSession(config, {
    ...rest,
    scope: session.scope ?? requestedScope(config, session.iss),
    accessToken: session.accessToken ?? `test-${randomBytes(16).toString('base64url')}`,
    ...(expiresAt === null ? {} : { expiresAt: expiresAt ?? Math.floor(Date.now() / 1000) + 3600 }),
  });
  return minted.cookie;
}
