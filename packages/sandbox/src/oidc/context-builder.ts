import type { LaunchRequest, TokenContext } from '../launch-context.js';
import { normaliseFhirContext } from '../launch-context.js';
import { parseResourceScope } from '../scopes.js';
import type { SandboxState } from '../state.js';
import { fhirUserFor } from './accounts.js';

export interface GrantInput {
  /** Logged-in user, `Practitioner/pr1` or `Patient/p1`. */
  accountId: string;
  scopes: string[];
  launch: LaunchRequest | undefined;
  /** Patient picked on the consent page, if any. */
  chosenPatient?: string | undefined;
}

/** True when the request needs a patient in context (SMART 2.2 scopes: launch/patient, patient/ scopes). */
export function needsPatient(scopes: string[]): boolean {
  return scopes.includes('launch/patient') || scopes.some((s) => parseResourceScope(s)?.context === 'patient');
}

/**
 * Builds the launch context returned beside the access token
 * (SMART 2.2 scopes-and-launch-context §"Launch context arrives with your access_token").
 */
export function buildTokenContext(state: SandboxState, input: GrantInput): TokenContext {
  const { launch, scopes, accountId } = input;
  const context: TokenContext = {
    fhirUser: fhirUserFor(state, accountId),
    smart_style_url: `${state.origin}/smart-style.json`,
    // EHR launch: the EHR already shows a banner, unless the launch asked otherwise.
    need_patient_banner: launch ? (launch.needPatientBanner ?? false) : true,
  };
  let patient = launch?.patient;
  // SMART 2.2: a server granting patient-level scopes SHALL supply the patient in context.
  if (!patient && needsPatient(scopes)) {
    const self = accountId.startsWith('Patient/') ? accountId.slice('Patient/'.length) : undefined;
    patient = input.chosenPatient || self || state.defaultPatient;
  }
  if (patient) context.patient = patient;
  if (launch?.encounter) context.encounter = launch.encounter;
  const fhirContext = normaliseFhirContext(launch?.fhirContext);
  if (fhirContext) context.fhirContext = fhirContext;
  if (launch?.intent) context.intent = launch.intent;
  // cerner: the token response names the tenant (fhir.cerner.com/authorization, token response `tenant`).
  if (state.profile === 'cerner' && state.tenant) context.tenant = state.tenant;
  return context;
}

/** What the user may be granted: everything requested except backend-only `system/` scopes. */
export function grantableUserScopes(scopes: string[]): string[] {
  return scopes.filter((s) => parseResourceScope(s)?.context !== 'system');
}
