import type { FhirRepository } from '@medplum/fhir-router';
import type { FailureInjector } from './failures.js';
import type { LaunchStore } from './launch-context.js';
import type { ResolvedOptions } from './options.js';
import type { TokenStats } from './stats.js';

/** A person who can log in: `Practitioner/pr1` or `Patient/p1` (also the OIDC `sub`). */
export interface SandboxUser {
  ref: string;
  name: string;
}

/** Everything the sandbox's parts share; built once per started sandbox. */
export interface SandboxState {
  options: ResolvedOptions;
  origin: string;
  fhirBaseUrl: string;
  issuer: string;
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
