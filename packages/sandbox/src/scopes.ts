/**
 * SMART on FHIR scope grammar (SMART App Launch 2.2 "Scopes and Launch Context").
 * Shared by the authorization server (which scopes it accepts and grants) and the FHIR server
 * (which requests a granted scope allows).
 */

export type ScopeContext = 'patient' | 'user' | 'system';
/** SMART v2 permissions, in the order the grammar requires: c r u d s. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  raw: string;
  context: ScopeContext;
  /** A FHIR resource type or `*`. */
  resourceType: string;
  permissions: Set<Permission>;
  /** `?param=value` constraints (SMART 2.x "finer-grained resource constraints"). */
  constraints: URLSearchParams;
  version: 1 | 2;
}

// SMART 2.2 scopes §Syntax: (patient|user|system)/(Type|*).(cruds in order)[?constraints]
const V2 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(c?r?u?d?s?)(?:\?([^\s]+))?$/u;
// SMART 1.0: (patient|user|system)/(Type|*).(read|write|*)
const V1 = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.(read|write|\*)$/u;

const V1_PERMISSIONS: Record<string, Permission[]> = {
  read: ['r', 's'],
  write: ['c', 'u', 'd'],
  '*': ['c', 'r', 'u', 'd', 's'],
};

/** Non-resource scopes the server understands (SMART 2.2 scopes §launch context, §identity). */
export const BASE_SCOPES = [
  'openid',
  'fhirUser',
  'profile',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
] as const;

export function parseResourceScope(raw: string): ResourceScope | undefined {
  const v1 = V1.exec(raw);
  if (v1) {
    return {
      raw,
      context: v1[1] as ScopeContext,
      resourceType: v1[2]!,
      permissions: new Set(V1_PERMISSIONS[v1[3]!]),
      constraints: new URLSearchParams(),
      version: 1,
    };
  }
  const v2 = V2.exec(raw);
  // An empty permission string (`patient/Observation.`) is not a scope.
  if (!v2 || !v2[3]) return undefined;
  return {
    raw,
    context: v2[1] as ScopeContext,
    resourceType: v2[2]!,
    permissions: new Set(v2[3].split('') as Permission[]),
    constraints: new URLSearchParams(v2[4] ?? ''),
    version: 2,
  };
}

export function isResourceScope(raw: string): boolean {
  return parseResourceScope(raw) !== undefined;
}

export function parseScopeString(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

/** Representative list for `scopes_supported` (SMART 2.2 conformance: "not exhaustive"). */
export const REPRESENTATIVE_SCOPES = [
  ...BASE_SCOPES,
  'patient/*.rs',
  'patient/*.cruds',
  'patient/*.read',
  'patient/Patient.rs',
  'patient/Observation.rs',
  'patient/Condition.rs',
  'patient/MedicationRequest.rs',
  'patient/AllergyIntolerance.rs',
  'patient/Encounter.rs',
  'user/*.rs',
  'user/*.read',
  'user/*.cruds',
  'user/Patient.rs',
  'user/Observation.rs',
  'system/*.rs',
  'system/*.read',
];
