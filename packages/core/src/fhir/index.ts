/** @smart-launch/core/fhir — the FHIR client and SMART scopes (v1 and v2). */
export * from './client.js';
export * from './scopes.js';
export type { SmartContext, FhirContextItem } from './context.js';
