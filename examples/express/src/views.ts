import type { Observation, Patient } from '@medplum/fhirtypes';

/** HTML-escapes text for the views. */
function e(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2733;background:#f5f7fa}
header{background:#0b4f6c;color:#fff;padding:.8rem 1.5rem;display:flex;justify-content:space-between;align-items:center}
header a{color:#cfe8f3}.banner{background:#fff;border-bottom:1px solid #dde3ea;padding:1rem 1.5rem}
.banner h1{margin:0;font-size:1.4rem}main{padding:1.5rem;max-width:60rem}
table{border-collapse:collapse;width:100%;background:#fff}td,th{text-align:left;padding:.4rem .8rem;border-bottom:1px solid #e6eaef}
.muted{color:#65727e}.card{background:#fff;padding:1.5rem;border-radius:6px;max-width:32rem;margin:3rem auto}`;

export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function patientName(p: Patient | undefined): string {
  const n = p?.name?.[0];
  if (!n) return 'Unknown patient';
  return n.text ?? [...(n.given ?? []), n.family ?? ''].join(' ').trim();
}

function quantity(o: Observation): string {
  if (o.valueQuantity) return `${o.valueQuantity.value ?? ''} ${o.valueQuantity.unit ?? ''}`.trim();
  if (o.component?.length) return o.component.map((c) => `${c.valueQuantity?.value ?? ''}`).join('/') + ` ${o.component[0]?.valueQuantity?.unit ?? ''}`;
  return o.valueString ?? '';
}

export function appPage(args: { patient?: Patient; observations: Observation[]; fhirUser?: string; showBanner: boolean }): string {
  const { patient, observations } = args;
  const rows = observations
    .map((o) => `<tr><td>${e(o.code?.text ?? o.code?.coding?.[0]?.display ?? 'Observation')}</td><td>${e(quantity(o))}</td><td class="muted">${e(o.effectiveDateTime ?? '')}</td></tr>`)
    .join('');
  return layout(
    `${patientName(patient)} — Patient summary`,
    `<header><strong>Patient summary</strong><span>${args.fhirUser ? `<span class="muted">${e(args.fhirUser)}</span> · ` : ''}<a href="/logout">Log out</a></span></header>
${args.showBanner ? `<section class="banner"><h1 id="patient-name">${e(patientName(patient))}</h1><div class="muted">Born <span id="birth-date">${e(patient?.birthDate ?? 'unknown')}</span> · ${e(patient?.gender ?? '')} · id ${e(patient?.id ?? '')}</div></section>` : ''}
<main><h2>Latest vital signs${args.showBanner ? '' : ` · <span id="patient-name">${e(patientName(patient))}</span>`}</h2>${rows ? `<table id="vitals"><thead><tr><th>Measure</th><th>Value</th><th>When</th></tr></thead><tbody>${rows}</tbody></table>` : '<p class="muted">No vital signs recorded.</p>'}</main>`,
  );
}

export function signedOutPage(): string {
  return layout('Patient summary', `<div class="card"><h1>Patient summary</h1><p>Not signed in. Launch this app from your EHR, or start a standalone launch:</p><p><a id="launch" href="/launch">Launch</a></p></div>`);
}
