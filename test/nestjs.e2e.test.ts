import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launchChromium, patientSummaryScenario } from './helpers/chromium.js';
import { startProcess, type RunningApp } from './helpers/processes.js';
import { SECRET } from './conformance/suite.js';

// A person's path, in a real Chromium: the sandbox EHR page -> Launch -> consent -> the Nest app.
describe.each(['express', 'fastify'])('end to end in Chromium: examples/nestjs on NEST_PLATFORM=%s', (platform) => {
  let sandbox: Sandbox;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, autoApprove: false, quiet: true });
    app = await startProcess('node', ['examples/nestjs/dist/main.js'], { env: { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET, NEST_PLATFORM: platform } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await sandbox?.stop();
  });

  it('EHR page -> Launch -> Approve -> the app shows the patient name and vitals; logout; a standalone launch shows the banner', async () => {
    await patientSummaryScenario(await browser.newPage(), sandbox.origin, app.baseUrl, `nestjs-${platform}-e2e`);
  });
});
