import type { SmartConfig, SmartSessionConfig } from '../config.js';
import { SmartCore } from '../app/core.js';
import { ConfigError } from '../errors.js';
import { normalizeBaseUrl } from '../url.js';
import { contextFromTokenResponse, normalizeScope, resolveFhirUser } from '../fhir/context.js';
import type { SessionData } from '../session/types.js';

/** The part of an app's SmartConfig that decides what its session cookie looks like. */
export interface MintSessionConfig extends Partial<Omit<SmartConfig, 'session'>> {
  session: SmartSessionConfig;
}

/** A session as a token response would have made it (SMART App Launch 2.2 app-launch step 5). */
export interface MintSessionInput {
  /** FHIR base URL (the launch `iss`, the token's `aud`); default: the config's `defaultIss` / first issuer. */
  iss?: string;
  accessToken: string;
  /** Granted scopes, space-separated. */
  scope: string;
  tokenType?: string;
  /** Epoch seconds; absent means "the server sent no expires_in" (never refreshed ahead of time). */
  expiresAt?: number;
  refreshToken?: string;
  /** `123` or `Patient/123`. */
  patient?: string;
  encounter?: string;
  /** SMART 2.0 strings or 2.1 objects. */
  fhirContext?: unknown[];
  /** Absolute, or relative to `iss` (`Practitioner/123`). */
  fhirUser?: string;
  needPatientBanner?: boolean;
  smartStyleUrl?: string;
  intent?: string;
  tenant?: string;
  idTokenClaims?: Record<string, unknown>;
  /** Authorization server issuer and endpoints, used by a refresh; default: under the FHIR base's origin. */
  issuer?: string;
  tokenEndpoint?: string;
  revocationEndpoint?: string;
}

export interface MintedSession {
  /** `Cookie` header value carrying the session (every chunk). */
  cookie: string;
  /** The Set-Cookie values the callback route would have sent. */
  setCookie: string[];
  /** What was stored (cookie mode: sealed into the cookie; store mode: the store entry). */
  data: SessionData;
}

/**
 * Writes a session exactly as the callback route does (`SessionManager.save`: sealing, chunking,
 * the store entry in store mode), so an app with the same session config accepts it.
 */
export async function mintSession(config: MintSessionConfig, input: MintSessionInput): Promise<MintedSession> {
  if (!input.iss && !config.issuers?.length) throw new ConfigError('mintSession: give the session an `iss`, or the config its `issuers`');
  // Only the session part of the config matters; an issuer list is required by the validator.
  const issuers = config.issuers?.length ? config.issuers : [{ iss: input.iss!, clientId: 'smart-launch-testing' }];
  const core = new SmartCore({ ...config, issuers } as SmartConfig);
  const iss = input.iss ? normalizeBaseUrl(input.iss) : core.cfg.defaultIss;
  // The app only ever holds sessions of allowlisted EHRs (its refresh looks the issuer up there).
  if (!core.cfg.issuers.has(iss)) throw new ConfigError(`mintSession: \`iss\` "${iss}" is not one of the config's issuers`);
  const origin = new URL(iss).origin;
  const now = Math.floor(Date.now() / 1000);
  // The same normalisation as a token response (SMART App Launch 2.2 app-launch step 5).
  const ctx = contextFromTokenResponse({
    patient: input.patient,
    encounter: input.encounter,
    fhirContext: input.fhirContext,
    need_patient_banner: input.needPatientBanner,
    smart_style_url: input.smartStyleUrl,
    intent: input.intent,
    tenant: input.tenant,
  });
  const fhirUser = resolveFhirUser(input.fhirUser, iss);
  const data: SessionData = {
    v: 1,
    sid: core.sessions.newSid(),
    rev: 0,
    iss,
    issuer: input.issuer ?? origin,
    tokenEndpoint: input.tokenEndpoint ?? `${origin}/token`,
    ...(input.revocationEndpoint ? { revocationEndpoint: input.revocationEndpoint } : {}),
    accessToken: input.accessToken,
    tokenType: input.tokenType ?? 'Bearer',
    ...(input.expiresAt !== undefined ? { expiresAt: Math.floor(input.expiresAt) } : {}),
    ...(input.refreshToken ? { refreshToken: input.refreshToken } : {}),
    scope: normalizeScope(input.scope, ''),
    ...(input.idTokenClaims ? { idTokenClaims: input.idTokenClaims } : {}),
    ...(fhirUser ? { fhirUser } : {}),
    ...ctx,
    createdAt: now,
  };
  const setCookie = await core.sessions.save(data, new Map(), false);
  const cookie = setCookie.map((c) => c.slice(0, c.indexOf(';'))).join('; ');
  return { cookie, setCookie, data };
}
