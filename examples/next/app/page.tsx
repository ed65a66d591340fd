import { Suspense } from 'react';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { getSmart } from '../smart';
import { SessionCheck } from './session-check';

function patientName(p: Patient | undefined): string {
  const n = p?.name?.[0];
  if (!n) return 'Unknown patient';
  return n.text ?? [...(n.given ?? []), n.family ?? ''].join(' ').trim();
}

function quantity(o: Observation): string {
  if (o.valueQuantity) return `${o.valueQuantity.value ?? ''} ${o.valueQuantity.unit ?? ''}`.trim();
  if (o.component?.length) return o.component.map((c) => `${c.valueQuantity?.value ?? ''}`).join('/') + ` ${o.component[0]?.valueQuantity?.unit ?? ''}`;
  return o.valueString ?? '';
}

/**
 * The patient summary (banner + latest vitals), per the shared contract; a Server Component.
 * Under `cacheComponents` (next.config.mjs) what reads the session renders inside <Suspense>:
 * the shell is prerendered, the request-time part streams in.
 */
export default function Page() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <Summary />
    </Suspense>
  );
}

async function Summary() {
  const smart = await getSmart();
  if (!smart?.patient) {
    return (
      <div className="card">
        <title>Patient summary</title>
        <h1>Patient summary</h1>
        <p>Not signed in. Launch this app from your EHR, or start a standalone launch:</p>
        <p><a id="launch" href="/launch">Launch</a></p>
      </div>
    );
  }
  const { fhir, patient: id } = smart;
  const [patient, vitals] = await Promise.all([
    fhir.read<Patient>('Patient', id),
    fhir.search<Observation>('Observation', { patient: id, category: 'vital-signs', _sort: '-date', _count: 10 }).catch((): Bundle<Observation> => ({ resourceType: 'Bundle', type: 'searchset', entry: [] })),
  ]);
  const observations = (vitals.entry ?? []).map((x) => x.resource!).filter(Boolean);
  const name = patientName(patient);
  return (
    <>
      <title>{`${name} — Patient summary`}</title>
      <header>
        <strong>Patient summary</strong>
        <span>
          {smart.fhirUser ? <><span className="muted">{smart.fhirUser}</span> · </> : null}
          <a href="/logout">Log out</a>
        </span>
      </header>
      {smart.needPatientBanner !== false ? (
        <section className="banner">
          <h1 id="patient-name">{name}</h1>
          <div className="muted">Born <span id="birth-date">{patient.birthDate ?? 'unknown'}</span> · {patient.gender ?? ''} · id {patient.id ?? ''}</div>
        </section>
      ) : (
        <span id="patient-name" hidden>{name}</span>
      )}
      <main>
        <h2>Latest vital signs</h2>
        {observations.length ? (
          <table id="vitals">
            <thead><tr><th>Measure</th><th>Value</th><th>When</th></tr></thead>
            <tbody>
              {observations.map((o, i) => (
                <tr key={o.id ?? i}><td>{o.code?.text ?? o.code?.coding?.[0]?.display ?? 'Observation'}</td><td>{quantity(o)}</td><td className="muted">{o.effectiveDateTime ?? ''}</td></tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="muted">No vital signs recorded.</p>
        )}
        <SessionCheck />
      </main>
    </>
  );
}
