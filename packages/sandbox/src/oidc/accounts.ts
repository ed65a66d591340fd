import type { Account, FindAccount } from 'oidc-provider';
import type { SandboxState } from '../state.js';

/** Maps an EHR `user` parameter (`pr1` or `Practitioner/pr1`) to an account id. */
export function toAccountId(user: string): string {
  return user.includes('/') ? user : `Practitioner/${user}`;
}

export function isKnownUser(state: SandboxState, accountId: string): boolean {
  return [...state.practitioners, ...state.patients].some((u) => u.ref === accountId);
}

/** oidc-provider `findAccount`: the users are the data set's Practitioners and Patients. */
export function makeFindAccount(state: SandboxState): FindAccount {
  return (_ctx, sub): Account | undefined => {
    const user = [...state.practitioners, ...state.patients].find((u) => u.ref === sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      // SMART 2.2 scopes §identity: fhirUser is the absolute URL of the user's FHIR resource.
      claims: () => ({ sub, fhirUser: `${state.fhirBaseUrl}/${sub}`, name: user.name }),
    };
  };
}
