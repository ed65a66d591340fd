/**
 * The profile x example matrix: one example app against the sandbox playing each real server
 * (packages/sandbox README, "Vendor profiles"): EHR launch, standalone launch, a refresh past the
 * first expiry with `openid fhirUser`, a FHIR read, logout. Medplum: a confidential client with a
 * UUID-like client_id, and two refreshes (rotated refresh tokens). One sandbox and one app process
 * per profile, started together; 62 s tokens with the default 60 s refresh skew need a refresh
 * after ~2 s.
 * Each profile's pass count goes to the matrix printed at the end of the run (global-setup.ts).
 */
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MEDPLUM_CLIENT, SANDBOX_PROFILES, startSandbox, type Sandbox, type SandboxProfile } from '@smart-launch/sandbox';
import { TestBrowser } from '../helpers/browser.js';

export interface MatrixApp {
  baseUrl: string;
  stop(): Promise<void>;
}
export type StartMatrixApp = (env: Record<string, string>) => Promise<MatrixApp>;

const SECRET = 'profile-matrix-session-secret-0123456789abcdef';

/** The app's settings for a profile: its allowlist entries and client. */
function appEnv(sandbox: Sandbox): Record<string, string> {
  const isses = new Set<string>();
  // cerner: one template for every tenant; the first tenant's base for standalone launches.
  if (sandbox.fhirBaseUrlPattern !== sandbox.fhirBaseUrl) isses.add(sandbox.fhirBaseUrlPattern);
  isses.add(sandbox.fhirBaseUrl);
  // launcher: EHR launches come with another iss (an alias base of the same server).
  isses.add(sandbox.ehrIssuer);
  const env: Record<string, string> = { SMART_ISS: [...isses].join(' '), SESSION_SECRET: SECRET };
  if (sandbox.profile === 'medplum') Object.assign(env, { SMART_CLIENT_ID: MEDPLUM_CLIENT.id, SMART_CLIENT_SECRET: MEDPLUM_CLIENT.secret });
  return env;
}

async function context(app: MatrixApp, browser: TestBrowser) {
  const res = await browser.fetch(`${app.baseUrl}/api/context`, { headers: { accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One profile's checks, run in order; each failure is collected, the run goes on. */
type Check = [name: string, fn: (sandbox: Sandbox, app: MatrixApp) => Promise<void>];

function checksFor(profile: SandboxProfile): Check[] {
  return [
    ['EHR launch: patient from the EHR, user from the id_token', async (sandbox, app) => {
      const browser = new TestBrowser();
      const { body } = await browser.navigate(sandbox.ehrLaunchUrl(`${app.baseUrl}/launch`, { patient: 'p2', user: 'pr1' }));
      expect(body).toContain('id="patient-name"');
      const ctx = await context(app, browser);
      expect(ctx.status).toBe(200);
      expect(ctx.body.patient).toBe('p2');
      expect(ctx.body.serverUrl).toBe(sandbox.ehrIssuer);
      expect(String(ctx.body.fhirUser)).toMatch(/\/Practitioner\/pr1$/);
    }],
    ['standalone launch and a FHIR read', async (sandbox, app) => {
      const browser = new TestBrowser();
      const { body, url } = await browser.navigate(`${app.baseUrl}/launch`);
      expect(new URL(url).origin).toBe(app.baseUrl);
      expect(body).toContain('id="patient-name"');
      const ctx = await context(app, browser);
      expect(ctx.body.serverUrl).toBe(sandbox.fhirBaseUrl);
      expect(ctx.body.fhirUser).toBeTruthy();
      const res = await browser.fetch(`${app.baseUrl}/api/patient`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ resourceType: 'Patient', id: ctx.body.patient });
    }],
    [`refresh past the first expiry${profile === 'medplum' ? ', twice (rotated refresh tokens)' : ''}, openid fhirUser kept`, async (sandbox, app) => {
      const browser = new TestBrowser();
      await browser.navigate(`${app.baseUrl}/launch`);
      const first = await context(app, browser);
      // The body is the app's context or its typed error (code and message only, never a token).
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      expect(first.body.fhirUser, JSON.stringify(first.body)).toBeTruthy();
      sandbox.resetStats();
      const rounds = profile === 'medplum' ? 2 : 1;
      let expiresAt = Number(first.body.expiresAt);
      for (let i = 1; i <= rounds; i++) {
        await pause(2300);
        const p = await browser.fetch(`${app.baseUrl}/api/patient`);
        expect(p.status).toBe(200);
        expect(sandbox.stats().token.refresh_token ?? 0).toBe(i);
        const after = await context(app, browser);
        expect(after.body.fhirUser).toBe(first.body.fhirUser);
        expect(after.body.patient).toBe(first.body.patient);
        expect(Number(after.body.expiresAt)).toBeGreaterThan(expiresAt);
        expiresAt = Number(after.body.expiresAt);
      }
    }],
    ['logout ends the session', async (_sandbox, app) => {
      const browser = new TestBrowser();
      await browser.navigate(`${app.baseUrl}/launch`);
      expect((await context(app, browser)).status).toBe(200);
      const out = await browser.fetch(`${app.baseUrl}/logout`);
      expect(out.status).toBe(302);
      expect((await context(app, browser)).status).toBe(401);
    }],
  ];
}

/**
 * Every profile gets its own sandbox and app process, all started up front; the profiles then run
 * concurrently (their refresh waits overlap), each one's checks in order.
 */
export function profileMatrix(example: string, start: StartMatrixApp, profiles: readonly SandboxProfile[] = SANDBOX_PROFILES): void {
  describe(`profile matrix: ${example}`, () => {
    const running = new Map<SandboxProfile, { sandbox: Sandbox; app: MatrixApp }>();
    const startErrors = new Map<SandboxProfile, unknown>();
    const started: { stop(): Promise<void> }[] = [];

    beforeAll(async () => {
      const boot = async (profile: SandboxProfile) => {
        try {
          const sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, profile });
          started.push(sandbox);
          const app = await start(appEnv(sandbox));
          started.push(app);
          running.set(profile, { sandbox, app });
        } catch (e) {
          startErrors.set(profile, e);
        }
      };
      // Two at a time (a 2-core machine): the first sandbox loads the FHIR data, the others reuse it.
      const queue = [...profiles];
      await Promise.all([0, 1].map(async () => {
        for (let p = queue.shift(); p; p = queue.shift()) await boot(p);
      }));
    }, 180_000);
    afterAll(async () => {
      await Promise.all(started.map((s) => s.stop().catch(() => {})));
    });

    for (const profile of profiles) {
      const checks = checksFor(profile);
      it.concurrent(`${profile}: ${checks.map(([n]) => n.split(':')[0]).join(', ')}`, async () => {
        const failures: string[] = [];
        let passed = 0;
        try {
          const r = running.get(profile);
          if (!r) throw startErrors.get(profile) ?? new Error(`${profile}: not started`);
          for (const [name, fn] of checks) {
            try {
              await fn(r.sandbox, r.app);
              passed++;
            } catch (e) {
              failures.push(`${name}: ${(e as Error).message.slice(0, 600)}`);
            }
          }
        } finally {
          appendFileSync(inject('profileMatrixFile'), `${JSON.stringify({ example, profile, passed, planned: checks.length })}\n`);
        }
        if (failures.length) throw new Error(`${profile}: ${failures.length} of ${checks.length} checks failed\n${failures.join('\n')}`);
      }, 90_000);
    }
  });
}
