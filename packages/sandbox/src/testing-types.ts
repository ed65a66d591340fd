import type { Bundle, Resource } from '@medplum/fhirtypes';

/** What `sandbox.issueToken()` mints: as if `user` had approved `scope` for `clientId`. */
export interface IssueTokenRequest {
  /** Default `demo-public`. */
  clientId?: string;
  /** Patient in context (`p1` or `Patient/p1`); default: none, or the sandbox default patient when a patient scope needs one. */
  patient?: string;
  encounter?: string;
  /** `Practitioner/pr1` or `Patient/p1` (a bare id is a Practitioner); default: the first practitioner. */
  user?: string;
  /** Default `launch/patient openid fhirUser patient/*.rs`. `system/` scopes are dropped (backend services only). */
  scope?: string;
  /** Lifetime in seconds; default: the sandbox's `accessTokenTtl`. */
  expiresIn?: number;
  /** cerner profile: the tenant whose FHIR base accepts the token; default: the first. */
  tenant?: string;
}

/** A real access token and its context; spreads straight into `sessionCookie(config, token)`. */
export interface IssuedToken {
  /** The FHIR base URL that accepts the token. */
  iss: string;
  accessToken: string;
  tokenType: 'Bearer';
  scope: string;
  /** Epoch seconds. */
  expiresAt: number;
  patient?: string;
  encounter?: string;
  /** Absolute URL of the user's resource. */
  fhirUser?: string;
}

/** A Bundle (any type; `urn:uuid:` fullUrls are resolved as in a transaction) or a list of resources. */
export type SeedInput = Bundle | Resource[];
