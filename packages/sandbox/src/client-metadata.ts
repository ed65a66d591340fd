/**
 * A client registered at the sandbox (OpenID Connect Dynamic Client Registration 1.0 §2 / RFC 7591
 * §2 metadata, as oidc-provider takes it). Declared here so the sandbox's types need no
 * `@types/oidc-provider` in the apps that use it.
 */
export interface ClientMetadata {
  client_id: string;
  client_secret?: string;
  client_name?: string;
  redirect_uris?: string[];
  grant_types?: string[];
  response_types?: string[];
  token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | (string & {});
  token_endpoint_auth_signing_alg?: string;
  jwks?: { keys: Record<string, unknown>[] };
  jwks_uri?: string;
  scope?: string;
  [key: string]: unknown;
}
