import { Auth0Client } from '@auth0/nextjs-auth0/server';
import { SECRET } from '../../shape.mjs';

// nextjs-auth0 v4 offline: stateless (cookie) sessions; no request ever reaches the domain.
let client;
export function auth0() {
  return (client ??= new Auth0Client({
    domain: 'bench.invalid',
    clientId: 'bench',
    clientSecret: 'bench-client-secret',
    appBaseUrl: process.env.APP_BASE_URL,
    secret: Buffer.from(SECRET).toString('hex').slice(0, 64),
  }));
}
