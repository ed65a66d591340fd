import { existsSync, readFileSync } from 'node:fs';
import type { SmartConfig } from '@smart-launch/core';

/** Reads one setting (ConfigService.get, or process.env). */
export type Env = (key: string) => string | undefined;

/** The example's SMART configuration, from the environment (the same variables in every example). */
/**
 * `Content-Security-Policy: frame-ancestors` for the app's pages: `FRAME_ANCESTORS` (a CSP source
 * list), else the app itself and the configured EHR, so the EHR can show the app in an iframe.
 */
export function frameAncestors(env: Env): string {
  return env('FRAME_ANCESTORS')?.trim() || `'self' ${new URL((env('SMART_ISS') ?? 'http://127.0.0.1:4010/fhir').split(/[\s,]+/)[0]!).origin}`;
}

export function smartConfig(env: Env): SmartConfig {
  // SMART_ISS: one FHIR base URL, or several separated by spaces or commas (e.g. an EHR-launch alias);
  // an entry may be a tenant template (`https://fhir-ehr.cerner.com/r4/:tenant`). The first plain URL
  // is where a standalone launch goes. One client registration for all of them.
  const isses = (env('SMART_ISS') ?? 'http://127.0.0.1:4010/fhir').split(/[\s,]+/).filter(Boolean);
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
  // SMART_SAME_SITE=none: the app runs in the EHR's iframe (cookies Secure; SameSite=None; Partitioned).
  const sameSite = env('SMART_SAME_SITE') as 'lax' | 'strict' | 'none' | undefined;
  return {
    issuers: isses.map((iss) => ({
      iss,
      clientId: env('SMART_CLIENT_ID') ?? 'demo-public',
      ...(clientSecret ? { clientSecret } : {}),
      ...(privateKey ? { privateKey } : {}),
      // SMART_JWKS_URL: where this app's JWKS is registered (sent as `jku`; Epic).
      ...(env('SMART_JWKS_URL') ? { jwksUrl: env('SMART_JWKS_URL')! } : {}),
      ...(authorizeMethod ? { authorizeMethod } : {}),
    })),
    // With a private key, the app serves its public keys at /.well-known/jwks.json (for jwks_uri).
    ...(privateKey ? { routes: { jwks: '/.well-known/jwks.json' } } : {}),
    scope: env('SMART_SCOPE') ?? 'launch launch/patient openid fhirUser offline_access patient/*.rs',
    // SMART_MAX_LAUNCHES: concurrent launches (tabs, patients) per browser, oldest ended first (default 5).
    session: { secret, ...(sameSite ? { sameSite } : {}), ...(env('SMART_MAX_LAUNCHES') ? { maxLaunches: Number(env('SMART_MAX_LAUNCHES')) } : {}) },
    logger: { warn: (m) => console.warn(m), error: (m) => console.error(m) },
  };
}
