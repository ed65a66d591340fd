import { randomBytes } from 'node:crypto';

/** SMART 2.1+ fhirContext item (scopes-and-launch-context §fhirContext). */
export interface FhirContextItem {
  reference?: string;
  canonical?: string;
  identifier?: unknown;
  type?: string;
  role?: string;
}

/** What an EHR launch carries into the authorization (the `launch` parameter's meaning). */
export interface LaunchRequest {
  patient?: string;
  encounter?: string;
  user?: string;
  fhirContext?: unknown[];
  intent?: string;
  needPatientBanner?: boolean;
}

/** Context returned beside the access token (SMART 2.2 app-launch step 5, "launch context"). */
export interface TokenContext {
  patient?: string;
  encounter?: string;
  fhirContext?: FhirContextItem[];
  need_patient_banner?: boolean;
  smart_style_url?: string;
  intent?: string;
  tenant?: string;
  /** Absolute URL of the user, also the id_token `fhirUser` claim. */
  fhirUser?: string;
}

const LAUNCH_TTL_MS = 60 * 60 * 1000;

/**
 * Launch ids (opaque, single-authorization EHR context handles) and per-grant context.
 * Everything lives in memory: the sandbox is a throwaway server.
 */
export class LaunchStore {
  readonly #launches = new Map<string, { request: LaunchRequest; expiresAt: number }>();
  readonly #grants = new Map<string, TokenContext>();

  create(request: LaunchRequest): string {
    // Opaque and unguessable: a launch id must not reveal or enumerate context.
    const id = randomBytes(16).toString('base64url');
    this.#launches.set(id, { request, expiresAt: Date.now() + LAUNCH_TTL_MS });
    return id;
  }

  find(id: string): LaunchRequest | undefined {
    const entry = this.#launches.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.#launches.delete(id);
      return undefined;
    }
    return entry.request;
  }

  bindGrant(grantId: string, context: TokenContext): void {
    this.#grants.set(grantId, context);
  }

  forGrant(grantId: string | undefined): TokenContext | undefined {
    return grantId ? this.#grants.get(grantId) : undefined;
  }
}

/** Normalises 2.0 string references and 2.1 objects to the 2.1 object shape. */
export function normaliseFhirContext(items: unknown[] | undefined): FhirContextItem[] | undefined {
  if (!items?.length) return undefined;
  return items.map((item) => (typeof item === 'string' ? { reference: item } : (item as FhirContextItem)));
}
