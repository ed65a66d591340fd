import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoKeys, startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { createSmart } from '../src/index.js';
import { APP, login } from './login.js';

// Two EHRs at once, each with its own client settings (SMART App Launch: a client is registered per EHR).
let a: Sandbox;
let b: Sandbox;
beforeAll(async () => {
  [a, b] = await Promise.all([startSandbox({ port: 0, autoApprove: true, quiet: true }), startSandbox({ port: 0, autoApprove: true, quiet: true, defaultPatient: 'p4' })]);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

it('launches at each allowlisted EHR with that EHR\'s client, and keeps their sessions apart', async () => {
  const smart = createSmart({
    issuers: [
      { iss: a.fhirBaseUrl, clientId: 'demo-symmetric', clientSecret: 'demo-secret' },
      { iss: `${b.fhirBaseUrl}/`, clientId: 'demo-asymmetric', privateKey: demoKeys.es384 },
    ],
    session: { secret: 'multi-issuer-secret-0123456789abcdefgh' },
  });
  a.resetStats();
  b.resetStats();
  const atA = await login(smart, `?iss=${encodeURIComponent(a.fhirBaseUrl)}`);
  const atB = await login(smart, `?iss=${encodeURIComponent(b.fhirBaseUrl)}`);
  const ctxA = (await smart.session({ cookie: atA, url: `${APP}/` })).context!;
  const ctxB = (await smart.session({ cookie: atB, url: `${APP}/` })).context!;
  expect(ctxA.serverUrl).toBe(a.fhirBaseUrl);
  expect(ctxB.serverUrl).toBe(b.fhirBaseUrl);
  expect(ctxB.patient).toBe('p4');
  expect(a.stats().token.authorization_code).toBe(1);
  expect(b.stats().token.authorization_code).toBe(1);
  // Each token works only at its own EHR; the FHIR client won't even send it elsewhere.
  expect((await ctxA.fhir.read('Patient', ctxA.patient!)).id).toBe(ctxA.patient);
  await expect(ctxA.fhir.request(`${b.fhirBaseUrl}/Patient/p4`)).rejects.toMatchObject({ code: 'fhir_foreign_url' });
  // Without iss, a standalone launch goes to the first EHR (defaultIss), by GET ('auto' POSTs
  // only EHR launches).
  const res = (await smart.handle(new Request(`${APP}/launch`)))!;
  expect(res.headers.get('location')).toMatch(new RegExp(`^${a.origin}/`));
});

it('authorizes by GET when configured; "auto" POSTs EHR launches to an EHR advertising authorize-post, GETs standalone ones', async () => {
  const secret = 'multi-issuer-secret-0123456789abcdefgh';
  const get = createSmart({ issuers: [{ iss: a.fhirBaseUrl, clientId: 'demo-public', authorizeMethod: 'GET' }], session: { secret } });
  const byGet = (await get.handle(new Request(`${APP}/launch`)))!;
  expect(byGet.status).toBe(302);
  expect(new URL(byGet.headers.get('location')!).searchParams.get('code_challenge_method')).toBe('S256');
  expect((await get.session({ cookie: await login(get), url: `${APP}/` })).context?.patient).toBeTruthy();
  const auto = createSmart({ issuers: [{ iss: a.fhirBaseUrl, clientId: 'demo-public' }], session: { secret } });
  expect((await auto.handle(new Request(`${APP}/launch`)))!.status).toBe(302);
  const ehrLaunch = () => `?iss=${encodeURIComponent(a.fhirBaseUrl)}&launch=${a.createLaunch({ patient: 'p2' })}`;
  const byPost = (await auto.handle(new Request(`${APP}/launch${ehrLaunch()}`)))!;
  expect(byPost.status).toBe(200);
  expect(await byPost.text()).toMatch(/<form method="post" action="http:\/\/127\.0\.0\.1:\d+\/oidc\/authorize">/);
  expect((await auto.session({ cookie: await login(auto, ehrLaunch()), url: `${APP}/` })).context?.patient).toBe('p2');
});
