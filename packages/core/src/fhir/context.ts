import type { FhirClient } from './client.js';
import type { ScopeSet } from './scopes.js';
import type { SessionData } from '../session/types.js';

/** One fhirContext entry, normalised to the SMART 2.1+ object shape (SMART 2.1 fhirContext, https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). */
export interface FhirContextItem {
  reference?: string;
  canonical?: string;
  identifier?: Record<string, unknown>;
  type?: string;
  /** Absent in the response means "launch". */
  role: string;
}

/** What a handler sees as `req.smart` / `getSmart()`. */
export interface SmartContext {
  accessToken: string;
  tokenType: string;
  /** Epoch seconds, when the server said. */
  expiresAt?: number;
  /** Granted scope string, as the server answered it (normalised). */
  scope: string;
  scopes: ScopeSet;
  hasScope(scope: string): boolean;
  can(interaction: 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'patch' | 'delete', resourceType: string): boolean;
  patient?: string;
  encounter?: string;
  fhirContext: FhirContextItem[];
  needPatientBanner?: boolean;
  smartStyleUrl?: string;
  intent?: string;
  tenant?: string;
  /** Absolute URL of the signed-in user's FHIR resource. */
  fhirUser?: string;
  idTokenClaims?: Record<string, unknown>;
  /** FHIR base URL the token was issued for (`aud`). */
  serverUrl: string;
  /** Unsolicited context and extension fields of the token response. */
  extra: Record<string, unknown>;
  /** FHIR client bound to `serverUrl` that refreshes the token on a 401. */
  fhir: FhirClient;
  /**
   * The handle of this launch (ADR 0008): each launch in a browser is its own session, and a
   * request names its launch with `?smart_launch=<handle>` (or the `X-Smart-Launch` header).
   */
  launchHandle: string;
  /** `path` with this launch's handle, for links a browser would not carry it on by itself. */
  link(path: string): string;
}

/** Token response fields that are protocol, not context: never copied to `extra`. */
const PROTOCOL_FIELDS = new Set([
  'access_token', 'token_type', 'expires_in', 'refresh_token', 'id_token', 'scope', 'patient', 'encounter',
  'fhirContext', 'need_patient_banner', 'smart_style_url', 'intent', 'tenant', 'state', 'authorization_details',
]);

const asString = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : undefined);

/** `patient` comes as `123` or `Patient/123` (Okta, SMART 2.0 introspection); keep the id. */
export function normalizeId(v: unknown, type: string): string | undefined {
  const s = asString(v);
  if (!s) return undefined;
  const prefix = `${type}/`;
  const i = s.lastIndexOf(prefix);
  return i >= 0 ? s.slice(i + prefix.length) : s;
}

/** Booleans come as strings at Epic (`"false"`). */
export function coerceBoolean(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1 || v === '1') return true;
  if (v === 'false' || v === 0 || v === '0') return false;
  return undefined;
}

/** SMART 2.0 sends relative-reference strings, 2.1+ objects with reference/canonical/identifier. */
export function normalizeFhirContext(v: unknown): FhirContextItem[] {
  if (!Array.isArray(v)) return [];
  const out: FhirContextItem[] = [];
  for (const item of v) {
    if (typeof item === 'string' && item.trim()) out.push({ reference: item.trim(), role: 'launch' });
    else if (item && typeof item === 'object') {
      const o = item as Record<string, unknown>;
      const entry: FhirContextItem = { role: asString(o.role) ?? 'launch' };
      if (asString(o.reference)) entry.reference = asString(o.reference)!;
      if (asString(o.canonical)) entry.canonical = asString(o.canonical)!;
      if (o.identifier && typeof o.identifier === 'object') entry.identifier = o.identifier as Record<string, unknown>;
      if (asString(o.type)) entry.type = asString(o.type)!;
      if (entry.reference || entry.canonical || entry.identifier) out.push(entry);
    }
  }
  return out;
}

/** `fhirUser` may be relative to the FHIR base; always resolve it (SMART fhirUser, https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). */
export function resolveFhirUser(v: unknown, serverUrl: string): string | undefined {
  const s = asString(v);
  if (!s) return undefined;
  try {
    return new URL(s, serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`).href;
  } catch {
    return undefined;
  }
}

/** Normalises scope strings: extra spaces, duplicates, missing (then the requested scope). */
export function normalizeScope(granted: unknown, requested: string): string {
  const s = typeof granted === 'string' ? granted : requested;
  return [...new Set(s.split(/\s+/).filter(Boolean))].join(' ');
}

/** Launch context fields of a token (or refresh) response, normalised leniently (what real servers send; docs/adr/0009). */
export function contextFromTokenResponse(body: Record<string, unknown>): Partial<SessionData> {
  const out: Partial<SessionData> = {};
  const patient = normalizeId(body.patient, 'Patient');
  if (patient) out.patient = patient;
  const encounter = normalizeId(body.encounter, 'Encounter');
  if (encounter) out.encounter = encounter;
  const fhirContext = normalizeFhirContext(body.fhirContext);
  if (fhirContext.length) out.fhirContext = fhirContext;
  const banner = coerceBoolean(body.need_patient_banner);
  if (banner !== undefined) out.needPatientBanner = banner;
  const style = asString(body.smart_style_url);
  if (style) out.smartStyleUrl = style;
  const intent = asString(body.intent);
  if (intent) out.intent = intent;
  const tenant = asString(body.tenant);
  if (tenant) out.tenant = tenant;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!PROTOCOL_FIELDS.has(k) && v !== undefined) extra[k] = v;
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
