/** @smart-launch/core/resource-server — protect an API with SMART bearer tokens (JWT or RFC 7662 introspection). */
export {
  createResourceServer,
  extractBearer,
  requireTokenScopes,
  wwwAuthenticate,
  bearerErrorParts,
  bearerErrorResponse,
  BearerError,
  type BearerInput,
  type ResourceServer,
  type ResourceServerOptions,
  type TokenContext,
  type JwtVerificationOptions,
} from './resource-server.js';
export { createIntrospector, introspect, tokenInfoFromClaims, type IntrospectionOptions, type Introspector, type TokenInfo } from './introspection.js';
