import type Provider from 'oidc-provider';
import type { SandboxStore } from './oidc/adapter.js';
import type { SandboxState } from './state.js';

/**
 * One authorization server + FHIR base (cerner: one per tenant). Internal: kept out of the package
 * entry so the public types never name oidc-provider's (whose types are a devDependency).
 */
export interface Realm {
  state: SandboxState;
  provider: Provider;
  store: SandboxStore;
  /** FHIR base paths served by this realm: the first is the standalone base. */
  fhirPaths: string[];
}
