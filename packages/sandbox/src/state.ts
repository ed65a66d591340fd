import type { FhirRepository } from '@medplum/fhir-router';
import type { JWK } from 'jose';
import type { FailureInjector } from './failures.js';
import type { LaunchStore } from './launch-context.js';
import type { ResolvedOptions } from './options.js';
import type { JwtAccessTokens } from './profiles/jwt-access-tokens.js';
import type { SandboxProfile } from './profiles/profiles.js';
import type { TokenStats } from './stats.js';

/** A person who can log in: `Practitioner/pr1` or `Patient/p1` (also the OIDC `sub`). */
export interface SandboxUser {
  ref: string;
  name: string;
}

/** Everything the sandbox's parts share; built once per started sandbox. */
export interface SandboxState {
  options: ResolvedOptions;
  /** Vendor profile (see profiles/profiles.ts and the README). */
  profile: SandboxProfile;
  origin: string;
  /** Standalone FHIR base of this realm (`/fhir`, or `/r4/<tenant>` under cerner). */
  fhirBaseUrl: string;
  /** The `iss` an EHR launch hands out (differs from fhirBaseUrl under launcher). */
  ehrIssuer: string;
  /** OIDC issuer of this realm's authorization server. */
  issuer: string;
  /** Path prefix of the authorization server (`''`, or `/tenants/<tenant>` under cerner). */
  asPrefix: string;
  /** origin + asPrefix: where /oidc/... and /interaction/... live. */
  asBase: string;
  /** Cerner tenant id of this realm. */
  tenant: string | undefined;
  /** Private JWK the authorization server signs id_tokens with (profiles re-sign some tokens). */
  signingKey: JWK;
  /** epic profile: JWT access tokens wrapping the opaque ones. */
  jwtAccessTokens?: JwtAccessTokens;
  repo: FhirRepository;
  launches: LaunchStore;
  failures: FailureInjector;
  stats: TokenStats;
  practitioners: SandboxUser[];
  patients: SandboxUser[];
  /** Patient id used for standalone launch/patient when nobody picks one. */
  defaultPatient: string;
  /** `Practitioner/<id>` who is logged in under auto-approve. */
  defaultUser: string;
  log(message: string): void;
}
