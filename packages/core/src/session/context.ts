import type { FhirContextItem, SmartContext } from '../fhir/context.js';
import type { FhirClient } from '../fhir/client.js';
import type { FhirInteraction, ScopeSet } from '../fhir/scopes.js';
import { withLaunchParam } from './launch-handle.js';
import type { SessionData } from './types.js';

/**
 * `req.smart`: a plain class (one hidden class, no spreads) because one is built per request.
 * The FHIR client is created on first use.
 */
export class SessionContext implements SmartContext {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresAt?: number;
  readonly scope: string;
  readonly scopes: ScopeSet;
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirContext: FhirContextItem[];
  readonly needPatientBanner?: boolean;
  readonly smartStyleUrl?: string;
  readonly intent?: string;
  readonly tenant?: string;
  readonly fhirUser?: string;
  readonly idTokenClaims?: Record<string, unknown>;
  readonly serverUrl: string;
  readonly extra: Record<string, unknown>;
  readonly launchHandle: string;
  readonly #launchParam: string;
  #fhir: FhirClient | undefined;
  readonly #makeFhir: () => FhirClient;

  constructor(data: SessionData, scopes: ScopeSet, makeFhir: () => FhirClient, launchParam = 'smart_launch') {
    this.accessToken = data.accessToken;
    this.tokenType = data.tokenType;
    this.expiresAt = data.expiresAt;
    this.scope = data.scope;
    this.scopes = scopes;
    this.patient = data.patient;
    this.encounter = data.encounter;
    this.fhirContext = data.fhirContext ?? [];
    this.needPatientBanner = data.needPatientBanner;
    this.smartStyleUrl = data.smartStyleUrl;
    this.intent = data.intent;
    this.tenant = data.tenant;
    this.fhirUser = data.fhirUser;
    this.idTokenClaims = data.idTokenClaims;
    this.serverUrl = data.iss;
    this.extra = data.extra ?? {};
    this.#makeFhir = makeFhir;
    this.launchHandle = data.slot ?? '';
    this.#launchParam = launchParam;
  }

  link(path: string): string {
    return withLaunchParam(path, this.#launchParam, this.launchHandle);
  }

  hasScope(scope: string): boolean {
    return this.scopes.has(scope);
  }

  can(interaction: FhirInteraction, resourceType: string): boolean {
    return this.scopes.can(interaction, resourceType);
  }

  get fhir(): FhirClient {
    return (this.#fhir ??= this.#makeFhir());
  }

  /** Never serialise the tokens by accident (logging `req.smart`). */
  toJSON(): Record<string, unknown> {
    return { patient: this.patient, encounter: this.encounter, fhirUser: this.fhirUser, scope: this.scope, serverUrl: this.serverUrl, expiresAt: this.expiresAt, launchHandle: this.launchHandle };
  }
}
