// Generates data/sandbox-bundle.json: a small, deterministic, synthetic FHIR R4 data set.
// Run: node packages/sandbox/scripts/generate-data.mjs (output is committed; no randomness).
import { writeFileSync } from 'node:fs';

const patients = [
  { id: 'p1', given: 'Amy', family: 'Shaw', gender: 'female', birthDate: '1987-02-20' },
  { id: 'p2', given: 'Daniel', family: 'Okafor', gender: 'male', birthDate: '1954-11-03' },
  { id: 'p3', given: 'Lucía', family: 'Fernández', gender: 'female', birthDate: '2012-06-14' },
  { id: 'p4', given: 'Hiroshi', family: 'Tanaka', gender: 'male', birthDate: '1971-09-28' },
  { id: 'p5', given: 'Grace', family: 'Mbeki', gender: 'female', birthDate: '1999-01-07' },
];
const practitioners = [
  { id: 'pr1', given: 'Susan', family: 'Clark', prefix: 'Dr.' },
  { id: 'pr2', given: 'Marco', family: 'Rossi', prefix: 'Dr.' },
];
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const cat = (code, display) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code, display }] }];
const conditions = [
  ['44054006', 'Diabetes mellitus type 2'], ['38341003', 'Hypertensive disorder'], ['195967001', 'Asthma'],
  ['55822004', 'Hyperlipidemia'], ['35489007', 'Depressive disorder'],
];
const meds = [['860975', 'metformin 500 MG Oral Tablet'], ['314076', 'lisinopril 10 MG Oral Tablet'],
  ['745679', 'albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'], ['617312', 'atorvastatin 20 MG Oral Tablet'],
  ['312938', 'sertraline 50 MG Oral Tablet']];
const allergies = [['91936005', 'Allergy to penicillin'], ['300913006', 'Shellfish allergy'],
  ['418689008', 'Allergy to grass pollen'], ['91935009', 'Allergy to peanuts'], ['294505008', 'Allergy to amoxicillin']];

const resources = [];
for (const pr of practitioners) {
  resources.push({ resourceType: 'Practitioner', id: pr.id, active: true,
    name: [{ use: 'official', family: pr.family, given: [pr.given], prefix: [pr.prefix] }],
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: `99900000${pr.id.slice(2)}` }] });
}
resources.push({ resourceType: 'Organization', id: 'org1', name: 'Sandbox General Hospital', active: true });

patients.forEach((p, i) => {
  const n = i + 1;
  const ref = { reference: `Patient/${p.id}`, display: `${p.given} ${p.family}` };
  const pr = practitioners[i % 2];
  resources.push({ resourceType: 'Patient', id: p.id, active: true,
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: `MRN-000${n}` }],
    name: [{ use: 'official', family: p.family, given: [p.given] }], gender: p.gender, birthDate: p.birthDate,
    telecom: [{ system: 'phone', value: `555-010${n}`, use: 'home' }],
    address: [{ line: [`${n}0 Main Street`], city: 'Springfield', state: 'MA', postalCode: '01101', country: 'US' }],
    generalPractitioner: [{ reference: `Practitioner/${pr.id}` }], managingOrganization: { reference: 'Organization/org1' } });
  for (let e = 1; e <= 2; e++) {
    const day = `2024-0${e + 2}-1${n}`;
    const encId = `e${n}-${e}`;
    resources.push({ resourceType: 'Encounter', id: encId, status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      type: [{ coding: [{ system: SNOMED, code: '185349003', display: 'Encounter for check up' }] }],
      subject: ref, participant: [{ individual: { reference: `Practitioner/${pr.id}` } }],
      period: { start: `${day}T09:00:00Z`, end: `${day}T09:30:00Z` } });
    const enc = { reference: `Encounter/${encId}` };
    const vs = (id, code, display, value, unit, ucum) => resources.push({ resourceType: 'Observation', id, status: 'final',
      category: cat('vital-signs', 'Vital Signs'), code: { coding: [{ system: LOINC, code, display }], text: display },
      subject: ref, encounter: enc, effectiveDateTime: `${day}T09:10:00Z`,
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: ucum } });
    vs(`hr${n}-${e}`, '8867-4', 'Heart rate', 60 + n * 3 + e, 'beats/minute', '/min');
    vs(`wt${n}-${e}`, '29463-7', 'Body weight', 55 + n * 6 + e * 0.5, 'kg', 'kg');
    resources.push({ resourceType: 'Observation', id: `bp${n}-${e}`, status: 'final', category: cat('vital-signs', 'Vital Signs'),
      code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel' }], text: 'Blood pressure' },
      subject: ref, encounter: enc, effectiveDateTime: `${day}T09:12:00Z`,
      component: [
        { code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] },
          valueQuantity: { value: 112 + n * 4 + e, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] },
          valueQuantity: { value: 70 + n * 2 + e, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      ] });
    resources.push({ resourceType: 'Observation', id: `lab${n}-${e}`, status: 'final', category: cat('laboratory', 'Laboratory'),
      code: { coding: [{ system: LOINC, code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood' }], text: 'HbA1c' },
      subject: ref, encounter: enc, effectiveDateTime: `${day}T09:20:00Z`,
      valueQuantity: { value: 5.2 + n * 0.3 + e * 0.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } });
    resources.push({ resourceType: 'Observation', id: `chol${n}-${e}`, status: 'final', category: cat('laboratory', 'Laboratory'),
      code: { coding: [{ system: LOINC, code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma' }], text: 'Total cholesterol' },
      subject: ref, encounter: enc, effectiveDateTime: `${day}T09:20:00Z`,
      valueQuantity: { value: 160 + n * 10 + e, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' } });
  }
  const [cCode, cDisp] = conditions[i];
  resources.push({ resourceType: 'Condition', id: `c${n}`, subject: ref, encounter: { reference: `Encounter/e${n}-1` },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
    code: { coding: [{ system: SNOMED, code: cCode, display: cDisp }], text: cDisp }, onsetDateTime: `20${10 + n}-05-01` });
  const [mCode, mDisp] = meds[i];
  resources.push({ resourceType: 'MedicationRequest', id: `m${n}`, status: 'active', intent: 'order', subject: ref,
    encounter: { reference: `Encounter/e${n}-1` }, requester: { reference: `Practitioner/${pr.id}` }, authoredOn: `2024-03-1${n}`,
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: mCode, display: mDisp }], text: mDisp },
    dosageInstruction: [{ text: 'Take one tablet by mouth daily' }] });
  const [aCode, aDisp] = allergies[i];
  resources.push({ resourceType: 'AllergyIntolerance', id: `a${n}`, patient: ref,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
    code: { coding: [{ system: SNOMED, code: aCode, display: aDisp }], text: aDisp }, criticality: 'low' });
});

const bundle = { resourceType: 'Bundle', type: 'collection',
  meta: { tag: [{ system: 'urn:smart-launch:sandbox', code: 'synthetic', display: 'Synthetic demo data, not real people' }] },
  entry: resources.map((resource) => ({ fullUrl: `urn:sandbox:${resource.resourceType}/${resource.id}`, resource })) };
writeFileSync(new URL('../data/sandbox-bundle.json', import.meta.url), JSON.stringify(bundle, null, 1) + '\n');
console.log(`wrote ${resources.length} resources`);
