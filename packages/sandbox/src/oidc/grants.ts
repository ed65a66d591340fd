import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { LaunchRequest } from '../launch-context.js';
import { parseScopeString } from '../scopes.js';
import type { SandboxState } from '../state.js';
import { buildTokenContext, grantableUserScopes } from './context-builder.js';

export interface NewGrant {
  accountId: string;
  clientId: string;
  requestedScope: string | undefined;
  launchId: string | undefined;
  chosenPatient?: string | undefined;
  /** Scopes the user unticked on the consent page. */
  refused?: string[];
}

/**
 * Records what the user approved: an oidc-provider Grant holding the granted scopes, and the SMART
 * launch context bound to that grant (so refreshes carry it too).
 */
export async function createGrant(provider: Provider, state: SandboxState, input: NewGrant): Promise<string> {
  const launch: LaunchRequest | undefined = input.launchId ? state.launches.find(input.launchId) : undefined;
  const refused = new Set(input.refused ?? []);
  const scopes = grantableUserScopes(parseScopeString(input.requestedScope)).filter((s) => !refused.has(s));
  const grant = new provider.Grant({ accountId: input.accountId, clientId: input.clientId });
  if (scopes.length) grant.addOIDCScope(scopes.join(' '));
  // Unticked scopes are rejected, not just left out: otherwise the consent prompt ("requested
  // scopes not granted") comes back after every approval (RFC 6749 3.3: the server may grant less).
  if (refused.size) grant.rejectOIDCScope([...refused].join(' '));
  const grantId = await grant.save();
  state.launches.bindGrant(
    grantId,
    buildTokenContext(state, { accountId: input.accountId, scopes, launch, chosenPatient: input.chosenPatient }),
  );
  return grantId;
}

/**
 * oidc-provider `loadExistingGrant`. One grant per authorization: consent (and the patient picker)
 * shows on every authorization unless auto-approve is on, in which case the grant is made here.
 */
export function makeLoadExistingGrant(provider: () => Provider, state: SandboxState) {
  return async (ctx: KoaContextWithOIDC) => {
    const consentGrantId = ctx.oidc.result?.consent?.grantId;
    if (consentGrantId) return provider().Grant.find(consentGrantId);
    const accountId = ctx.oidc.session?.accountId;
    if (!state.options.autoApprove || !accountId || !ctx.oidc.client) return undefined;
    const grantId = await createGrant(provider(), state, {
      accountId,
      clientId: ctx.oidc.client.clientId,
      requestedScope: ctx.oidc.params?.scope as string | undefined,
      launchId: ctx.oidc.params?.launch as string | undefined,
    });
    return provider().Grant.find(grantId);
  };
}
