/**
 * SMART scopes, v1 (`patient/Observation.read`) and v2 (`patient/Observation.rs?category=…`),
 * parsed from the strings servers actually send. Pure, no I/O.
 *
 * Lenient on input (what real servers send): extra whitespace, duplicates, URI prefixes and unknown
 * names are tolerated. Strict on meaning: a malformed clinical scope grants nothing.
 * SMART 2.2 scopes-and-launch-context (SC).
 */

/** Whose data a clinical scope is about. */
export type ScopeLevel = 'patient' | 'user' | 'system';
/** v2 permission letters: create, read, update, delete, search. */
export type ScopePermission = 'c' | 'r' | 'u' | 'd' | 's';
/** REST interactions `can()` understands. */
export type FhirInteraction = 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'patch' | 'delete';

/** A resource scope such as `patient/Observation.rs` or `user/*.read`. */
export interface ClinicalScope {
  kind: 'clinical';
  /** The scope as granted, after prefix stripping. */
  raw: string;
  level: ScopeLevel;
  /** A FHIR resource type, or `*` for every type. */
  resourceType: string;
  permissions: ReadonlySet<ScopePermission>;
  /** `?p=v&p2=v2` constraints (values percent-decoded). A constrained scope is partial access (SC). */
  query?: Readonly<Record<string, string>>;
  /** 1 for `.read`/`.write`/`.*`, 2 for `.cruds` letters. */
  version: 1 | 2;
}
/** `launch`, `launch/patient`, `launch/encounter`, `launch/<type>[?role=uri]`. */
export interface LaunchScope {
  kind: 'launch';
  raw: string;
  /** `patient`, `encounter` or another lower-case type; absent for bare `launch` (EHR launch). */
  context?: string;
  /** `role` of a `launch/<type>?role=<uri>` scope (SMART 2.2, experimental). */
  role?: string;
}
/** OpenID Connect and access-duration scopes. */
export interface NamedScope {
  kind: 'openid' | 'fhirUser' | 'profile' | 'offline_access' | 'online_access';
  raw: string;
}
/**
 * `other`: an unknown or extension scope (`__foo`, a URI, Epic's `Patient.read`); kept, matched
 * only exactly. `invalid`: looks like a clinical or launch scope but breaks the grammar
 * (`patient/Observation.sr`, `Patient/Observation.read`); kept, grants nothing.
 */
export interface OtherScope {
  kind: 'other' | 'invalid';
  raw: string;
}
export type Scope = ClinicalScope | LaunchScope | NamedScope | OtherScope;

/** How much of an interaction the granted scopes allow: `partial` = only through a `?` constraint. */
export type ScopeAccess = 'full' | 'partial' | 'none';

// SC Appendix: URI forms of SMART and OpenID scopes. Cerner sends `…/FHIR/scopes/`.
const URI_PREFIXES = ['http://smarthealthit.org/fhir/scopes/', 'http://openid.net/specs/openid-connect-core-1_0#'];
const NAMED = new Set(['openid', 'fhirUser', 'profile', 'offline_access', 'online_access']);
// SC §Syntax (v2): at least one of c r u d s, in that order. v1: read | write | *.
const CLINICAL = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]*)\.([a-z*]+)(?:\?(.*))?$/;
const V2_PERMISSIONS = /^c?r?u?d?s?$/;
const V1_PERMISSIONS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const LAUNCH = /^launch(?:\/([a-z][A-Za-z]*)(?:\?role=([^&=\s]+))?)?$/;
const INTERACTION_PERMISSION: Record<FhirInteraction, ScopePermission> = {
  read: 'r', vread: 'r', history: 'r', search: 's', create: 'c', update: 'u', patch: 'u', delete: 'd',
};

/** Strips a SMART or OpenID URI prefix (case-insensitively) from one trimmed scope. */
function normalise(scope: string): string {
  const s = scope.trim();
  const lower = s.toLowerCase();
  for (const prefix of URI_PREFIXES) if (lower.startsWith(prefix)) return s.slice(prefix.length);
  return s;
}

function parseQuery(q: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const pair of q.split('&')) {
    const m = /^([^=]+)=(.+)$/.exec(pair);
    if (!m) return undefined;
    let name: string, value: string;
    try {
      name = decodeURIComponent(m[1]!);
      value = decodeURIComponent(m[2]!);
    } catch {
      return undefined;
    }
    // A repeated parameter would be lost in a record; treat the scope as invalid (fail closed).
    if (Object.hasOwn(out, name)) return undefined;
    out[name] = value;
  }
  return out;
}

/** Parses one scope string (already split). Never throws. */
export function parseScope(input: string): Scope {
  const raw = normalise(input);
  if (NAMED.has(raw)) return { kind: raw as NamedScope['kind'], raw };
  if (/^(patient|user|system)\//i.test(raw)) {
    const m = CLINICAL.exec(raw);
    if (!m) return { kind: 'invalid', raw };
    const [, level, resourceType, perm, query] = m;
    const v1 = Object.hasOwn(V1_PERMISSIONS, perm!);
    const letters = v1 ? V1_PERMISSIONS[perm!]! : V2_PERMISSIONS.test(perm!) ? perm! : '';
    if (!letters) return { kind: 'invalid', raw };
    const scope: ClinicalScope = {
      kind: 'clinical', raw, level: level as ScopeLevel, resourceType: resourceType!,
      permissions: new Set(letters.split('') as ScopePermission[]),
      version: v1 ? 1 : 2,
    };
    if (query !== undefined) {
      const parsed = parseQuery(query);
      if (!parsed) return { kind: 'invalid', raw };
      scope.query = parsed;
    }
    return scope;
  }
  if (/^launch(\/|\?|$)/.test(raw)) {
    const m = LAUNCH.exec(raw);
    if (!m) return { kind: 'invalid', raw };
    const scope: LaunchScope = { kind: 'launch', raw };
    if (m[1]) scope.context = m[1];
    if (m[2]) {
      try {
        scope.role = decodeURIComponent(m[2]);
      } catch {
        return { kind: 'invalid', raw };
      }
    }
    return scope;
  }
  return { kind: 'other', raw };
}

/**
 * True if `scope` is one well-formed scope worth sending: no whitespace, and not a malformed
 * clinical or launch scope such as `patient/Observation.dus` (SC §Syntax: servers may reject it).
 * Unknown and extension scopes are allowed.
 */
export function isValidScope(scope: string): boolean {
  if (scope.length === 0 || /\s/.test(scope)) return false;
  return parseScope(scope).kind !== 'invalid';
}

/** Splits a scope string or list on whitespace, normalises and dedupes (exact, case-sensitive). */
function split(input: string | readonly string[] | undefined): string[] {
  if (input === undefined) return [];
  const parts = (typeof input === 'string' ? [input] : input).flatMap((s) => s.split(/\s+/));
  return [...new Set(parts.map(normalise).filter((s) => s.length > 0))];
}

/** True if the grant's `?` constraints are all present in the request (a request may narrow more). */
function constraintsCovered(grant: ClinicalScope, request: Readonly<Record<string, string>> | undefined): boolean {
  if (!grant.query) return true;
  return Object.entries(grant.query).every(([k, v]) => request !== undefined && Object.hasOwn(request, k) && request[k] === v);
}

/**
 * A set of granted (or requested) scopes. Build it with {@link parseScopes}. Comparison is a union
 * over all clinical grants (SC §Wildcard scopes, https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): `.rs` equals `.r .s`, `*` covers
 * every type, v1 and v2 forms are equivalent, and a `?`-constrained grant only covers requests
 * carrying the same constraint.
 */
export class ScopeSet {
  /** Every scope, in input order, deduplicated; includes `other` and `invalid` ones. */
  readonly scopes: readonly Scope[];
  readonly #clinical: readonly ClinicalScope[];

  constructor(scopes: readonly Scope[]) {
    this.scopes = scopes;
    this.#clinical = scopes.filter((s): s is ClinicalScope => s.kind === 'clinical');
  }

  /** Space-joined normalised scopes (prefixes stripped, duplicates and extra spaces removed). */
  toString(): string {
    return this.scopes.map((s) => s.raw).join(' ');
  }

  /** Number of distinct scopes. */
  get size(): number {
    return this.scopes.length;
  }

  /** `offline_access` was granted (a refresh token that outlives the session may follow). */
  get hasOfflineAccess(): boolean {
    return this.scopes.some((s) => s.kind === 'offline_access');
  }

  /** `openid` was granted (an id_token should follow). */
  get hasOpenId(): boolean {
    return this.scopes.some((s) => s.kind === 'openid');
  }

  /** At least one valid `patient/` clinical scope was granted. */
  get patientLevel(): boolean {
    return this.#clinical.some((s) => s.level === 'patient');
  }

  /**
   * True if `scope` (one scope, any accepted form) is granted or covered by the union of the
   * granted scopes. Clinical scopes compare by meaning; other scopes by their normalised string.
   * A malformed scope is never covered.
   */
  has(scope: string): boolean {
    const want = parseScope(scope);
    if (want.kind === 'invalid' || want.raw.length === 0) return false;
    if (want.kind !== 'clinical') return this.scopes.some((s) => s.kind !== 'invalid' && s.raw === want.raw);
    return [...want.permissions].every((p) =>
      this.#clinical.some(
        (g) =>
          g.level === want.level &&
          (g.resourceType === '*' || g.resourceType === want.resourceType) &&
          g.permissions.has(p) &&
          constraintsCovered(g, want.query),
      ),
    );
  }

  /** The scopes in `required` (string or list, split on whitespace) that {@link has} does not cover. */
  missing(required: string | readonly string[]): string[] {
    return split(required).filter((s) => !this.has(s));
  }

  /**
   * How much of `interaction` on `resourceType` the grants allow: `full` through an unconstrained
   * grant, `partial` only through a `?`-constrained one (SC §Finer-grained resource constraints using search parameters), else `none`. With `level`
   * omitted, any level counts.
   */
  access(interaction: FhirInteraction, resourceType: string, level?: ScopeLevel): ScopeAccess {
    const p = INTERACTION_PERMISSION[interaction];
    const grants = this.#clinical.filter(
      (g) =>
        (level === undefined || g.level === level) &&
        (g.resourceType === '*' || g.resourceType === resourceType) &&
        g.permissions.has(p),
    );
    if (grants.some((g) => !g.query)) return 'full';
    return grants.length > 0 ? 'partial' : 'none';
  }

  /**
   * True if some grant allows `interaction` on `resourceType` — **including** query-constrained
   * grants, which give partial access only (the server filters). Use {@link canFully} or
   * {@link access} where partial access is not enough, e.g. in an authorisation guard.
   */
  can(interaction: FhirInteraction, resourceType: string, level?: ScopeLevel): boolean {
    return this.access(interaction, resourceType, level) !== 'none';
  }

  /** True if an unconstrained grant allows `interaction` on `resourceType`. */
  canFully(interaction: FhirInteraction, resourceType: string, level?: ScopeLevel): boolean {
    return this.access(interaction, resourceType, level) === 'full';
  }
}

/**
 * Parses a `scope` string (or list) from a token response or config into a {@link ScopeSet}.
 * Splits on any whitespace, trims, strips `http://smarthealthit.org/fhir/scopes/` (any case) and
 * `http://openid.net/specs/openid-connect-core-1_0#` prefixes, and dedupes exactly. `undefined`
 * or `''` gives an empty set (the grant may be empty: RFC 6749 section 3.3).
 */
export function parseScopes(input: string | readonly string[] | undefined): ScopeSet {
  return new ScopeSet(split(input).map(parseScope));
}

/**
 * The SMART v1 form of requested scopes, for servers that only speak v1 (SMART App Launch 2.2
 * scopes-and-launch-context, "Scopes for requesting clinical data", v1 `read`/`write`/`*`,
 * https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): v2 `r`/`s` become
 * `read`, `c`/`u`/`d` become `write`, both become `*`. A v2 scope constrained by `?` has no v1
 * form and is left out (`dropped`): its v1 form would ask for more than configured. Other scopes
 * (openid, fhirUser, launch, offline_access...) are kept as they are; `fhirUser` brings `profile`
 * along, v1's name for the same claim.
 */
export function toV1Scopes(scope: string): { scope: string; dropped: string[] } {
  const out: string[] = [];
  const dropped: string[] = [];
  for (const raw of scope.split(/\s+/).filter(Boolean)) {
    const s = parseScope(raw);
    if (s.kind !== 'clinical' || s.version === 1) {
      out.push(raw);
      continue;
    }
    if (s.query) {
      dropped.push(raw);
      continue;
    }
    const read = s.permissions.has('r') || s.permissions.has('s');
    const write = s.permissions.has('c') || s.permissions.has('u') || s.permissions.has('d');
    out.push(`${s.level}/${s.resourceType}.${read && write ? '*' : read ? 'read' : 'write'}`);
  }
  // SMART v1 names the user with `openid profile` (the `profile` claim), v2 with `fhirUser`.
  if (out.includes('fhirUser') && !out.includes('profile')) out.push('profile');
  return { scope: [...new Set(out)].join(' '), dropped };
}
