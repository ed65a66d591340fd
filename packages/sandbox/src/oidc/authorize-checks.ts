import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { SandboxState } from '../state.js';
import { isKnownUser, toAccountId } from './accounts.js';

/**
 * OpenID Connect Core §11 lets oidc-provider drop `offline_access` unless `prompt=consent` is sent;
 * SMART 2.2 (scopes §offline_access) has no such rule, so a requested `offline_access` is restored
 * for clients allowed the refresh_token grant.
 */
function keepOfflineAccess(ctx: KoaContextWithOIDC): void {
  const body = (ctx.oidc as unknown as { body?: Record<string, unknown> }).body;
  const original = String(body?.scope ?? ctx.query.scope ?? '').split(' ');
  const params = ctx.oidc.params as { scope?: string } | undefined;
  if (!params || !original.includes('offline_access') || !ctx.oidc.client?.grantTypeAllowed('refresh_token')) return;
  const current = (params.scope ?? '').split(' ').filter(Boolean);
  if (!current.includes('offline_access')) params.scope = [...current, 'offline_access'].join(' ');
}

const stripSlash = (url: string): string => url.replace(/\/+$/u, '');

/**
 * Runs on every authorization request once oidc-provider has validated client, redirect_uri,
 * response_type, scope and PKCE, so every error thrown here is redirected to the client with `state`
 * (RFC 6749 §4.1.2.1).
 */
export function makeAudValidator(state: SandboxState) {
  return async (ctx: KoaContextWithOIDC, aud: string | undefined): Promise<void> => {
    // SMART 2.2 app-launch step 4: `aud` is REQUIRED and must name this FHIR server.
    if (!aud) throw new errors.InvalidRequest("missing required parameter 'aud'");
    // The EHR launch `iss` (a different base under launcher) names the same server.
    if (stripSlash(aud) !== stripSlash(state.fhirBaseUrl) && stripSlash(aud) !== stripSlash(state.ehrIssuer)) {
      throw new errors.InvalidRequest(`'aud' must be the FHIR base URL ${state.fhirBaseUrl}`);
    }
    const clientId = ctx.oidc.client?.clientId;
    const failure = state.failures.take(['access_denied', 'invalid_scope'], clientId);
    if (failure?.kind === 'access_denied') throw new errors.AccessDenied('simulated failure: access_denied');
    if (failure?.kind === 'invalid_scope') throw new errors.InvalidScope('simulated failure: invalid_scope', String(ctx.oidc.params?.scope ?? ''));

    keepOfflineAccess(ctx);

    const launchId = ctx.oidc.params?.launch as string | undefined;
    const launch = launchId === undefined ? undefined : state.launches.find(launchId);
    // SMART 2.2 app-launch: `launch` is an opaque handle the EHR issued; an unknown one is invalid.
    if (launchId !== undefined && !launch) throw new errors.InvalidRequest('unknown or expired launch');

    if (ctx.oidc.route !== 'authorization') return;
    const session = ctx.oidc.session;
    if (!session) return;
    // The EHR already authenticated its user: an EHR launch logs that user in. Under auto-approve
    // everyone else is the default practitioner.
    const launchUser = launch?.user ? toAccountId(launch.user) : undefined;
    const accountId = launchUser && isKnownUser(state, launchUser)
      ? launchUser
      : state.options.autoApprove ? state.defaultUser : undefined;
    if (accountId && session.accountId !== accountId) {
      session.loginAccount({ accountId });
    }
  };
}
