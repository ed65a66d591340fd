import { describe, expect, it } from 'vitest';
import { isValidScope, parseScope, parseScopes } from './scopes.js';
import type { ClinicalScope } from './scopes.js';

const clinical = (s: string): ClinicalScope => {
  const parsed = parseScope(s);
  if (parsed.kind !== 'clinical') throw new Error(`${s} parsed as ${parsed.kind}`);
  return parsed;
};
const perms = (s: string) => [...clinical(s).permissions].sort().join('');

describe('parseScope: v2 grammar', () => {
  it('parses level, type, permissions and version', () => {
    const s = clinical('patient/Observation.rs');
    expect(s).toMatchObject({ kind: 'clinical', level: 'patient', resourceType: 'Observation', version: 2 });
    expect(perms('patient/Observation.rs')).toBe('rs');
    expect(perms('user/*.cruds')).toBe('cdrsu');
    expect(clinical('system/Patient.c').level).toBe('system');
  });

  it('rejects letters out of order, repeated, unknown or missing', () => {
    for (const s of ['patient/Observation.dus', 'patient/Observation.sr', 'patient/Observation.rr', 'patient/Observation.x',
      'patient/Observation.', 'patient/Observation', 'patient/.rs', 'patient/observation.rs', 'patient/Observation.RS']) {
      expect(parseScope(s).kind, s).toBe('invalid');
    }
  });

  it('does not treat object prototype names as v1 permissions', () => {
    expect(parseScope('patient/Observation.constructor').kind).toBe('invalid');
    expect(parseScope('patient/Observation.toString').kind).toBe('invalid');
  });

  it('marks wrongly cased levels invalid rather than other', () => {
    expect(parseScope('Patient/Observation.read').kind).toBe('invalid');
    expect(parseScope('USER/*.rs').kind).toBe('invalid');
  });

  it('parses query constraints and decodes values', () => {
    const s = clinical('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs');
    expect(s.query).toEqual({ category: 'http://terminology.hl7.org/CodeSystem/observation-category|vital-signs' });
    expect(clinical('patient/Observation.rs?category=a%7Cb&code=x').query).toEqual({ category: 'a|b', code: 'x' });
  });

  it('rejects malformed or repeated query parameters (fail closed)', () => {
    for (const s of ['patient/Observation.rs?', 'patient/Observation.rs?category', 'patient/Observation.rs?=x',
      'patient/Observation.rs?a=1&&b=2', 'patient/Observation.rs?a=%E0', 'patient/Observation.rs?a=1&a=2']) {
      expect(parseScope(s).kind, s).toBe('invalid');
    }
  });
});

describe('parseScope: v1 grammar', () => {
  it('maps read/write/* to v2 letters', () => {
    expect(perms('patient/Observation.read')).toBe('rs');
    expect(perms('patient/Observation.write')).toBe('cdu');
    expect(perms('patient/*.*')).toBe('cdrsu');
    expect(clinical('user/Patient.read').version).toBe(1);
  });
});

describe('parseScope: other scopes', () => {
  it('recognises OpenID, access and launch scopes', () => {
    for (const k of ['openid', 'fhirUser', 'profile', 'offline_access', 'online_access']) expect(parseScope(k).kind).toBe(k);
    expect(parseScope('launch')).toEqual({ kind: 'launch', raw: 'launch' });
    expect(parseScope('launch/patient')).toEqual({ kind: 'launch', raw: 'launch/patient', context: 'patient' });
    expect(parseScope('launch/encounter')).toMatchObject({ context: 'encounter' });
    expect(parseScope('launch/practitionerRole?role=http%3A%2F%2Fexample.org%2Frole')).toMatchObject({
      kind: 'launch', context: 'practitionerRole', role: 'http://example.org/role',
    });
  });

  it('marks malformed launch scopes invalid', () => {
    for (const s of ['launch/', 'launch/Patient', 'launch/patient?foo=bar', 'launch?role=x', 'launch/patient?role=a&role=b']) {
      expect(parseScope(s).kind, s).toBe('invalid');
    }
  });

  it('keeps unknown and extension scopes as other', () => {
    for (const s of ['Patient.read', 'Patient.search', '__custom', 'https://example.org/scope', 'launcher', 'user_impersonation', 'OPENID']) {
      expect(parseScope(s).kind, s).toBe('other');
    }
  });
});

describe('isValidScope', () => {
  it('accepts well-formed scopes and extension scopes', () => {
    for (const s of ['patient/Observation.rs', 'user/*.read', 'system/*.cruds', 'launch/patient', 'openid', '__x', 'patient/Observation.rs?category=x']) {
      expect(isValidScope(s), s).toBe(true);
    }
  });
  it('rejects malformed clinical scopes, whitespace and empty strings', () => {
    for (const s of ['patient/Observation.dus', 'patient/Observation.sr', '', ' openid', 'openid profile', 'Patient/Observation.read']) {
      expect(isValidScope(s), s).toBe(false);
    }
  });
});

describe('parseScopes', () => {
  it('handles undefined, empty and whitespace-only input', () => {
    expect(parseScopes(undefined).size).toBe(0);
    expect(parseScopes('').toString()).toBe('');
    expect(parseScopes('  \n\t ').size).toBe(0);
  });

  it('splits on any whitespace, trims and dedupes exactly (Epic trailing space and junk)', () => {
    const set = parseScopes(' launch  openid\tfhirUser\nPatient.read Patient.search patient/Patient.read openid patient/Patient.read ');
    expect(set.toString()).toBe('launch openid fhirUser Patient.read Patient.search patient/Patient.read');
    expect(set.scopes.map((s) => s.kind)).toEqual(['launch', 'openid', 'fhirUser', 'other', 'other', 'clinical']);
  });

  it('dedupes case-sensitively: case variants stay distinct and unknown ones grant nothing', () => {
    const set = parseScopes('patient/Patient.read Patient.read patient.read');
    expect(set.size).toBe(3);
    expect(set.can('read', 'Patient')).toBe(true);
    expect(parseScopes('Patient.read Patient.search').can('read', 'Patient')).toBe(false);
  });

  it('accepts a list of strings, each possibly holding several scopes', () => {
    expect(parseScopes(['openid fhirUser', 'launch', 'openid']).toString()).toBe('openid fhirUser launch');
  });

  it('strips SMART URI prefixes in any case (Cerner) and the OpenID prefix', () => {
    const set = parseScopes(
      'http://smarthealthit.org/FHIR/scopes/patient/Observation.read HTTP://SmartHealthIT.org/fhir/scopes/launch ' +
        'http://openid.net/specs/openid-connect-core-1_0#openid patient/Observation.read',
    );
    expect(set.toString()).toBe('patient/Observation.read launch openid');
    expect(set.hasOpenId).toBe(true);
    expect(set.has('launch')).toBe(true);
    expect(set.has('http://smarthealthit.org/fhir/scopes/patient/Observation.rs')).toBe(true);
  });

  it('keeps invalid scopes visible but they grant nothing', () => {
    const set = parseScopes('patient/Observation.sr patient/Patient.dus');
    expect(set.toString()).toBe('patient/Observation.sr patient/Patient.dus');
    expect(set.has('patient/Observation.sr')).toBe(false);
    expect(set.has('patient/Observation.r')).toBe(false);
    expect(set.can('delete', 'Patient')).toBe(false);
    expect(set.patientLevel).toBe(false);
  });
});

describe('ScopeSet.has', () => {
  it('covers a subset of granted permissions', () => {
    const set = parseScopes('patient/Observation.rs');
    expect(set.has('patient/Observation.rs')).toBe(true);
    expect(set.has('patient/Observation.r')).toBe(true);
    expect(set.has('patient/Observation.s')).toBe(true);
    expect(set.has('patient/Observation.rsd')).toBe(false);
    expect(set.has('patient/Observation.c')).toBe(false);
  });

  it('treats v1 and v2 forms as equal', () => {
    expect(parseScopes('patient/Observation.read').has('patient/Observation.rs')).toBe(true);
    expect(parseScopes('patient/Observation.rs').has('patient/Observation.read')).toBe(true);
    expect(parseScopes('patient/Observation.r').has('patient/Observation.read')).toBe(false);
    expect(parseScopes('patient/Observation.write').has('patient/Observation.cud')).toBe(true);
    expect(parseScopes('patient/Observation.write').has('patient/Observation.cruds')).toBe(false);
    expect(parseScopes('patient/*.*').has('patient/Condition.cruds')).toBe(true);
  });

  it('lets the * wildcard cover every type, but a type does not cover *', () => {
    expect(parseScopes('patient/*.read').has('patient/Observation.rs')).toBe(true);
    expect(parseScopes('patient/Observation.read').has('patient/*.read')).toBe(false);
  });

  it('takes the union of separate grants', () => {
    const set = parseScopes('patient/Observation.r patient/Observation.s');
    expect(set.has('patient/Observation.rs')).toBe(true);
    expect(set.has('patient/Observation.read')).toBe(true);
    expect(parseScopes('patient/*.r patient/Observation.s').has('patient/Observation.rs')).toBe(true);
    expect(parseScopes('patient/*.r patient/Observation.s').has('patient/Condition.rs')).toBe(false);
  });

  it('never crosses levels', () => {
    const set = parseScopes('user/*.cruds system/Patient.rs');
    expect(set.has('patient/Patient.r')).toBe(false);
    expect(set.has('user/Patient.r')).toBe(true);
    expect(set.has('system/Observation.r')).toBe(false);
  });

  it('does not let a constrained grant cover an unconstrained request', () => {
    const set = parseScopes('patient/Observation.rs?category=vital-signs');
    expect(set.has('patient/Observation.rs')).toBe(false);
    expect(set.has('patient/Observation.r')).toBe(false);
    expect(set.has('patient/Observation.rs?category=vital-signs')).toBe(true);
    expect(set.has('patient/Observation.s?category=vital-signs&code=1234-5')).toBe(true);
    expect(set.has('patient/Observation.rs?category=laboratory')).toBe(false);
  });

  it('lets an unconstrained grant cover a constrained request', () => {
    expect(parseScopes('patient/Observation.rs').has('patient/Observation.rs?category=laboratory')).toBe(true);
  });

  it('matches non-clinical scopes exactly', () => {
    const set = parseScopes('launch/patient openid __ext Patient.read');
    expect(set.has('launch/patient')).toBe(true);
    expect(set.has('launch')).toBe(false);
    expect(set.has('launch/encounter')).toBe(false);
    expect(set.has('__ext')).toBe(true);
    expect(set.has('Patient.read')).toBe(true);
    expect(set.has('patient.read')).toBe(false);
    expect(set.has('offline_access')).toBe(false);
    expect(set.has('')).toBe(false);
  });

  it('never reports a malformed request as covered', () => {
    expect(parseScopes('patient/*.cruds').has('patient/Observation.sr')).toBe(false);
    expect(parseScopes('patient/Observation.sr').has('patient/Observation.sr')).toBe(false);
  });
});

describe('ScopeSet.missing', () => {
  it('lists uncovered required scopes, normalised', () => {
    const set = parseScopes('launch openid fhirUser patient/Patient.r patient/Patient.s patient/Observation.rs?category=vital-signs');
    expect(set.missing(['launch', 'patient/Patient.read', 'offline_access', 'patient/Observation.rs'])).toEqual([
      'offline_access', 'patient/Observation.rs',
    ]);
    expect(set.missing('openid http://smarthealthit.org/fhir/scopes/fhirUser')).toEqual([]);
    expect(parseScopes('').missing('openid openid')).toEqual(['openid']);
  });
});

describe('ScopeSet.can / canFully / access', () => {
  const set = parseScopes('patient/Patient.r user/Observation.cu patient/Condition.rs?category=problem-list-item system/*.d');

  it('maps interactions to permissions', () => {
    for (const i of ['read', 'vread', 'history'] as const) expect(set.can(i, 'Patient')).toBe(true);
    expect(set.can('search', 'Patient')).toBe(false);
    expect(set.can('create', 'Observation')).toBe(true);
    expect(set.can('update', 'Observation')).toBe(true);
    expect(set.can('patch', 'Observation')).toBe(true);
    expect(set.can('delete', 'Observation')).toBe(true); // system/*.d
    expect(set.can('read', 'Observation')).toBe(false);
  });

  it('filters by level when given', () => {
    expect(set.can('read', 'Patient', 'patient')).toBe(true);
    expect(set.can('read', 'Patient', 'user')).toBe(false);
    expect(set.can('delete', 'Observation', 'user')).toBe(false);
    expect(set.can('delete', 'Observation', 'system')).toBe(true);
  });

  it('counts constrained grants as partial access', () => {
    expect(set.access('search', 'Condition')).toBe('partial');
    expect(set.can('search', 'Condition')).toBe(true);
    expect(set.canFully('search', 'Condition')).toBe(false);
    expect(set.access('read', 'Patient')).toBe('full');
    expect(set.access('search', 'Patient')).toBe('none');
    expect(parseScopes('patient/Condition.rs?category=x patient/*.rs').access('search', 'Condition')).toBe('full');
  });
});

describe('ScopeSet getters', () => {
  it('reports offline access, openid and patient level', () => {
    const a = parseScopes('openid offline_access patient/Patient.read');
    expect([a.hasOfflineAccess, a.hasOpenId, a.patientLevel]).toEqual([true, true, true]);
    const b = parseScopes('online_access user/*.read Patient.read profile');
    expect([b.hasOfflineAccess, b.hasOpenId, b.patientLevel]).toEqual([false, false, false]);
  });
});
