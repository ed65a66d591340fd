import type { Patient, Resource } from '@medplum/fhirtypes';
import { ErrorCode, FhirError } from '@smart-launch/core';
import { type BackendClient } from '@smart-launch/core/backend';

/** Resource types counted per patient, with the search parameter that links them to the patient. */
export const COUNTED = ['Observation', 'Condition', 'MedicationRequest', 'Encounter', 'AllergyIntolerance'] as const;

export interface PatientSummary {
  id: string;
  name: string;
  birthDate?: string;
  counts: Record<(typeof COUNTED)[number], number>;
}

export interface Summary {
  source: 'bulk-export' | 'search';
  patients: PatientSummary[];
}

function displayName(p: Patient): string {
  const n = p.name?.[0];
  return n ? [n.given?.join(' '), n.family].filter(Boolean).join(' ') || n.text || '(no name)' : '(no name)';
}

/** The patient id a resource belongs to (subject or patient reference). */
function patientOf(r: Resource): string | undefined {
  const ref = (r as { subject?: { reference?: string }; patient?: { reference?: string } }).subject?.reference ?? (r as { patient?: { reference?: string } }).patient?.reference;
  return ref?.startsWith('Patient/') ? ref.slice('Patient/'.length) : undefined;
}

function tally(patients: Patient[], resources: Resource[], source: Summary['source']): Summary {
  const byId = new Map<string, PatientSummary>();
  for (const p of patients) {
    byId.set(p.id!, { id: p.id!, name: displayName(p), ...(p.birthDate ? { birthDate: p.birthDate } : {}), counts: Object.fromEntries(COUNTED.map((t) => [t, 0])) as PatientSummary['counts'] });
  }
  for (const r of resources) {
    const s = byId.get(patientOf(r) ?? '');
    if (s && (COUNTED as readonly string[]).includes(r.resourceType)) s.counts[r.resourceType as (typeof COUNTED)[number]]++;
  }
  return { source, patients: [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)) };
}

/** Reads every patient and their data with system-level searches (paging through all results). */
export async function summarizeBySearch(client: BackendClient): Promise<Summary> {
  const patients = await client.fhir.searchAll<Patient>('Patient', { _count: 100 });
  const resources = (await Promise.all(COUNTED.map((t) => client.fhir.searchAll(t, { _count: 200 }, { maxPages: 1000 })))).flat();
  return tally(patients, resources, 'search');
}

/** Bulk Data export of the same types; undefined when the server has no $export. */
export async function summarizeByExport(client: BackendClient): Promise<Summary | undefined> {
  let manifest;
  try {
    manifest = await client.bulk.run({ types: ['Patient', ...COUNTED] }, { pollIntervalMs: 1000, maxWaitMs: 10 * 60_000 });
  } catch (e) {
    // No $export here (404/403/405/501): fall back to searches.
    if (e instanceof FhirError && e.code === ErrorCode.FHIR_REQUEST_FAILED && [400, 403, 404, 405, 501].includes(e.status)) return undefined;
    throw e;
  }
  const patients: Patient[] = [];
  const resources: Resource[] = [];
  for (const file of manifest.output) {
    for await (const r of client.bulk.download(manifest, file)) (r.resourceType === 'Patient' ? patients.push(r as Patient) : resources.push(r));
  }
  return tally(patients, resources, 'bulk-export');
}

export function formatSummary(summary: Summary): string {
  const head = ['patient', 'name', 'born', ...COUNTED.map((t) => t.replace('Request', 'Req').replace('Intolerance', 'Intol'))];
  const rows = summary.patients.map((p) => [p.id, p.name, p.birthDate ?? '', ...COUNTED.map((t) => String(p.counts[t]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`${summary.patients.length} patients (via ${summary.source})`, line(head), ...rows.map(line)].join('\n');
}
