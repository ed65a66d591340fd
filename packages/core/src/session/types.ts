import type { FhirContextItem } from '../fhir/context.js';

/** Everything smart-launch keeps about a signed-in user. Sealed before it leaves the process. */
export interface SessionData {
  v: 1;
  /** Random session id; a new one at every login. */
  sid: string;
  /** The launch handle of this session's slot (ADR 0008); its cookie is `<cookieName>~<slot>`. */
  slot?: string;
  /** Revision, +1 at every refresh: the newest wins when stale cookies race. */
  rev: number;
  /** FHIR base URL the token was issued for (`aud`); the key into the issuer allowlist. */
  iss: string;
  /** Authorization server issuer identifier, from discovery. */
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint?: string;
  accessToken: string;
  tokenType: string;
  /** Epoch seconds; absent when the server sent no expires_in. */
  expiresAt?: number;
  refreshToken?: string;
  scope: string;
  idTokenClaims?: Record<string, unknown>;
  fhirUser?: string;
  patient?: string;
  encounter?: string;
  fhirContext?: FhirContextItem[];
  needPatientBanner?: boolean;
  smartStyleUrl?: string;
  intent?: string;
  tenant?: string;
  /** Unsolicited context and extension properties from the token response. */
  extra?: Record<string, unknown>;
  /** Epoch seconds. */
  createdAt: number;
}

/**
 * Server-side session storage. The cookie then carries only a sealed session id. Implementations:
 * `MemoryStore` (one process), `RedisStore` (several instances).
 */
export interface SessionStore {
  get(sid: string): Promise<SessionData | undefined>;
  set(sid: string, data: SessionData, ttlSeconds: number): Promise<void>;
  delete(sid: string): Promise<void>;
  /**
   * Optional, synchronous: the session as the store holds it now, when this process knows it
   * without asking (e.g. RedisStore's invalidated cache), else undefined. Must never answer with
   * a value the store no longer holds beyond the time a change notice takes to arrive.
   */
  peek?(sid: string): SessionData | undefined;
  /**
   * Optional cross-process lock around a refresh (e.g. Redis SET NX PX). Resolves to a release
   * function, or to undefined when another holder has the lock.
   */
  lock?(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}
