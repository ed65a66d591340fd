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
