import type { AccessToken, ClientCredentials, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { TokenContext } from '../launch-context.js';
import type { SandboxState } from '../state.js';

/** Context fields returned in the token response (SMART 2.2 app-launch step 5); fhirUser goes in the id_token. */
function responseFields(context: TokenContext): Record<string, unknown> {
  const { fhirUser: _fhirUser, ...fields } = context;
  return fields;
}

/**
 * oidc-provider `extraTokenClaims`: the launch context is stored with every access token, so the
 * introspection endpoint returns it (SMART 2.2 token-introspection: "SHALL include ... launch context").
 */
export function makeExtraTokenClaims(state: SandboxState) {
  return (_ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials) => {
    if (token.kind !== 'AccessToken') return undefined;
    const context = state.launches.forGrant((token as AccessToken).grantId);
    return context ? { ...context } : undefined;
  };
}

/** Koa middleware: copies the launch context into authorization_code and refresh_token responses. */
export function installTokenResponseContext(provider: Provider, state: SandboxState): void {
  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc;
    if (oidc?.route !== 'token' || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown> | undefined;
    if (!body || typeof body.access_token !== 'string') return;
    const context = state.launches.forGrant(oidc.entities.AccessToken?.grantId);
    if (context) ctx.body = { ...body, ...responseFields(context) };
  });
}
