/** @smart-launch/core/registration — OAuth 2.0 Dynamic Client Registration (RFC 7591). */
export {
  registerClient,
  registerOnce,
  registrationMetadata,
  issuerConfigFrom,
  memoryRegistrationStore,
  fileRegistrationStore,
  RegistrationError,
  type ClientRegistrationMetadata,
  type RegisterOptions,
  type RegisteredClient,
  type RegistrationStore,
  type TokenEndpointAuthMethod,
} from './registration.js';
export type { ServiceHttpOptions } from '../oauth/service-http.js';
