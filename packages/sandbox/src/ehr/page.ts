import type { Bundle, Encounter } from '@medplum/fhirtypes';
import { escapeHtml, page } from '../html.js';
import type { SandboxState } from '../state.js';

/** The EHR screen: pick a user, a patient (and encounter), an app, then Launch (a GET form). */
export async function ehrPage(state: SandboxState): Promise<string> {
  const encounters = await state.repo.search<Encounter>({ resourceType: 'Encounter', count: 1000 });
  const byPatient = new Map<string, string[]>();
  for (const e of (encounters as Bundle<Encounter>).entry ?? []) {
    const pid = e.resource?.subject?.reference?.replace('Patient/', '') ?? '';
    byPatient.set(pid, [...(byPatient.get(pid) ?? []), e.resource!.id!]);
  }
  const users = state.practitioners
    .map((u) => `<option value="${escapeHtml(u.ref.replace('Practitioner/', ''))}">${escapeHtml(u.name)}</option>`).join('');
  const patients = state.patients.map((p) => {
    const id = p.ref.replace('Patient/', '');
    return `<option value="${escapeHtml(id)}"${id === state.defaultPatient ? ' selected' : ''}>${escapeHtml(p.name)} (${escapeHtml(id)})</option>`;
  }).join('');
  const encounterOptions = state.patients.flatMap((p) => {
    const id = p.ref.replace('Patient/', '');
    return (byPatient.get(id) ?? []).map((e) => `<option value="${escapeHtml(e)}">${escapeHtml(e)} — ${escapeHtml(p.name)}</option>`);
  }).join('');
  const apps = state.options.apps
    .map((a, i) => `<option value="${escapeHtml(a.launchUrl)}"${i === 0 ? ' selected' : ''}>${escapeHtml(a.name)} — ${escapeHtml(a.launchUrl)}</option>`).join('');
  return page('Sandbox EHR', `<h1>Launch a SMART app</h1>
<form method="get" action="/ehr/launch">
<label for="user">Practitioner</label><select id="user" name="user">${users}</select>
<label for="patient">Patient</label><select id="patient" name="patient">${patients}</select>
<label for="encounter">Encounter (optional; pick one of the selected patient's)</label>
<select id="encounter" name="encounter"><option value="">— none —</option>${encounterOptions}</select>
<label for="launch_url">App</label><select id="launch_url" name="launch_url">${apps}</select>
<label><input id="embedded" type="checkbox" name="embedded" value="1"> Embedded: show the app in an iframe of this page</label>
<button type="submit">Launch</button>
</form>
<form method="get" action="/ehr/launch">
<label for="custom">Or a custom launch URL</label>
<input id="custom" type="url" name="launch_url" placeholder="http://127.0.0.1:3000/launch" required>
<input type="hidden" name="patient" value="${escapeHtml(state.defaultPatient)}">
<button type="submit" class="secondary">Launch custom app</button>
</form>
<p class="muted">Profile <code>${escapeHtml(state.profile)}</code> · FHIR base: <code>${escapeHtml(state.fhirBaseUrl)}</code> ·
<a href="${escapeHtml(state.fhirBaseUrl)}/.well-known/smart-configuration">smart-configuration</a></p>`);
}
