import { describe, expect, it } from 'vitest';
import { coerceBoolean, contextFromTokenResponse, normalizeFhirContext, normalizeScope, resolveFhirUser } from './context.js';
import { safeReturnPath } from '../url.js';

describe('token response normalisation (lenient on what real servers send)', () => {
  it('accepts patient as id or Patient/id and booleans as strings', () => {
    const c = contextFromTokenResponse({ patient: 'Patient/123', encounter: 'e1', need_patient_banner: 'false', access_token: 'AT', __epic_x: 1, location: 'L' });
    expect(c.patient).toBe('123');
    expect(c.encounter).toBe('e1');
    expect(c.needPatientBanner).toBe(false);
    expect(c.extra).toEqual({ __epic_x: 1, location: 'L' });
    expect(coerceBoolean('true')).toBe(true);
    expect(coerceBoolean('maybe')).toBeUndefined();
  });

  it('normalises fhirContext 2.0 strings and 2.1 objects', () => {
    expect(normalizeFhirContext(['DiagnosticReport/1', { reference: 'Patient/2', role: 'https://x/sibling' }, { canonical: 'http://q', type: 'Questionnaire' }, { bogus: 1 }])).toEqual([
      { reference: 'DiagnosticReport/1', role: 'launch' },
      { reference: 'Patient/2', role: 'https://x/sibling' },
      { canonical: 'http://q', type: 'Questionnaire', role: 'launch' },
    ]);
  });

  it('resolves fhirUser against the FHIR base', () => {
    expect(resolveFhirUser('Practitioner/7', 'https://f.example/r4')).toBe('https://f.example/r4/Practitioner/7');
    expect(resolveFhirUser('https://other/Practitioner/7', 'https://f.example/r4')).toBe('https://other/Practitioner/7');
  });

  it('cleans scope strings and falls back to the requested scope', () => {
    expect(normalizeScope('a  b a ', 'x')).toBe('a b');
    expect(normalizeScope(undefined, 'launch openid')).toBe('launch openid');
  });
});

describe('safeReturnPath (no open redirects)', () => {
  it.each(['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', '/\r\nSet-Cookie:x', '', 'relative'])('refuses %j', (v) => {
    expect(safeReturnPath(v, '/')).toBe('/');
  });
  it('keeps same-origin paths with query and hash', () => {
    expect(safeReturnPath('/chart?tab=vitals#top', '/')).toBe('/chart?tab=vitals#top');
  });
});
