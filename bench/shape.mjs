// What every route of the suite answers (the example apps' GET /api/context JSON) and the
// settings shared by the apps under test and the parent that mints their sessions.
export const SECRET = 'bench-secret-0123456789-0123456789-abcdef';
export const SCOPE = 'launch launch/patient openid fhirUser offline_access patient/*.rs';

export function contextJson(s) {
  return { patient: s.patient ?? null, encounter: s.encounter ?? null, fhirUser: s.fhirUser ?? null, scope: s.scope, serverUrl: s.serverUrl, expiresAt: s.expiresAt ?? null };
}

/**
 * What the bare apps send: the same JSON, byte for byte the same length, without a session behind
 * it. `iss` is the issuer the suite's sessions name (BENCH_ISS in the child processes).
 */
export function bareContext(iss = process.env.BENCH_ISS ?? 'http://127.0.0.1:65535/fhir') {
  return { patient: 'bench-patient', encounter: null, fhirUser: `${iss}/Practitioner/bench-practitioner`, scope: SCOPE, serverUrl: iss, expiresAt: 2000000000 };
}
