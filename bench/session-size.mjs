// How big is a cookie-mode session for real-world token sets? Prints, for an Epic-like, a
// Cerner-like (40 scopes, no refresh-token rotation) and a smart-launcher-like token response,
// the bytes the session cookies add to every request and how many cookie chunks they take.
//
//   pnpm turbo run build --filter=@smart-launch/core && node bench/session-size.mjs
//
// Each set is signed in through createSmart().handle() (launch + callback) against a tiny local
// authorization server that answers that token response (with a signed id_token), so the numbers
// are what a browser would store. Goal: the Epic-like set fits one cookie of <= 4096 bytes.
import { createServer } from 'node:http';
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSmart } from '@smart-launch/core';

const APP = 'http://127.0.0.1:3999';
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** Random base64url characters: real tokens are signed or encrypted, so they don't compress. */
const rnd = (n) => randomBytes(n).toString('base64url').slice(0, n);
/** A JWT-shaped token of about `n` characters (header.payload.signature), payload not secret. */
const jwtLike = (payload, n) => {
  const head = `${b64({ alg: 'RS256', typ: 'JWT', kid: rnd(20) })}.${b64(payload)}`;
  return `${head}.${rnd(Math.max(342, n - head.length - 1))}`;
};

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
const sign = (claims) => {
  const input = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
};

let answer = () => ({});
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const path = new URL(req.url, 'http://x').pathname;
    const json = (o) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(o)); };
    if (path === '/fhir/.well-known/smart-configuration') {
      return json({
        issuer: origin, jwks_uri: `${origin}/jwks`, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`,
        capabilities: ['launch-ehr', 'launch-standalone', 'client-public', 'sso-openid-connect'], code_challenge_methods_supported: ['S256'],
      });
    }
    if (path === '/jwks') return json({ keys: [jwk] });
    if (path === '/token') return json(answer(new URLSearchParams(body)));
    res.writeHead(404).end();
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const now = () => Math.floor(Date.now() / 1000);
const idToken = (nonce, extra) => sign({ iss: origin, sub: rnd(24), aud: 'bench-app', iat: now(), exp: now() + 300, nonce, ...extra });
const scopes40 = ['launch', 'openid', 'fhirUser', 'offline_access', ...['Patient', 'Observation', 'Condition', 'Encounter', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Procedure', 'DiagnosticReport', 'DocumentReference', 'CarePlan', 'CareTeam', 'Goal', 'Device', 'Coverage', 'Practitioner', 'Organization', 'Location', 'Medication', 'Provenance', 'ServiceRequest', 'Specimen', 'QuestionnaireResponse', 'Questionnaire', 'RelatedPerson', 'FamilyMemberHistory', 'Appointment', 'Binary', 'Communication', 'NutritionOrder', 'MedicationAdministration', 'MedicationDispense', 'MedicationStatement', 'Media', 'Consent', 'DeviceRequest'].map((r) => `user/${r}.read`)];

const sets = {
  // Epic: a ~1.6 KB JWT access token, a short refresh token, a ~1 KB id_token, many
  // unsolicited context fields (strings for booleans).
  'Epic-like': (nonce) => ({
    access_token: jwtLike({ aud: `${origin}/fhir`, client_id: rnd(36), epic_user: rnd(12), sub: rnd(40), iss: origin }, 1600), token_type: 'Bearer', expires_in: 3600, refresh_token: rnd(110),
    scope: 'launch openid fhirUser offline_access patient/Patient.read patient/Observation.read patient/Condition.read patient/MedicationRequest.read patient/AllergyIntolerance.read patient/Encounter.read patient/Immunization.read patient/Procedure.read',
    id_token: idToken(nonce, { fhirUser: `${origin}/fhir/Practitioner/${rnd(40)}`, preferred_username: 'FHIRTWO' }),
    patient: rnd(40), encounter: rnd(60), '__epic.dstu2.patient': rnd(44), need_patient_banner: 'true', smart_style_url: `${origin}/style/${rnd(60)}.json`,
    location: rnd(36), loginDepartment: rnd(24), appointment: rnd(40), unconstrained: 'false', tenant: rnd(8), state: rnd(43),
  }),
  // Cerner: a JWT access token (~2 KB), 40 user scopes, a JWT refresh token that is not rotated.
  'Cerner-like (40 scopes)': (nonce) => ({
    access_token: jwtLike({ ver: '1.0', iss: origin, aud: `${origin}/fhir`, sub: rnd(20), urn: { tenant: rnd(36), 'com:cerner:authorization:claims': { ver: '1.0', tnt: rnd(36), aud: `${origin}/fhir`, azs: scopes40.join(' ') } } }, 2100),
    token_type: 'Bearer', expires_in: 570, refresh_token: jwtLike({ sub: rnd(20) }, 700),
    scope: scopes40.join(' '),
    id_token: idToken(nonce, { fhirUser: `${origin}/fhir/Practitioner/${rnd(8)}`, name: 'Portal, Portal', given_name: 'Portal', family_name: 'Portal', email: 'portal@example.com' }),
    patient: rnd(8), encounter: rnd(8), need_patient_banner: true, smart_style_url: `${origin}/smart-style/${rnd(36)}`, tenant: rnd(36), user: rnd(8), username: 'portal',
  }),
  // smart-launcher: JWT access and refresh tokens that carry the launch context themselves.
  'smart-launcher-like': (nonce) => ({
    access_token: jwtLike({ context: { need_patient_banner: true, smart_style_url: `${origin}/smart-style.json`, patient: rnd(36), encounter: rnd(36) }, client_id: 'bench-app', scope: 'launch openid fhirUser offline_access patient/*.rs' }, 900),
    token_type: 'Bearer', expires_in: 3600, refresh_token: jwtLike({ context: { patient: rnd(36) }, scope: 'offline_access' }, 650),
    scope: 'launch openid fhirUser offline_access patient/*.rs',
    id_token: idToken(nonce, { fhirUser: `Practitioner/${rnd(36)}`, profile: `Practitioner/${rnd(36)}` }),
    patient: rnd(36), encounter: rnd(36), need_patient_banner: true, smart_style_url: `${origin}/smart-style.json`,
  }),
};

const smart = createSmart({
  issuers: [{ iss: `${origin}/fhir`, clientId: 'bench-app', authorizeMethod: 'GET', scope: 'launch/patient openid fhirUser offline_access patient/*.rs' }],
  session: { secret: 'bench-session-secret-0123456789abcdefgh', maxCookieBytes: 64 * 1024 },
});

console.log('token set                  | token response | session cookies (bytes sent per request) | chunks | largest cookie');
let exit = 0;
for (const [name, make] of Object.entries(sets)) {
  const launch = await smart.handle(new Request(`${APP}/launch`));
  const q = new URL(launch.headers.get('location')).searchParams;
  const tokens = make(q.get('nonce'));
  answer = () => tokens;
  const cookie = launch.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const cb = await smart.handle(new Request(`${APP}/callback?code=c&state=${q.get('state')}&iss=${encodeURIComponent(origin)}`, { headers: { cookie, accept: 'application/json' } }));
  if (cb.status !== 302) throw new Error(`${name}: callback answered ${cb.status}: ${await cb.text()}`);
  const session = cb.headers.getSetCookie().filter((c) => c.startsWith('smart_session') && !c.includes('_tx_') && !/Max-Age=0/.test(c)).map((c) => c.split(';')[0]);
  const bytes = session.reduce((n, c) => n + c.length + 2, 0);
  const largest = Math.max(...session.map((c) => c.length));
  console.log(`${name.padEnd(26)} | ${String(JSON.stringify(tokens).length).padStart(14)} | ${String(bytes).padStart(40)} | ${String(session.length).padStart(6)} | ${largest}`);
  if (name === 'Epic-like' && (session.length !== 1 || largest > 4096)) exit = 1;
}
server.close();
if (exit) console.error('goal missed: the Epic-like set should fit one cookie of <= 4096 bytes');
process.exit(exit);
