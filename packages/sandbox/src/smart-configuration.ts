import { OIDC_ROUTES } from './oidc/provider.js';
import { REPRESENTATIVE_SCOPES } from './scopes.js';
import type { SandboxState } from './state.js';

/** `{fhir}/.well-known/smart-configuration` (SMART 2.2 conformance §Metadata); lists only what works. */
export function smartConfiguration(state: SandboxState): Record<string, unknown> {
  const at = (route: string) => `${state.asBase}${route}`;
  const config: Record<string, unknown> = {
    issuer: state.issuer,
    jwks_uri: at(OIDC_ROUTES.jwks),
    authorization_endpoint: at(OIDC_ROUTES.authorization),
    token_endpoint: at(OIDC_ROUTES.token),
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    registration_endpoint: at(OIDC_ROUTES.registration),
    scopes_supported: REPRESENTATIVE_SCOPES,
    response_types_supported: ['code'],
    introspection_endpoint: at(OIDC_ROUTES.introspection),
    revocation_endpoint: at(OIDC_ROUTES.revocation),
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: oidc-provider adds `iss` to every authorization response.
    authorization_response_iss_parameter_supported: true,
    capabilities: [
      'launch-ehr',
      'launch-standalone',
      'authorize-post',
      'client-public',
      'client-confidential-symmetric',
      'client-confidential-asymmetric',
      'sso-openid-connect',
      'context-banner',
      'context-style',
      'context-ehr-patient',
      'context-ehr-encounter',
      'context-standalone-patient',
      'permission-offline',
      'permission-patient',
      'permission-user',
      'permission-v1',
      'permission-v2',
    ],
  };
  if (state.profile === 'medplum') {
    // medplum: packages/server/src/fhir/smart.ts smartConfigurationHandler lists no revocation endpoint,
    // and Medplum 5.0.x lists no token endpoint signing algorithms.
    delete config.token_endpoint_auth_signing_alg_values_supported;
    delete config.revocation_endpoint;
  }
  if (state.profile === 'epic') {
    // epic: private_key_jwt clients with a JWK Set URL must send `jku` (see oidc/front.ts).
    config.token_endpoint_auth_signing_alg_values_supported = ['RS384', 'ES384'];
  }
  return config;
}

/** Served at /smart-style.json (SMART 2.2 scopes §smart_style_url, experimental). */
export const SMART_STYLE = {
  color_background: '#f4f6f8',
  color_error: '#9e2d2d',
  color_highlight: '#69b5ce',
  color_modal_backdrop: '',
  color_success: '#498e49',
  color_text: '#1d2730',
  dim_border_radius: '6px',
  dim_font_size: '14px',
  dim_spacing_size: '16px',
  font_family_body: "system-ui, 'Helvetica Neue', sans-serif",
  font_family_heading: "system-ui, 'Helvetica Neue', sans-serif",
};
