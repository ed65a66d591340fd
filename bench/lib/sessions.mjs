// Mints SMART sessions for the suite without logging in thousands of times: the session cookies
// are written by core's own SessionManager (the code a login runs), sealed with the apps' secret.
// This is the one place the suite reaches into core's internals (dist/app/core.js); if core changes
// how sessions are saved, `pnpm bench --smoke` (CI) fails here first.
import { randomBytes } from 'node:crypto';

const coreUrl = import.meta.resolve('@smart-launch/core');
const { SmartCore } = await import(new URL('./app/core.js', coreUrl).href);

/**
 * A SmartCore configured like the apps under test (same issuer, same secret, same store), whose
 * `mint()` returns a Cookie header for a new session, as the browser holds it after a login.
 */
export function minter({ iss, secret, store, scope }) {
  const core = new SmartCore({ issuers: [{ iss, clientId: 'bench' }], session: { secret, ...(store ? { store } : {}) } });
  const base = new URL(iss);
  return async function mint({ expiresIn = 3600, createdAt } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const data = {
      v: 1,
      sid: randomBytes(24).toString('base64url'),
      rev: 0,
      iss,
      issuer: base.origin,
      tokenEndpoint: `${base.origin}/token`,
      // A JWT-sized access token and an opaque refresh token, as EHRs issue them.
      accessToken: randomBytes(600).toString('base64url'),
      tokenType: 'Bearer',
      expiresAt: now + expiresIn,
      refreshToken: randomBytes(32).toString('base64url'),
      scope,
      idTokenClaims: { iss: base.origin, sub: 'bench-practitioner', aud: 'bench', fhirUser: `${iss}/Practitioner/bench-practitioner`, iat: now, exp: now + 300 },
      fhirUser: `${iss}/Practitioner/bench-practitioner`,
      patient: 'bench-patient',
      needPatientBanner: true,
      createdAt: createdAt ?? now,
    };
    const setCookie = await core.sessions.save(data, new Map(), false);
    return setCookie.map((c) => c.slice(0, c.indexOf(';'))).join('; ');
  };
}

/** `n` sessions, minted a few at a time (sealing is asynchronous WebCrypto work). */
export async function mintMany(mint, n, options) {
  const out = new Array(n);
  const batch = 64;
  for (let i = 0; i < n; i += batch) {
    const ps = [];
    for (let j = i; j < Math.min(n, i + batch); j++) ps.push(mint(options).then((c) => (out[j] = c)));
    await Promise.all(ps);
  }
  return out;
}
