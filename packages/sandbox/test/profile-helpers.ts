import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { Sandbox } from '../src/index.js';
import { authorize, REDIRECT_URI, tokenAt } from './helpers.js';

export const APP_LAUNCH = 'http://127.0.0.1:3000/launch';

/** Code flow for demo-public against the sandbox's (default tenant's) endpoints; returns the token response. */
export async function login(sandbox: Sandbox, scope: string, opts: { launch?: string; aud?: string; method?: 'GET' | 'POST' } = {}) {
  const a = await authorize(sandbox, {
    clientId: 'demo-public', scope, ...(opts.launch ? { launch: opts.launch } : {}), ...(opts.aud ? { aud: opts.aud } : {}),
    ...(opts.method ? { method: opts.method } : {}),
  });
  if (!a.code) throw new Error(`no code: ${a.callback}`);
  return tokenAt(sandbox.tokenEndpoint, {
    grant_type: 'authorization_code', code: a.code, code_verifier: a.verifier, redirect_uri: REDIRECT_URI, client_id: 'demo-public',
  });
}

export function refresh(sandbox: Sandbox, refreshToken: string) {
  return tokenAt(sandbox.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'demo-public' });
}

/** CONTRACTS.md EHR launch without a browser: `/ehr/launch?launch_url=…` -> 302 `launch_url?iss=…&launch=…`. */
export async function ehrLaunch(sandbox: Sandbox, context: { patient?: string; user?: string; tenant?: string } = {}) {
  const res = await fetch(sandbox.ehrLaunchUrl(APP_LAUNCH, { patient: 'p2', user: 'pr2', ...context }), { redirect: 'manual' });
  if (res.status !== 302) throw new Error(`EHR launch answered ${res.status}`);
  const target = new URL(res.headers.get('location')!);
  return { iss: target.searchParams.get('iss')!, launch: target.searchParams.get('launch')! };
}

export function claims(jwt: string): JWTPayload {
  return decodeJwt(jwt);
}

export function header(jwt: string) {
  return decodeProtectedHeader(jwt);
}

/** Verifies a JWT with the issuer's published JWKS (from its OIDC discovery). */
export async function verifyWithIssuerJwks(sandbox: Sandbox, jwt: string, algorithms: string[]) {
  const d = (await (await fetch(`${sandbox.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  return jwtVerify(jwt, createRemoteJWKSet(new URL(d.jwks_uri)), { issuer: sandbox.issuer, algorithms });
}

export async function fhirRead(url: string, accessToken: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, ...headers } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** HTTP Basic with the id and secret exactly as given (no URL-encoding by the helper). */
export function rawBasic(id: string, secret: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` };
}
