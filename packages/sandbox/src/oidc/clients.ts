import type { ClientMetadata } from 'oidc-provider';
import { demoPublicJwks } from '../keys.js';
import { MEDPLUM_CLIENT } from '../profiles/profiles.js';

/** Placeholder redirect URI; demo clients accept any loopback redirect URI (see `isLoopbackRedirect`). */
const DEMO_REDIRECT = 'http://127.0.0.1:3000/callback';

export const DEMO_CLIENT_IDS = ['demo-public', 'demo-symmetric', 'demo-asymmetric', 'demo-backend', MEDPLUM_CLIENT.id] as const;

/** The sandbox's preregistered clients (a fixed interface: the example apps and outside checks rely on them). */
export function demoClients(): ClientMetadata[] {
  const app = {
    redirect_uris: [DEMO_REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'] as string[],
    response_types: ['code'] as ClientMetadata['response_types'],
  } satisfies Partial<ClientMetadata>;
  return [
    { ...app, client_id: 'demo-public', client_name: 'Demo public app', token_endpoint_auth_method: 'none' },
    {
      ...app,
      client_id: 'demo-symmetric',
      client_name: 'Demo confidential app (client secret)',
      client_secret: 'demo-secret',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      ...app,
      client_id: 'demo-asymmetric',
      client_name: 'Demo confidential app (private_key_jwt)',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: demoPublicJwks(),
    },
    {
      // Medplum ClientApplication ids are UUIDs; registered in every profile, used by the medplum tests.
      ...app,
      client_id: MEDPLUM_CLIENT.id,
      client_name: 'Demo confidential app with a UUID client id',
      client_secret: MEDPLUM_CLIENT.secret,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // SMART Backend Services: client_credentials with private_key_jwt only.
      client_id: 'demo-backend',
      client_name: 'Demo backend service',
      redirect_uris: [],
      response_types: [],
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: demoPublicJwks(),
    },
  ];
}

/**
 * Demo clients run on whatever port the developer picks, so for them (and only them) any
 * http loopback redirect URI is accepted. Every other client gets exact matching (RFC 9700 §2.1).
 */
export function isLoopbackRedirect(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost') && !url.hash;
  } catch {
    return false;
  }
}
