import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type ClientMetadata, type Configuration, type JWK } from 'oidc-provider';
import { escapeHtml } from '../html.js';
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

async function signingKey(): Promise<JWK> {
  // SMART 2.2 scopes §identity: id_tokens SHALL be signed with RS256 (at least).
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'sandbox-rs256' } as JWK;
}

export async function createProvider(state: SandboxState, store: SandboxStore): Promise<Provider> {
  const { options } = state;
  let provider: Provider | undefined;
  const self = (): Provider => provider!;
  const loopbackClients = new Set<string>(DEMO_CLIENT_IDS);

  const configuration: Configuration = {
    adapter: store.adapterClass(),
    clients: [...demoClients(), ...options.clients] as ClientMetadata[],
    jwks: { keys: [await signingKey()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: OIDC_ROUTES,
    findAccount: makeFindAccount(state),
    claims: {
      openid: ['sub'],
      fhirUser: ['fhirUser'],
      // SMART 1.0 used `profile` for the same claim; kept as a deprecated alias.
      profile: ['fhirUser', 'name'],
    },
    scopes: [...BASE_SCOPES],
    // SMART parameters oidc-provider doesn't know. `aud` is checked on every request, `launch` there too.
    extraParams: { aud: makeAudValidator(state), launch: null },
    responseTypes: ['code'],
    // SMART 2.2 app-launch §PKCE: S256 for every client (oidc-provider accepts S256 only).
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'private_key_jwt'],
    enabledJWA: {
      // SMART 2.2 client-confidential-asymmetric: RS384 and ES384 SHALL be supported.
      clientAuthSigningAlgValues: ['RS384', 'ES384', 'RS256', 'ES256'],
      idTokenSigningAlgValues: ['RS256'],
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
        enabled: true,
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
      AccessToken: () => options.accessTokenTtl,
      ClientCredentials: () => options.accessTokenTtl,
      AuthorizationCode: 120,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    // SMART 2.2 app-launch step 7 / RFC 9700 §4.14.2: rotate refresh tokens on every use.
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') &&
      (code.scopes.has('offline_access') || code.scopes.has('online_access')),
    expiresWithSession: () => false,
    extraTokenClaims: makeExtraTokenClaims(state),
    loadExistingGrant: makeLoadExistingGrant(self, state),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><title>Sandbox error</title><h1>${escapeHtml(String(out.error))}</h1>` +
        `<p>${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  };

  provider = new Provider(state.issuer, configuration);
  // Demo clients accept any loopback redirect URI (CONTRACTS.md); others keep exact matching.
  const original = provider.Client.prototype.redirectUriAllowed;
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value: string): boolean {
    if (loopbackClients.has(this.clientId)) return isLoopbackRedirect(value);
    return original.call(this, value);
  };
  installTokenResponseContext(provider, state);
  if (options.quiet) provider.removeAllListeners();
  return provider;
}
