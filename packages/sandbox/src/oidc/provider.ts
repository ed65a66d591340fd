import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK as JoseJWK } from 'jose';
import Provider, { type ClientMetadata, type Configuration, type JWK } from 'oidc-provider';
import { escapeHtml } from '../html.js';
import type { SandboxProfile } from '../profiles/profiles.js';
import { installProfileResponses } from '../profiles/responses.js';
import { BASE_SCOPES } from '../scopes.js';
import type { SandboxState } from '../state.js';
import { makeFindAccount } from './accounts.js';
import type { SandboxStore } from './adapter.js';
import { makeAudValidator } from './authorize-checks.js';
import { DEMO_CLIENT_IDS, demoClients, isLoopbackRedirect } from './clients.js';
import { makeLoadExistingGrant } from './grants.js';
import { installTokenResponseContext, makeExtraTokenClaims } from './token-context.js';

/** Where oidc-provider's endpoints live; the issuer is the sandbox origin. */
export const OIDC_ROUTES = {
  authorization: '/oidc/authorize',
  token: '/oidc/token',
  jwks: '/oidc/jwks',
  registration: '/oidc/register',
  introspection: '/oidc/introspect',
  revocation: '/oidc/revoke',
  userinfo: '/oidc/userinfo',
  end_session: '/oidc/logout',
  pushed_authorization_request: '/oidc/par',
} as const;

/** The authorization server's private signing key (exported: profiles re-sign some tokens with it). */
export async function signingKey(profile: SandboxProfile): Promise<JoseJWK> {
  // medplum profile: Medplum 5.0.x signs its tokens with an ES256 key (packages/server/src/oauth/keys.ts).
  if (profile === 'medplum') {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    return { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'sandbox-es256' } as JoseJWK;
  }
  // SMART 2.2 scopes §identity: id_tokens SHALL be signed with RS256 (at least). Epic: "RS256" only
  // (fhir.epic.com/Documentation?docId=oauth2, OpenID Connect id_tokens).
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'sandbox-rs256' } as JoseJWK;
}

export async function createProvider(state: SandboxState, store: SandboxStore): Promise<Provider> {
  const { options, profile } = state;
  const idTokenAlg = state.signingKey.alg === 'ES256' ? 'ES256' : 'RS256';
  let provider: Provider | undefined;
  const self = (): Provider => provider!;
  const loopbackClients = new Set<string>(DEMO_CLIENT_IDS);

  const configuration: Configuration = {
    adapter: store.adapterClass(),
    clients: [...demoClients(), ...options.clients] as ClientMetadata[],
    jwks: { keys: [state.signingKey as JWK] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: OIDC_ROUTES,
    findAccount: makeFindAccount(state),
    claims: profile === 'v1'
      // v1 profile: SMART 1.0 identity is `openid profile` with a `profile` claim (no fhirUser scope or claim).
      ? { openid: ['sub'], profile: ['profile', 'name'] }
      : {
        openid: ['sub'],
        fhirUser: ['fhirUser'],
        // SMART 1.0 used `profile` for the same claim; kept as a deprecated alias.
        profile: ['fhirUser', 'name'],
      },
    scopes: profile === 'v1' ? BASE_SCOPES.filter((s) => s !== 'fhirUser') : [...BASE_SCOPES],
    // SMART parameters oidc-provider doesn't know. `aud` is checked on every request, `launch` there too.
    extraParams: { aud: makeAudValidator(state), launch: null },
    responseTypes: ['code'],
    // SMART 2.2 app-launch §PKCE: S256 for every client (oidc-provider accepts S256 only).
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'private_key_jwt'],
    enabledJWA: {
      // SMART 2.2 client-confidential-asymmetric: RS384 and ES384 SHALL be supported.
      clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256', 'ES256'],
      idTokenSigningAlgValues: [idTokenAlg],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: idTokenAlg,
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    conformIdTokenClaims: false,
    clientBasedCORS: () => true,
    // oidc-provider refuses to fetch special-use addresses (SSRF guard). This sandbox lives on
    // loopback with its apps, so a client's `jwks_uri` on 127.0.0.1/localhost is fetched; any
    // other address keeps the guard.
    fetch: (url: string | URL | Request, init?: RequestInit) => {
      const host = new URL(url instanceof Request ? url.url : String(url)).hostname;
      if (init && (host === '127.0.0.1' || host === 'localhost' || host === '[::1]')) {
        const { dispatcher: _guard, ...rest } = init as RequestInit & { dispatcher?: unknown };
        return globalThis.fetch(url, rest);
      }
      return globalThis.fetch(url, init);
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // RFC 7662 §2.1: any authenticated client may introspect; public clients only their own tokens.
        allowedPolicy: (ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client?.clientId,
      },
      revocation: {
        // medplum profile: Medplum has no RFC 7009 revocation endpoint (packages/server/src/wellknown.ts
        // and fhir/smart.ts advertise none; packages/server/src/oauth/routes.ts mounts none).
        enabled: profile !== 'medplum',
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      registration: {
        enabled: true,
        initialAccessToken: options.registrationAccessToken ?? false,
      },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
    },
    ttl: {
      AccessToken: (ctx) => (ctx?.oidc?.params?.grant_type === 'refresh_token' ? options.refreshedAccessTokenTtl : options.accessTokenTtl),
      ClientCredentials: () => options.accessTokenTtl,
      AuthorizationCode: 120,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    // SMART 2.2 app-launch step 7 / RFC 9700 §4.14.2: rotate refresh tokens on every use.
    // cerner: no rotation, the original refresh token keeps working (fhir.cerner.com/authorization,
    // "Refresh tokens": the refresh response carries no new refresh_token).
    rotateRefreshToken: profile !== 'cerner',
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      (code.scopes.has('offline_access') || code.scopes.has('online_access')),
    expiresWithSession: () => false,
    extraTokenClaims: makeExtraTokenClaims(state),
    loadExistingGrant: makeLoadExistingGrant(self, state),
    interactions: { url: (_ctx, interaction) => `${state.asPrefix}/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sandbox error</title><h1>${escapeHtml(String(out.error))}</h1>` +
        `<p>${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  };

  provider = new Provider(state.issuer, configuration);
  // Demo clients accept any loopback redirect URI (the example apps run on any local port); others keep exact matching.
  const original = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value: string): boolean {
    if (loopbackClients.has(this.clientId)) return isLoopbackRedirect(value);
    return original.call(this, value);
  };
  // Outermost first: profile rewrites run after the SMART context has been merged into the response.
  installProfileResponses(provider, state);
  installTokenResponseContext(provider, state);
  if (options.quiet) provider.removeAllListeners();
  return provider;
}
