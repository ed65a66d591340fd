import { readFileSync } from 'node:fs';
import type { Bundle, HumanName, Resource } from '@medplum/fhirtypes';
import { MemoryRepository } from '@medplum/fhir-router';
import { packageFile } from '../keys.js';
import type { SandboxUser } from '../state.js';
import { indexFhirDefinitions } from './definitions.js';

export function displayName(name: HumanName[] | undefined): string {
  const n = name?.[0];
  return [n?.prefix?.join(' '), n?.given?.join(' '), n?.family].filter(Boolean).join(' ');
}

export interface LoadedData {
  repo: MemoryRepository;
  practitioners: SandboxUser[];
  patients: SandboxUser[];
}

/** Loads the synthetic data set (data/sandbox-bundle.json) into a fresh in-memory repository. */
export async function loadData(): Promise<LoadedData> {
  indexFhirDefinitions();
  const bundle = JSON.parse(readFileSync(packageFile('data/sandbox-bundle.json'), 'utf8')) as Bundle;
  const repo = new MemoryRepository();
  const practitioners: SandboxUser[] = [];
  const patients: SandboxUser[] = [];
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource as Resource | undefined;
    if (!resource?.id) continue;
    // updateResource keeps our deterministic ids (p1..p5, pr1, pr2).
    await repo.updateResource(resource);
    if (resource.resourceType === 'Practitioner') {
      practitioners.push({ ref: `Practitioner/${resource.id}`, name: displayName(resource.name) });
    } else if (resource.resourceType === 'Patient') {
      patients.push({ ref: `Patient/${resource.id}`, name: displayName(resource.name) });
    }
  }
  return { repo, practitioners, patients };
}
