import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launchChromium, patientSummaryScenario } from './helpers/chromium.js';
import { startProcess, type RunningApp } from './helpers/processes.js';
import { SECRET } from './conformance/suite.js';

// A person's path, in a real Chromium: the sandbox EHR page -> Launch -> consent -> the app.
describe('end to end in Chromium: examples/express', () => {
  let sandbox: Sandbox;
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, autoApprove: false, quiet: true });
    app = await startProcess('node', ['examples/express/dist/server.js'], { env: { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await sandbox?.stop();
  });

  it('EHR page -> Launch -> Approve -> patient name and vitals; reload keeps the session; logout; standalone shows the banner', async () => {
    await patientSummaryScenario(await browser.newPage(), sandbox.origin, app.baseUrl, 'express-e2e');
  });
});
