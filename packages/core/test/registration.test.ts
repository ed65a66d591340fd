import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { ConfigError, createSmart, jwksHandler, type SmartIssuerConfig } from '../src/index.js';
import { createBackendClient } from '../src/backend/index.js';
import { fileRegistrationStore, issuerConfigFrom, registerClient, registerOnce, RegistrationError } from '../src/registration/index.js';
import { fullLaunch } from './launch-helper.js';

const APP = 'http://127.0.0.1:3998';
const SECRET = 'registration-test-secret-0123456789abcdef';
const SCOPE = 'launch/patient openid fhirUser patient/*.rs';
let sandbox: Sandbox;
let locked: Sandbox;
let jwksServer: Server;
let jwksUrl: string;
let appKey: JWK;

async function newKey(alg: 'RS384' | 'ES384'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, kid: `${alg}-${Math.random().toString(36).slice(2)}` };
}

function smartFor(issuer: SmartIssuerConfig) {
  return createSmart({ issuers: [{ ...issuer, scope: SCOPE, authorizeMethod: 'GET' }], session: { secret: SECRET } });
}

beforeAll(async () => {
  [sandbox, locked] = await Promise.all([
    startSandbox({ port: 0, autoApprove: true, quiet: true }),
    startSandbox({ port: 0, autoApprove: true, quiet: true, registrationAccessToken: 'initial-access-token-xyz' }),
  ]);
  appKey = await newKey('ES384');
  // The app's own JWKS, served the way an adapter serves /.well-known/jwks.json.
  const handler = jwksHandler([appKey]);
  jwksServer = createServer(async (_req, res) => {
    const web = await handler();
    res.writeHead(web.status, Object.fromEntries(web.headers)).end(await web.text());
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(async () => {
  jwksServer?.closeAllConnections();
  await Promise.all([sandbox?.stop(), locked?.stop(), new Promise((r) => jwksServer?.close(r))]);
});

describe('dynamic registration then a full launch with the new client (RFC 7591)', () => {
  it('public client', async () => {
    const reg = await registerClient(sandbox.fhirBaseUrl, { client_name: 'DCR public', redirect_uris: [`${APP}/callback`], token_endpoint_auth_method: 'none' });
    expect(reg.clientId).toBeTruthy();
    expect(reg.clientSecret).toBeUndefined();
    const ctx = await fullLaunch(smartFor(issuerConfigFrom(reg)), APP);
    expect(ctx.patient).toBe('p1');
    expect((await ctx.fhir.read('Patient', ctx.patient!)).id).toBe('p1');
  });

  it('symmetric client (client_secret_basic): the secret comes back and works', async () => {
    const reg = await registerClient(sandbox.fhirBaseUrl, { client_name: 'DCR symmetric', redirect_uris: [`${APP}/callback`], token_endpoint_auth_method: 'client_secret_basic' });
    expect(reg.clientSecret).toEqual(expect.any(String));
    // The secret is kept apart, not in the metadata copy.
    expect(JSON.stringify(reg.metadata)).not.toContain(reg.clientSecret!);
    const ctx = await fullLaunch(smartFor(issuerConfigFrom(reg)), APP);
    expect(ctx.scopes.has('patient/Patient.rs')).toBe(true);
  });

  it('asymmetric client with inline jwks (from privateKey, public parts only)', async () => {
    const key = await newKey('RS384');
    const reg = await registerClient(sandbox.fhirBaseUrl, { client_name: 'DCR asymmetric', redirect_uris: [`${APP}/callback`] }, { privateKey: key });
    expect(reg.tokenEndpointAuthMethod).toBe('private_key_jwt');
    const registered = reg.metadata.jwks as { keys: JWK[] };
    expect(registered.keys[0]!.kid).toBe(key.kid);
    expect(registered.keys[0]!.d).toBeUndefined();
    expect(() => issuerConfigFrom(reg)).toThrow(/privateKey/);
    const ctx = await fullLaunch(smartFor(issuerConfigFrom(reg, { privateKey: key })), APP);
    expect(ctx.patient).toBe('p1');
  });

  it('asymmetric client with a jwks_uri served from the app', async () => {
    const reg = await registerClient(sandbox.fhirBaseUrl, { client_name: 'DCR jwks_uri', redirect_uris: [`${APP}/callback`], token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUrl });
    expect(reg.metadata.jwks_uri).toBe(jwksUrl);
    expect(reg.metadata.jwks).toBeUndefined();
    // What the server will fetch there: the public key, cacheable.
    const res = await fetch(jwksUrl);
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    expect(((await res.json()) as { keys: JWK[] }).keys).toEqual([expect.objectContaining({ kid: appKey.kid, x: appKey.x, y: appKey.y })]);
    // The sandbox fetches the app's jwks_uri (loopback) to check the assertion of a full launch.
    const ctx = await fullLaunch(smartFor(issuerConfigFrom(reg, { privateKey: appKey })), APP);
    expect(ctx.patient).toBe('p1');
  });

  it('backend client (client_credentials + private_key_jwt), then a system token', async () => {
    const key = await newKey('ES384');
    const reg = await registerClient(sandbox.fhirBaseUrl, { client_name: 'DCR backend', grant_types: ['client_credentials'] }, { privateKey: key });
    expect(reg.metadata.response_types).toEqual([]);
    const backend = createBackendClient({ iss: reg.iss, clientId: reg.clientId, privateKey: key, scope: 'system/Patient.rs' });
    expect((await backend.fhir.searchAll('Patient')).length).toBe(5);
  });
});

describe('initial access token (RFC 7591 §3)', () => {
  const meta = { client_name: 'needs IAT', redirect_uris: [`${APP}/callback`], token_endpoint_auth_method: 'none' as const };

  it('is required when the server says so, and never appears in the error', async () => {
    const missing = (await registerClient(locked.fhirBaseUrl, meta).catch((e: unknown) => e)) as RegistrationError;
    expect(missing).toBeInstanceOf(RegistrationError);
    const wrong = (await registerClient(locked.fhirBaseUrl, meta, { initialAccessToken: 'wrong-token-123' }).catch((e: unknown) => e)) as RegistrationError;
    expect(wrong).toBeInstanceOf(RegistrationError);
    expect(JSON.stringify(wrong.toJSON()) + wrong.message).not.toContain('wrong-token-123');
    const ok = await registerClient(locked.fhirBaseUrl, meta, { initialAccessToken: 'initial-access-token-xyz' });
    expect(ok.clientId).toBeTruthy();
  });
});

describe('metadata is checked before anything is sent', () => {
  const base = { redirect_uris: [`${APP}/callback`] };
  it('refuses a private key inside jwks', async () => {
    const key = await newKey('RS384');
    await expect(registerClient(sandbox.fhirBaseUrl, { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key] } })).rejects.toThrow(/private key/);
  });
  it('refuses client_credentials without private_key_jwt, missing redirect URIs, jwks and jwks_uri together, a fragment', async () => {
    await expect(registerClient(sandbox.fhirBaseUrl, { grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' })).rejects.toBeInstanceOf(ConfigError);
    await expect(registerClient(sandbox.fhirBaseUrl, { token_endpoint_auth_method: 'none' })).rejects.toThrow(/redirect_uris/);
    await expect(registerClient(sandbox.fhirBaseUrl, { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUrl, jwks: { keys: [] } })).rejects.toThrow(/exactly one/);
    await expect(registerClient(sandbox.fhirBaseUrl, { redirect_uris: [`${APP}/cb#x`], token_endpoint_auth_method: 'none' })).rejects.toThrow(/fragment/);
  });
  it('an auth method the server does not advertise, and a server-side rejection', async () => {
    await expect(registerClient(sandbox.fhirBaseUrl, { ...base, token_endpoint_auth_method: 'client_secret_post' })).rejects.toBeInstanceOf(RegistrationError);
    const err = (await registerClient(sandbox.fhirBaseUrl, { ...base, token_endpoint_auth_method: 'none', response_types: ['token'] }).catch((e: unknown) => e)) as RegistrationError;
    expect(err).toBeInstanceOf(RegistrationError);
    expect(err.oauth?.error).toBe('invalid_client_metadata');
  });
});

describe('persisting registrations per issuer', () => {
  it('fileRegistrationStore writes 0600 JSON; registerOnce reuses the stored client', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smart-reg-'));
    const store = fileRegistrationStore(join(dir, 'clients.json'));
    const meta = { client_name: 'persisted', redirect_uris: [`${APP}/callback`], token_endpoint_auth_method: 'client_secret_basic' as const };
    const first = await registerOnce(store, `${sandbox.fhirBaseUrl}/`, meta);
    const again = await registerOnce(store, sandbox.fhirBaseUrl, meta);
    expect(again.clientId).toBe(first.clientId);
    const file = join(dir, 'clients.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')))).toEqual([sandbox.fhirBaseUrl]);
    // An expired secret means a new registration.
    await store.set(sandbox.fhirBaseUrl, { ...first, clientSecretExpiresAt: 1 });
    const renewed = await registerOnce(store, sandbox.fhirBaseUrl, meta);
    expect(renewed.clientId).not.toBe(first.clientId);
  });
});
