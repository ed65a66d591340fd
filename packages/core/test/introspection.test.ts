import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createBackendClient, importSigningKey, signClientAssertion } from '../src/backend/index.js';
import { createIntrospector, introspect, tokenInfoFromClaims } from '../src/resource-server/index.js';
import { createSmart, ErrorCode, SmartError } from '../src/index.js';
import { fullLaunch } from './launch-helper.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true });
});
afterAll(async () => {
  await sandbox?.stop();
});

const asBackend = () => ({ iss: sandbox.fhirBaseUrl, clientId: 'demo-backend', privateKey: demoKeys.rs384 });
const backendToken = () => createBackendClient({ ...asBackend(), scope: 'system/*.rs' }).getAccessToken();

async function revoke(token: string) {
  const assertion = await signClientAssertion(await importSigningKey(demoKeys.es384), 'demo-backend', `${sandbox.origin}/oidc/token`);
  const res = await fetch(`${sandbox.origin}/oidc/revoke`, {
    method: 'POST',
    body: new URLSearchParams({ token, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
  });
  if (res.status !== 200) throw new Error(`revoke answered ${res.status}`);
}

describe('introspect() against the sandbox (RFC 7662 + SMART)', () => {
  it('an active backend token: scope, client_id, exp', async () => {
    const info = await introspect(await backendToken(), asBackend());
    expect(info.active).toBe(true);
    expect(info.scope).toBe('system/*.rs');
    expect(info.scopes.has('system/Observation.rs')).toBe(true);
    expect(info.clientId).toBe('demo-backend');
    expect(info.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it('an app token carries its launch context (patient, symmetric client authentication)', async () => {
    const smart = createSmart({ issuers: [{ iss: sandbox.fhirBaseUrl, clientId: 'demo-public', scope: 'launch/patient openid fhirUser patient/*.rs', authorizeMethod: 'GET' }], session: { secret: 'introspection-test-secret-0123456789abcdef' } });
    const ctx = await fullLaunch(smart, 'http://127.0.0.1:3997');
    const info = await createIntrospector({ iss: sandbox.fhirBaseUrl, clientId: 'demo-symmetric', clientSecret: 'demo-secret' }).introspect(ctx.accessToken);
    expect(info).toMatchObject({ active: true, clientId: 'demo-public', patient: 'p1' });
    expect(info.scopes.has('patient/Observation.rs')).toBe(true);
    expect(info.sub).toBeTruthy();
  });

  it('a revoked token is inactive, and so is garbage', async () => {
    const token = await backendToken();
    const introspector = createIntrospector(asBackend());
    expect((await introspector.introspect(token)).active).toBe(true);
    await revoke(token);
    const after = await introspector.introspect(token);
    expect(after).toMatchObject({ active: false, scope: '' });
    expect(after.clientId).toBeUndefined();
    expect((await introspector.introspect('not-a-token')).active).toBe(false);
  });

  it('bad client credentials fail with introspection_failed, without the secret in the error', async () => {
    const err = (await introspect(await backendToken(), { iss: sandbox.fhirBaseUrl, clientId: 'demo-symmetric', clientSecret: 'wrong-secret-42' }).catch((e: unknown) => e)) as SmartError;
    expect(err).toBeInstanceOf(SmartError);
    expect(err.code).toBe(ErrorCode.INTROSPECTION_FAILED);
    expect(err.oauth?.error).toBe('invalid_client');
    expect(JSON.stringify(err.toJSON())).not.toContain('wrong-secret-42');
  });

  it('options are validated: exactly one authentication, exactly one of iss/endpoint', () => {
    expect(() => createIntrospector({ iss: 'https://a/fhir', clientId: 'x' })).toThrow(/exactly one way/);
    expect(() => createIntrospector({ iss: 'https://a/fhir', clientId: 'x', clientSecret: 's', privateKey: demoKeys.rs384 })).toThrow(/exactly one way/);
    expect(() => createIntrospector({ clientId: 'x', clientSecret: 's' })).toThrow(/exactly one of/);
    expect(() => createIntrospector({ endpoint: 'http://as.example/introspect', bearerToken: 't' })).toThrow(/https/);
  });
});

describe('SMART 2.2 bearer-token introspection (the sandbox only takes client auth, so a stand-in)', () => {
  let server: Server;
  let endpoint: string;
  const seen: { auth?: string; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), body });
        if (req.headers.authorization !== 'Bearer rs-token') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        const token = new URLSearchParams(body).get('token');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(token === 'good'
          ? { active: true, scope: 'patient/*.read  openid', client_id: 'app', patient: 'Patient/456', exp: 4102444800, need_patient_banner: 'false' }
          : { active: false, scope: 'leaked' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('sends the Bearer credential (no client auth) and normalises the answer', async () => {
    const info = await createIntrospector({ endpoint, bearerToken: async () => 'rs-token' }).introspect('good');
    expect(seen.at(-1)!.auth).toBe('Bearer rs-token');
    expect(new URLSearchParams(seen.at(-1)!.body).get('client_assertion')).toBeNull();
    // SMART 2.0 examples send Patient/456, 2.2 sends 456 (SMART token introspection `patient`); v1 scopes parse.
    expect(info).toMatchObject({ active: true, patient: '456', needPatientBanner: false, scope: 'patient/*.read openid' });
    expect(info.scopes.has('patient/Observation.rs')).toBe(true);
  });

  it('an inactive answer keeps nothing else, and a refused credential is an error', async () => {
    const info = await introspect('bad', { endpoint, bearerToken: 'rs-token' });
    expect(info).toMatchObject({ active: false, scope: '' });
    await expect(introspect('good', { endpoint, bearerToken: 'nope' })).rejects.toMatchObject({ code: ErrorCode.INTROSPECTION_FAILED });
  });

  it('tokenInfoFromClaims reads scp lists and azp', () => {
    const info = tokenInfoFromClaims({ scp: ['system/Patient.rs', 'system/Observation.rs'], azp: 'svc', aud: 'https://api' });
    expect(info).toMatchObject({ active: true, clientId: 'svc', aud: ['https://api'], scope: 'system/Patient.rs system/Observation.rs' });
  });
});
