export { createSmart, type Smart, type SessionRequest, type SessionHooks, type SessionResult } from './smart.js';
export {
  DEFAULT_SCOPE,
  resolveConfig,
  type SmartConfig,
  type SmartIssuerConfig,
  type SmartSessionConfig,
  type SmartRoutes,
  type SmartLogger,
  type PrivateKeyInput,
} from './config.js';
export type { SmartContext, FhirContextItem } from './context.js';
export {
  ErrorCode,
  SmartError,
  ConfigError,
  DiscoveryError,
  LaunchError,
  CallbackError,
  TokenError,
  SessionError,
  FhirError,
  isSmartError,
} from './errors.js';
export { Discovery, fromCapabilityStatement, hasCapability, type SmartConfiguration } from './discovery.js';
export * from './scopes.js';
export * from './fhir-client.js';
export { MemoryStore } from './session/memory-store.js';
export { RedisStore, type RedisLike, type RedisStoreOptions } from './session/redis-store.js';
export type { SessionData, SessionStore } from './session/types.js';
export { importSigningKey, signClientAssertion, type SigningKey, type AssertionAlg } from './keys.js';
export { safeReturnPath, normalizeBaseUrl, isLoopbackUrl } from './url.js';
export { escapeHtml } from './html.js';
export { createBackendClient, backendCacheKey, type BackendClient, type BackendClientOptions, type BackendToken, type BackendTokenCache, type BackendTokenRequest } from './backend.js';
export { BulkExport, type BulkExportRequest, type BulkExportJob, type BulkManifest, type BulkOutputFile, type BulkStatus, type BulkWaitOptions } from './bulk-export.js';
export { registerClient, registerOnce, registrationMetadata, issuerConfigFrom, memoryRegistrationStore, fileRegistrationStore, RegistrationError, type ClientRegistrationMetadata, type RegisterOptions, type RegisteredClient, type RegistrationStore, type TokenEndpointAuthMethod } from './registration.js';
export { createIntrospector, introspect, tokenInfoFromClaims, type IntrospectionOptions, type Introspector, type TokenInfo } from './introspection.js';
export { createResourceServer, extractBearer, requireTokenScopes, wwwAuthenticate, bearerErrorParts, bearerErrorResponse, BearerError, type BearerInput, type ResourceServer, type ResourceServerOptions, type TokenContext, type JwtVerificationOptions } from './resource-server.js';
export { publicJwks, toPublicJwk, jwksResponse, jwksHandler, configuredKeys, type JwksKeyInput, type JwksOptions, type JwksResponseOptions } from './jwks.js';
export { pickKey } from './keys.js';
export type { ServiceHttpOptions } from './service.js';
export { prefersJson, notAuthenticated, insufficientScope, launchLocation, type GuardAnswer } from './guards.js';
