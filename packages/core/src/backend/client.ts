/**
 * SMART Backend Services (SMART 2.2 backend-services, "BS"): client_credentials with a
 * private_key_jwt assertion, a token cache per (token endpoint, client_id, scope), and the
 * FHIR client and bulk-data export on top.
 */
import * as oidc from 'openid-client';
import { BulkExport } from './bulk-export.js';
import type { PrivateKeyInput } from '../config.js';
import { normalizeScope } from '../fhir/context.js';
import { ConfigError } from '../errors.js';
import { FhirClient } from '../fhir/client.js';
import type { AssertionAlg, SigningKey } from '../oauth/keys.js';
import { oauthConfiguration, toTokenError, type AuthServer } from '../oauth/client.js';
import { parseScopes, type ScopeSet } from '../fhir/scopes.js';
import { checkEndpoint, checkNonEmpty, importKeys, privateKeyList, resolveHttp, SingleFlight, type ServiceHttpOptions } from '../oauth/service-http.js';
import { normalizeBaseUrl } from '../url.js';

export interface BackendClientOptions extends ServiceHttpOptions {
  /** FHIR base URL; the token endpoint comes from its smart-configuration. Or give `tokenEndpoint`. */
  iss?: string;
  /** Token endpoint, when there is no discovery (then `fhirBaseUrl` is needed for `fhir`). */
  tokenEndpoint?: string;
  /** FHIR server for `fhir` and bulk export; default `iss`. */
  fhirBaseUrl?: string;
  clientId: string;
  /** Private key(s), JWK or PKCS#8 PEM; the first one the server accepts signs (SMART Backend Services: RS384/ES384, https://hl7.org/fhir/smart-app-launch/backend-services.html). */
  privateKey?: PrivateKeyInput | PrivateKeyInput[];
  /** Or a private JWK Set. */
  jwks?: { keys: PrivateKeyInput[] };
  /** Signing algorithm; default from each key (RS384 for RSA, ES384 for EC). */
  alg?: AssertionAlg;
  /** Scopes to request, usually `system/...` (BS step 3: required). */
  scope: string;
  /** Get a new token this many seconds before the cached one expires. Default 30. */
  refreshSkewSeconds?: number;
  /** Token cache; share one between clients to share tokens. Default: one per client. */
  cache?: BackendTokenCache;
}

/** An access token from the client_credentials grant. Never log `accessToken`. */
export interface BackendToken {
  accessToken: string;
  tokenType: string;
  /** Granted scope (normalised); the request's scope when the server sent none. */
  scope: string;
  scopes: ScopeSet;
  /** Epoch seconds, when the server sent `expires_in`. */
  expiresAt?: number;
  tokenEndpoint: string;
  clientId: string;
}

/** Where tokens are cached; keys already combine token endpoint, client_id and scope. */
export interface BackendTokenCache {
  get(key: string): BackendToken | undefined;
  set(key: string, token: BackendToken): void;
  delete(key: string): void;
}

export interface BackendTokenRequest {
  /** Another scope than the client's default (cached separately). */
  scope?: string;
  /** Skip the cache (e.g. after a 401); concurrent callers still share one request. */
  forceRefresh?: boolean;
}

export interface BackendClient {
  readonly clientId: string;
  /** A cached or fresh token (single-flight per token endpoint, client_id and scope). */
  token(request?: BackendTokenRequest): Promise<BackendToken>;
  getAccessToken(request?: BackendTokenRequest): Promise<string>;
  /** Drops the cached token for this scope (default scope when omitted). */
  invalidate(scope?: string): Promise<void>;
  /** FHIR client on `fhirBaseUrl` that gets tokens from this client and retries once on a 401. */
  readonly fhir: FhirClient;
  /** Bulk Data `$export` kick-off, status polling and downloads on `fhirBaseUrl`. */
  readonly bulk: BulkExport;
}

/** Tokens without `expires_in` are reused for at most this long (a 401 also drops them). */
const DEFAULT_LIFETIME_S = 60;
const WHERE = 'createBackendClient';

/** The cache key: SMART Backend Services (https://hl7.org/fhir/smart-app-launch/backend-services.html), one token per (token endpoint, client_id, scope). */
export function backendCacheKey(tokenEndpoint: string, clientId: string, scope: string): string {
  return JSON.stringify([tokenEndpoint, clientId, [...new Set(scope.split(/\s+/).filter(Boolean))].sort().join(' ')]);
}

/** Creates a SMART Backend Services client. Validates options now (throws ConfigError). */
export function createBackendClient(options: BackendClientOptions): BackendClient {
  if (!options || typeof options !== 'object') throw new ConfigError(`${WHERE}: options must be an object`);
  const http = resolveHttp(options, WHERE);
  const clientId = checkNonEmpty(WHERE, 'clientId', options.clientId);
  const defaultScope = checkNonEmpty(WHERE, 'scope', options.scope);
  if ((options.iss === undefined) === (options.tokenEndpoint === undefined)) throw new ConfigError(`${WHERE}: set exactly one of \`iss\` (FHIR base URL) or \`tokenEndpoint\``);
  const iss = options.iss === undefined ? undefined : normalizeBaseUrl(checkEndpoint(WHERE, 'iss', options.iss, http.allowInsecureHttp));
  const fixedTokenEndpoint = options.tokenEndpoint === undefined ? undefined : checkEndpoint(WHERE, 'tokenEndpoint', options.tokenEndpoint, http.allowInsecureHttp);
  const fhirBase = options.fhirBaseUrl === undefined ? iss : normalizeBaseUrl(checkEndpoint(WHERE, 'fhirBaseUrl', options.fhirBaseUrl, http.allowInsecureHttp));
  // BS step 3: the client SHALL authenticate with an asymmetric key (private_key_jwt) only.
  const keyList = privateKeyList(WHERE, options.privateKey, options.jwks);
  if (keyList.length === 0) throw new ConfigError(`${WHERE}: \`privateKey\` or \`jwks\` is required (backend services use private_key_jwt only)`);
  if (options.alg !== undefined && options.alg !== 'RS384' && options.alg !== 'ES384') throw new ConfigError(`${WHERE}: \`alg\` must be "RS384" or "ES384"`);
  const skew = options.refreshSkewSeconds ?? 30;
  if (typeof skew !== 'number' || !(skew >= 0)) throw new ConfigError(`${WHERE}: \`refreshSkewSeconds\` must be a number >= 0`);
  const cache = options.cache ?? new MapCache();
  const flights = new SingleFlight<BackendToken>();
  let keys: Promise<SigningKey[]> | undefined;
  const keysOnce = () => {
    keys ??= importKeys(keyList, options.alg);
    keys.catch(() => (keys = undefined));
    return keys;
  };

  async function authServer(): Promise<AuthServer> {
    if (fixedTokenEndpoint) return { issuer: new URL(fixedTokenEndpoint).origin, tokenEndpoint: fixedTokenEndpoint };
    const doc = await http.discovery.get(iss!);
    return {
      issuer: doc.issuer ?? new URL(doc.token_endpoint).origin,
      tokenEndpoint: doc.token_endpoint,
      ...(doc.token_endpoint_auth_signing_alg_values_supported ? { signingAlgs: doc.token_endpoint_auth_signing_alg_values_supported } : {}),
    };
  }

  async function fetchToken(as: AuthServer, scope: string): Promise<BackendToken> {
    const conf = oauthConfiguration(http, { iss: iss ?? as.tokenEndpoint, clientId, clientType: 'confidential-asymmetric' }, await keysOnce(), as);
    let tokens: Awaited<ReturnType<typeof oidc.clientCredentialsGrant>>;
    try {
      // BS step 3: grant_type=client_credentials, scope, and a fresh one-time assertion (new jti).
      tokens = await oidc.clientCredentialsGrant(conf, { scope });
    } catch (e) {
      throw toTokenError(e, 'The backend services token request');
    }
    const granted = normalizeScope(tokens.scope, scope);
    const lifetime = typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? tokens.expires_in : DEFAULT_LIFETIME_S;
    return {
      accessToken: tokens.access_token,
      tokenType: tokens.token_type ?? 'Bearer',
      scope: granted,
      scopes: parseScopes(granted),
      expiresAt: Math.floor(Date.now() / 1000) + Math.floor(lifetime),
      tokenEndpoint: as.tokenEndpoint,
      clientId,
    };
  }

  async function token(request: BackendTokenRequest = {}): Promise<BackendToken> {
    const scope = request.scope === undefined ? defaultScope : checkNonEmpty('token()', 'scope', request.scope);
    const as = await authServer();
    const key = backendCacheKey(as.tokenEndpoint, clientId, scope);
    if (!request.forceRefresh) {
      const hit = cache.get(key);
      if (hit && (hit.expiresAt === undefined || hit.expiresAt - skew > Date.now() / 1000)) return hit;
    }
    // SMART Backend Services: one token request at a time per key; concurrent callers share it.
    return flights.run(key, async () => {
      const fresh = await fetchToken(as, scope);
      cache.set(key, fresh);
      return fresh;
    });
  }

  let fhir: FhirClient | undefined;
  let bulk: BulkExport | undefined;
  const fhirClient = (): FhirClient => {
    if (!fhirBase) throw new ConfigError(`${WHERE}: \`fhirBaseUrl\` (or \`iss\`) is needed for the FHIR client`);
    fhir ??= new FhirClient({
      serverUrl: fhirBase,
      fetch: http.fetch,
      getAccessToken: async () => (await token()).accessToken,
      // A 401 means the token was revoked or expired early: get a new one, retry once.
      onUnauthorized: async () => (await token({ forceRefresh: true })).accessToken,
    });
    return fhir;
  };

  return {
    clientId,
    token,
    getAccessToken: async (request) => (await token(request)).accessToken,
    invalidate: async (scope) => cache.delete(backendCacheKey((await authServer()).tokenEndpoint, clientId, scope ?? defaultScope)),
    get fhir() {
      return fhirClient();
    },
    get bulk() {
      bulk ??= new BulkExport(fhirClient(), { fetch: http.fetch });
      return bulk;
    },
  };
}

class MapCache implements BackendTokenCache {
  readonly #map = new Map<string, BackendToken>();
  get(key: string) {
    return this.#map.get(key);
  }
  set(key: string, token: BackendToken) {
    this.#map.set(key, token);
  }
  delete(key: string) {
    this.#map.delete(key);
  }
}
