import type { CapabilityStatement } from '@medplum/fhirtypes';
import { OIDC_ROUTES } from '../oidc/provider.js';
import type { SandboxState } from '../state.js';

const TYPES = ['Patient', 'Practitioner', 'Organization', 'Encounter', 'Observation', 'Condition', 'MedicationRequest', 'AllergyIntolerance'];

/** Static CapabilityStatement; carries the SMART oauth-uris extension (SMART 1.0 fallback discovery). */
export function capabilityStatement(state: SandboxState): CapabilityStatement {
  const at = (route: string) => `${state.asBase}${route}`;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2024-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    software: { name: 'smart-launch sandbox (Medplum fhir-router)' },
    implementation: { description: 'SMART App Launch sandbox', url: state.fhirBaseUrl },
    rest: [{
      mode: 'server',
      security: {
        cors: true,
        service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
        extension: [{
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [
            { url: 'authorize', valueUri: at(OIDC_ROUTES.authorization) },
            { url: 'token', valueUri: at(OIDC_ROUTES.token) },
            { url: 'register', valueUri: at(OIDC_ROUTES.registration) },
            { url: 'introspect', valueUri: at(OIDC_ROUTES.introspection) },
            // medplum: no revocation endpoint (see oidc/provider.ts).
            ...(state.profile === 'medplum' ? [] : [{ url: 'revoke', valueUri: at(OIDC_ROUTES.revocation) }]),
          ],
        }],
      },
      resource: TYPES.map((type) => ({
        type,
        interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }, { code: 'delete' }],
      })),
    }],
  } as CapabilityStatement;
}
