import { existsSync, readFileSync } from 'node:fs';
import type { SmartConfig } from '@smart-launch/core';
import { smartNext } from '@smart-launch/next';

/** The example's configuration, from the environment (see shared CONTRACTS: the same in every example). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SmartConfig {
  const iss = env.SMART_ISS ?? 'http://127.0.0.1:4010/fhir';
  let privateKey: string | undefined = env.SMART_PRIVATE_KEY || undefined;
  // A path to a key file is accepted too.
  if (privateKey && !privateKey.trim().startsWith('{') && !privateKey.includes('-----BEGIN') && existsSync(/*turbopackIgnore: true*/ privateKey)) {
    privateKey = readFileSync(/*turbopackIgnore: true*/ privateKey, 'utf8');
  }
  let secret = env.SESSION_SECRET;
  if (!secret) {
    if (env.NODE_ENV === 'production') throw new Error('SESSION_SECRET is required in production');
    secret = 'development-only-secret-change-me-0123456789';
    console.warn('example: SESSION_SECRET is not set; using a development secret');
  }
  return {
    issuers: [
      {
        iss,
        clientId: env.SMART_CLIENT_ID ?? 'demo-public',
        ...(env.SMART_CLIENT_SECRET ? { clientSecret: env.SMART_CLIENT_SECRET } : {}),
        ...(privateKey ? { privateKey } : {}),
        ...(env.SMART_AUTHORIZE_METHOD ? { authorizeMethod: env.SMART_AUTHORIZE_METHOD as 'GET' | 'POST' | 'auto' } : {}),
      },
    ],
    scope: env.SMART_SCOPE ?? 'launch launch/patient openid fhirUser offline_access patient/*.rs',
    session: { secret },
    logger: { warn: (m) => console.warn(m), error: (m) => console.error(m) },
  };
}

// Read lazily: `next build` runs without the runtime env; instrumentation.ts validates at startup.
export const { handlers, getSmart, withSmart, createProxy, ready } = smartNext(() => configFromEnv());
