/**
 * @smart-launch/core — the app side of SMART App Launch: createSmart, its config, the session
 * context, typed errors and session stores. Task-specific APIs live in subpaths:
 * `/fhir`, `/backend`, `/registration`, `/resource-server`, `/adapter`.
 */
export { createSmart, type Smart, type SessionRequest, type SessionHooks, type SessionResult } from './app/smart.js';
export {
  DEFAULT_SCOPE,
  type SmartConfig,
  type SmartIssuerConfig,
  type SmartSessionConfig,
  type SmartRoutes,
  type SmartLogger,
  type PrivateKeyInput,
} from './config.js';
export type { SmartContext, FhirContextItem } from './fhir/context.js';
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
export { discover, type SmartConfiguration } from './oauth/discovery.js';
export { MemoryStore } from './session/memory-store.js';
export { RedisStore, type RedisLike, type RedisStoreOptions } from './session/redis-store.js';
export type { SessionData, SessionStore } from './session/types.js';
export { publicJwks, jwksHandler, jwksResponse, type JwksKeyInput, type JwksOptions, type JwksResponseOptions } from './oauth/jwks.js';
