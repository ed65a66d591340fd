/**
 * Issue 13 in Chromium on every example app: two tabs for two patients keep their own patient
 * (reloads, navigation, fetches), eviction gives the clear answer, an outlived tab relaunches
 * cleanly; and the app embedded in the EHR's iframe on another site launches, reads the patient,
 * refreshes and logs out.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { embeddedScenario, launchChromiumForLaunches, severalLaunchesScenario } from './helpers/several-launches.js';
import { startProcess, type RunningApp } from './helpers/processes.js';
import { SECRET } from './conformance/suite.js';

const EXAMPLES: [string, string[], Record<string, string>, number][] = [
  ['examples/express', ['examples/express/dist/server.js'], {}, 30_000],
  ['examples/nestjs (express)', ['examples/nestjs/dist/main.js'], { NEST_PLATFORM: 'express' }, 30_000],
  ['examples/nestjs (fastify)', ['examples/nestjs/dist/main.js'], { NEST_PLATFORM: 'fastify' }, 30_000],
  ['examples/next', ['examples/next/scripts/start.mjs'], {}, 60_000],
];

describe.each(EXAMPLES)('several launches and the embedded app in Chromium: %s', (_name, args, extraEnv, timeoutMs) => {
  let sandbox: Sandbox;
  let tabs: RunningApp;
  let embedded: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    // 62 s tokens with the default 60 s refresh skew: a token needs refreshing ~2 s after issue;
    // refreshed ones live 5 min, so each launch refreshes once however slow the machine is.
    sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 300 });
    const env = { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET, ...extraEnv };
    [tabs, embedded, browser] = await Promise.all([
      startProcess('node', args, { env: { ...env, SMART_MAX_LAUNCHES: '2' }, timeoutMs }),
      startProcess('node', args, { env: { ...env, SMART_SAME_SITE: 'none' }, timeoutMs }),
      launchChromiumForLaunches(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([tabs?.stop(), embedded?.stop()]);
    await sandbox?.stop();
  });

  it('two tabs keep their own patient; eviction; the clear answer; an outlived tab relaunches cleanly', async () => {
    await severalLaunchesScenario(browser, sandbox, tabs.baseUrl);
  }, 60_000);

  it('embedded in the EHR iframe on another site: launch, patient, refresh, logout', async () => {
    await embeddedScenario(browser, sandbox, embedded.baseUrl.replace('127.0.0.1', 'localhost'));
  }, 60_000);
});
