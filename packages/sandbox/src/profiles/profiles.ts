/**
 * Vendor profiles: the sandbox can behave like a real SMART server instead of the spec-exact
 * `strict` default. Each behaviour is implemented where it happens (search for `profile ===`) with a
 * comment citing the vendor's public documentation or source; the README lists them all.
 */
export const SANDBOX_PROFILES = ['strict', 'launcher', 'epic', 'cerner', 'v1', 'medplum'] as const;
export type SandboxProfile = (typeof SANDBOX_PROFILES)[number];

export function parseProfile(value: string | undefined): SandboxProfile {
  const name = (value ?? '').trim() || 'strict';
  if (!(SANDBOX_PROFILES as readonly string[]).includes(name)) {
    throw new TypeError(`unknown sandbox profile '${name}'; expected one of ${SANDBOX_PROFILES.join(', ')}`);
  }
  return name as SandboxProfile;
}

/**
 * Cerner tenants (fhir.cerner.com authorization docs: FHIR base `…/r4/<tenant>`, authorization server
 * `https://authorization.cerner.com/tenants/<tenant>/…`). The first is Cerner's public sandbox tenant id;
 * both serve the same synthetic data.
 */
export const CERNER_TENANTS = ['ec2458f2-1e24-41c8-b71b-0e701af7583d', '5b22adf1-4884-4ac2-b6f3-04fa545ac9fc'] as const;

/**
 * smart-launcher-v2 backend/routes/launcher.ts hands EHR launches `iss = /v/r4/fhir` while standalone
 * launches use another base of the same server; here standalone keeps `/fhir`.
 */
export const LAUNCHER_EHR_FHIR_PATH = '/v/r4/fhir';

/** Cerner's AccessToken lifetime (fhir.cerner.com/authorization: "expires_in": 570). */
export const CERNER_ACCESS_TOKEN_TTL = 570;

/** A confidential client with a UUID-like id, as Medplum ClientApplication ids are (medplum profile tests). */
export const MEDPLUM_CLIENT = { id: '3f2c9a1e-6b7d-4c1a-9e2f-8d5b0a7c4e11', secret: 'medplum-demo-secret' } as const;
