import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, type Sandbox, startSandbox } from '../src/index.js';
import { authorize, basic, REDIRECT_URI, tokenAt } from './helpers.js';
import { ehrLaunch, fhirRead, header, login, verifyWithIssuerJwks } from './profile-helpers.js';

let sandbox: Sandbox;
let jwksServer: Server;
let jwksUrl: string;
let privateJwk: JWK;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, profile: 'epic' });
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  privateJwk = { ...(await exportJWK(privateKey)), kid: 'jku-es384', alg: 'ES384' };
  const publicJwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'jku-es384', alg: 'ES384' }] });
  jwksServer = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(publicJwks); });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks.json`;
});
afterAll(async () => {
  await sandbox.stop();
  await new Promise((resolve) => jwksServer.close(resolve));
});

async function assertion(clientId: string, jwk: JWK, jku?: string): Promise<Record<string, string>> {
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg!, kid: jwk.kid!, typ: 'JWT', ...(jku ? { jku } : {}) })
    .setIssuer(clientId).setSubject(clientId).setAudience(sandbox.tokenEndpoint)
    .setExpirationTime('4m').setJti(randomBytes(12).toString('hex'))
    .sign(await importJWK(jwk, jwk.alg));
  return { client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt };
}

describe('epic profile', () => {
  it('refuses a POSTed standalone authorization request and accepts a POSTed EHR launch', async () => {
    const params = new URLSearchParams({
      response_type: 'code', client_id: 'demo-public', redirect_uri: REDIRECT_URI, scope: 'launch/patient patient/*.rs',
      state: 's1', aud: sandbox.fhirBaseUrl, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    });
    const refused = await fetch(sandbox.authorizationEndpoint, { method: 'POST', body: params, redirect: 'manual' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('location')).toBeNull();
    const { iss, launch } = await ehrLaunch(sandbox);
    const t = await login(sandbox, 'launch openid fhirUser patient/*.rs', { launch, aud: iss, method: 'POST' });
    expect(t.status).toBe(200);
    expect(t.body.patient).toBe('p2');
    // GET stays fine for standalone launches.
    expect((await login(sandbox, 'launch/patient patient/*.rs')).status).toBe(200);
  });

  it('issues ~1.5 KB signed JWT access tokens the FHIR API and introspection accept', async () => {
    const t = await tokenAt(sandbox.tokenEndpoint, {
      ...(await codeExchange('demo-symmetric')),
    }, basic('demo-symmetric', 'demo-secret'));
    expect(t.status).toBe(200);
    const at: string = t.body.access_token;
    expect(at.split('.')).toHaveLength(3);
    expect(at.length).toBeGreaterThan(1400);
    expect(at.length).toBeLessThan(1700);
    expect(header(at).alg).toBe('RS256');
    await verifyWithIssuerJwks(sandbox, at, ['RS256']);
    expect((await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, at)).status).toBe(200);
    const tampered = `${at.slice(0, -4)}AAAA`;
    expect((await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, tampered)).status).toBe(401);
    const introspect = await fetch(`${sandbox.origin}/oidc/introspect`, { method: 'POST', headers: basic('demo-symmetric', 'demo-secret'), body: new URLSearchParams({ token: at }) });
    expect(((await introspect.json()) as any).active).toBe(true);
  });

  it('signs id_tokens RS256; echoes v1 scopes with a trailing space; need_patient_banner as a string; smart_style_url', async () => {
    const t = await login(sandbox, 'launch/patient openid fhirUser offline_access patient/*.rs user/Observation.cruds');
    expect(t.status).toBe(200);
    await verifyWithIssuerJwks(sandbox, t.body.id_token, ['RS256']);
    expect(t.body.scope.endsWith(' ')).toBe(true);
    const granted = t.body.scope.trim().split(' ');
    expect(granted).toEqual(expect.arrayContaining(['patient/*.read', 'user/Observation.read', 'user/Observation.write', 'openid', 'fhirUser']));
    expect(granted).not.toContain('patient/*.rs');
    expect(t.body.need_patient_banner).toBe('true');
    expect(t.body.smart_style_url).toBe(`${sandbox.origin}/smart-style.json`);
    const { launch, iss } = await ehrLaunch(sandbox);
    expect((await login(sandbox, 'launch patient/*.rs', { launch, aud: iss })).body.need_patient_banner).toBe('false');
  });

  it('accepts and records an Epic-Client-ID header', async () => {
    const t = await login(sandbox, 'launch/patient patient/*.rs');
    const read = await fhirRead(`${sandbox.fhirBaseUrl}/Patient/p1`, t.body.access_token, { 'Epic-Client-ID': 'demo-public' });
    expect(read.status).toBe(200);
    const meta = await fetch(`${sandbox.fhirBaseUrl}/metadata`, { headers: { 'epic-client-id': 'other-app' } });
    expect(meta.status).toBe(200);
    expect(sandbox.stats().epicClientIds).toEqual(expect.arrayContaining(['demo-public', 'other-app']));
  });

  it('requires jku on assertions of a client with a JWK Set URL, and on ES384 assertions', async () => {
    const reg = await fetch(`${sandbox.origin}/oidc/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUrl, grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
    });
    expect(reg.status).toBe(201);
    const clientId = ((await reg.json()) as any).client_id as string;
    const cc = async (extra: Record<string, string>) => tokenAt(sandbox.tokenEndpoint, { grant_type: 'client_credentials', scope: 'system/Patient.rs', ...extra });
    const without = await cc(await assertion(clientId, privateJwk));
    expect(without.status).toBe(401);
    expect(without.body.error).toBe('invalid_client');
    expect((await cc(await assertion(clientId, privateJwk, 'http://127.0.0.1:1/other.json'))).status).toBe(401);
    const withJku = await cc(await assertion(clientId, privateJwk, jwksUrl));
    expect(withJku.status, JSON.stringify(withJku.body)).toBe(200);
    // demo-backend has inline keys: RS384 without jku is fine, ES384 without jku is not.
    expect((await cc(await assertion('demo-backend', demoKeys.rs384))).status).toBe(200);
    expect((await cc(await assertion('demo-backend', demoKeys.es384))).status).toBe(401);
  });
});

async function codeExchange(clientId: string) {
  const a = await authorize(sandbox, { clientId, scope: 'launch/patient openid fhirUser patient/*.rs' });
  return { grant_type: 'authorization_code', code: a.code!, code_verifier: a.verifier, redirect_uri: REDIRECT_URI };
}
