import { escapeHtml, page } from '../html.js';
import { parseResourceScope } from '../scopes.js';
import type { SandboxUser } from '../state.js';

export function loginPage(uid: string, clientName: string, practitioners: SandboxUser[], patients: SandboxUser[], prefix = ''): string {
  const option = (u: SandboxUser) => `<option value="${escapeHtml(u.ref)}">${escapeHtml(u.name)} (${escapeHtml(u.ref)})</option>`;
  return page('Sign in', `<h1>Sign in to the sandbox EHR</h1>
<p><strong>${escapeHtml(clientName)}</strong> wants you to sign in. Demo users have no password.</p>
<form method="post" action="${escapeHtml(prefix)}/interaction/${escapeHtml(uid)}/login">
<label for="user">User</label>
<select id="user" name="user">
<optgroup label="Practitioners">${practitioners.map(option).join('')}</optgroup>
<optgroup label="Patients (patient-facing apps)">${patients.map(option).join('')}</optgroup>
</select>
<button type="submit">Sign in</button>
</form>`);
}

function describeScope(scope: string): string {
  const parsed = parseResourceScope(scope);
  if (!parsed) return '';
  const verbs = [...parsed.permissions].map((p) => ({ c: 'create', r: 'read', u: 'update', d: 'delete', s: 'search' })[p]);
  const who = { patient: "the selected patient's", user: 'all your', system: 'all' }[parsed.context];
  const type = parsed.resourceType === '*' ? 'records' : `${parsed.resourceType} records`;
  const constraint = parsed.constraints.toString();
  return ` — ${verbs.join(', ')} ${who} ${type}${constraint ? ` where ${constraint}` : ''}`;
}

export interface ConsentView {
  uid: string;
  clientName: string;
  user: string;
  scopes: string[];
  /** Shown when the request needs a patient and none came from the launch. */
  patientChoices?: SandboxUser[];
  defaultPatient: string;
  launchPatient?: string | undefined;
  /** Path prefix of the authorization server (cerner tenants). */
  prefix?: string;
}

export function consentPage(view: ConsentView): string {
  const items = view.scopes.map((s) =>
    `<li><label style="font-weight:normal"><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> ` +
    `<code>${escapeHtml(s)}</code>${escapeHtml(describeScope(s))}</label></li>`).join('');
  const picker = view.patientChoices
    ? `<label for="patient">Patient</label><select id="patient" name="patient">${view.patientChoices
      .map((p) => `<option value="${escapeHtml(p.ref.replace('Patient/', ''))}"${p.ref === `Patient/${view.defaultPatient}` ? ' selected' : ''}>` +
        `${escapeHtml(p.name)}</option>`).join('')}</select>`
    : view.launchPatient ? `<p>Patient in context: <code>${escapeHtml(view.launchPatient)}</code></p>` : '';
  return page('Authorize app', `<h1>Authorize ${escapeHtml(view.clientName)}</h1>
<p class="muted">Signed in as ${escapeHtml(view.user)}</p>
<form method="post" action="${escapeHtml(view.prefix ?? '')}/interaction/${escapeHtml(view.uid)}/confirm">
<p>The app asks for:</p><ul class="scopes">${items}</ul>
${picker}
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`);
}
