import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';

let sandbox: Sandbox;
beforeAll(async () => { sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true }); });
afterAll(async () => { await sandbox.stop(); });

describe('discovery', () => {
  it('serves a complete, CORS-friendly smart-configuration', async () => {
    const res = await fetch(`${sandbox.fhirBaseUrl}/.well-known/smart-configuration`, { headers: { origin: 'http://example.test' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const c = (await res.json()) as Record<string, any>;
    const o = sandbox.origin;
    expect(c).toMatchObject({
      issuer: sandbox.issuer,
      jwks_uri: `${o}/oidc/jwks`,
      authorization_endpoint: `${o}/oidc/authorize`,
      token_endpoint: `${o}/oidc/token`,
      registration_endpoint: `${o}/oidc/register`,
      introspection_endpoint: `${o}/oidc/introspect`,
      revocation_endpoint: `${o}/oidc/revoke`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(c.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'private_key_jwt', 'none']));
    expect(c.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
    expect(c.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']));
    expect(c.scopes_supported).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch', 'launch/patient', 'offline_access', 'patient/*.rs']));
    expect(c.code_challenge_methods_supported).not.toContain('plain');
    for (const cap of ['launch-ehr', 'launch-standalone', 'authorize-post', 'client-public', 'client-confidential-symmetric',
      'client-confidential-asymmetric', 'sso-openid-connect', 'context-banner', 'context-style', 'context-ehr-patient',
      'context-ehr-encounter', 'context-standalone-patient', 'permission-offline', 'permission-patient', 'permission-user',
      'permission-v1', 'permission-v2']) {
      expect(c.capabilities).toContain(cap);
    }
  });

  it('publishes OIDC discovery and JWKS at the issuer', async () => {
    const d = (await (await fetch(`${sandbox.issuer}/.well-known/openid-configuration`)).json()) as Record<string, any>;
    expect(d.issuer).toBe(sandbox.issuer);
    expect(d.token_endpoint).toBe(`${sandbox.origin}/oidc/token`);
    const jwks = (await (await fetch(d.jwks_uri)).json()) as { keys: { alg: string; d?: string }[] };
    expect(jwks.keys[0]!.alg).toBe('RS256');
    expect(jwks.keys[0]!.d).toBeUndefined();
  });

  it('carries the oauth-uris extension in /metadata (SMART 1.0 fallback), without a token', async () => {
    const res = await fetch(`${sandbox.fhirBaseUrl}/metadata`);
    expect(res.status).toBe(200);
    const cs = (await res.json()) as any;
    expect(cs.resourceType).toBe('CapabilityStatement');
    const ext = cs.rest[0].security.extension.find((e: any) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
    const uris = Object.fromEntries(ext.extension.map((e: any) => [e.url, e.valueUri]));
    expect(uris).toMatchObject({ authorize: `${sandbox.origin}/oidc/authorize`, token: `${sandbox.origin}/oidc/token` });
  });

  it('serves the smart style file', async () => {
    const res = await fetch(`${sandbox.origin}/smart-style.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).color_background).toBeTypeOf('string');
  });

  it('answers 401 with a Bearer challenge without a token, and for an invalid one', async () => {
    const none = await fetch(`${sandbox.fhirBaseUrl}/Patient/p1`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/u);
    const bad = await fetch(`${sandbox.fhirBaseUrl}/Patient/p1`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
  });
});
