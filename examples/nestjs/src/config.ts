import { existsSync, readFileSync } from 'node:fs';
import type { SmartConfig } from '@smart-launch/core';

/** Reads one setting (ConfigService.get, or process.env). */
export type Env = (key: string) => string | undefined;

/** The example's SMART configuration, from the environment (shared CONTRACTS: the same in every example). */
export function smartConfig(env: Env): SmartConfig {
  const iss = env('SMART_ISS') ?? 'http://127.0.0.1:4010/fhir';
  let privateKey: string | undefined = env('SMART_PRIVATE_KEY') || undefined;
  // A path to a key file is accepted too.
  if (privateKey && !privateKey.trim().startsWith('{') && !privateKey.includes('-----BEGIN') && existsSync(privateKey)) {
    privateKey = readFileSync(privateKey, 'utf8');
  }
  let secret = env('SESSION_SECRET');
  if (!secret) {
    if (env('NODE_ENV') === 'production') throw new Error('SESSION_SECRET is required in production');
    secret = 'development-only-secret-change-me-0123456789';
    console.warn('example: SESSION_SECRET is not set; using a development secret');
  }
  const clientSecret = env('SMART_CLIENT_SECRET');
  const authorizeMethod = env('SMART_AUTHORIZE_METHOD') as 'GET' | 'POST' | 'auto' | undefined;
  return {
    issuers: [
      {
        iss,
        clientId: env('SMART_CLIENT_ID') ?? 'demo-public',
        ...(clientSecret ? { clientSecret } : {}),
        ...(privateKey ? { privateKey } : {}),
        ...(authorizeMethod ? { authorizeMethod } : {}),
      },
    ],
    scope: env('SMART_SCOPE') ?? 'launch launch/patient openid fhirUser offline_access patient/*.rs',
    session: { secret },
    logger: { warn: (m) => console.warn(m), error: (m) => console.error(m) },
  };
}
