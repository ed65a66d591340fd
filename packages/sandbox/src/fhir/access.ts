import { type Permission, parseResourceScope, type ResourceScope } from '../scopes.js';
import { patientCompartment } from './definitions.js';

export interface AccessDecision {
  allowed: boolean;
  reason?: string;
  /** Search filters the request must also satisfy (compartment and scope constraints), ANDed. */
  filters: [string, string][];
}

function compartmentFilter(resourceType: string, patient: string): [string, string] | undefined {
  if (resourceType === 'Patient') return ['_id', patient];
  const params = patientCompartment().get(resourceType);
  return params?.[0] ? [params[0], `Patient/${patient}`] : undefined;
}

function filtersFor(scope: ResourceScope, resourceType: string, patient: string | undefined): [string, string][] | undefined {
  const filters: [string, string][] = [...scope.constraints.entries()];
  if (scope.context === 'patient') {
    // SMART 2.2 scopes: patient/ scopes reach only the in-context patient's compartment.
    if (!patient) return undefined;
    const inCompartment = compartmentFilter(resourceType, patient);
    // Types outside the Patient compartment (Practitioner, Organization, ...) are shared reference data.
    if (inCompartment) filters.push(inCompartment);
  }
  return filters;
}

/**
 * Decides whether granted SMART scopes allow `permission` on `resourceType`
 * (SMART 2.2 scopes §Scope equivalence: v1 `.read` = `.rs`, `*` = any type).
 * The least restricted matching scope wins.
 */
export function decideAccess(
  grantedScopes: string[],
  resourceType: string,
  permission: Permission,
  patient: string | undefined,
): AccessDecision {
  const candidates = grantedScopes
    .map(parseResourceScope)
    .filter((s): s is ResourceScope => !!s && (s.resourceType === '*' || s.resourceType === resourceType) && s.permissions.has(permission))
    .map((s) => filtersFor(s, resourceType, patient))
    .filter((f): f is [string, string][] => f !== undefined)
    .sort((a, b) => a.length - b.length);
  const best = candidates[0];
  if (!best) return { allowed: false, reason: `no granted scope allows '${permission}' on ${resourceType}`, filters: [] };
  return { allowed: true, filters: best };
}
