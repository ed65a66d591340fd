import type { Account, FindAccount } from 'oidc-provider';
import type { SandboxState } from '../state.js';

/** Maps an EHR `user` parameter (`pr1` or `Practitioner/pr1`) to an account id. */
export function toAccountId(user: string): string {
  return user.includes('/') ? user : `Practitioner/${user}`;
}

export function isKnownUser(state: SandboxState, accountId: string): boolean {
  return [...state.practitioners, ...state.patients].some((u) => u.ref === accountId);
}

/**
 * The user's `fhirUser` value. SMART 2.2 scopes §identity: the absolute URL of the user's FHIR resource.
 * launcher: relative `Practitioner/x` (smart-launcher-v2 backend/routes/auth/authorize.ts createAuthCode
 * sets `user = "Practitioner/<id>"`, token.ts createIdToken copies it into fhirUser).
 * medplum: relative `Patient/<id>` / `Practitioner/<id>` (medplum packages/server/src/oauth/utils.ts
 * getAuthTokens puts the membership profile reference into the id_token's fhirUser).
 */
export function fhirUserFor(state: SandboxState, accountId: string): string {
  if (state.profile === 'launcher' || state.profile === 'medplum') return accountId;
  return `${state.fhirBaseUrl}/${accountId}`;
}

/** oidc-provider `findAccount`: the users are the data set's Practitioners and Patients. */
export function makeFindAccount(state: SandboxState): FindAccount {
  return (_ctx, sub): Account | undefined => {
    const user = [...state.practitioners, ...state.patients].find((u) => u.ref === sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      claims: () => state.profile === 'v1'
        // v1 profile: SMART 1.0 (hl7.org/fhir/smart-app-launch/1.0.0/scopes-and-launch-context) has no
        // fhirUser; the id_token's `profile` claim is the URL of the user's FHIR resource.
        ? { sub, profile: `${state.fhirBaseUrl}/${sub}`, name: user.name }
        : { sub, fhirUser: fhirUserFor(state, sub), name: user.name },
    };
  };
}
