import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launchChromium, launchFromEhrPage } from './helpers/chromium.js';
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

  it('EHR page -> Launch -> Approve -> the app shows the patient name and vitals; reload keeps the session', async () => {
    const page = await browser.newPage();
    await launchFromEhrPage(page, sandbox.origin, app.baseUrl, 'p3');
    const name = (await page.textContent('#patient-name'))!.trim();
    expect(name.length).toBeGreaterThan(0);
    expect(name).not.toBe('Unknown patient');
    expect(await page.locator('#vitals tbody tr').count()).toBeGreaterThan(0);
    const api = await page.evaluate(async () => (await fetch('/api/context')).json());
    expect(api.patient).toBe('p3');
    // The session cookie is HttpOnly: page scripts can't see it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('smart_session');
    await page.reload();
    expect((await page.textContent('#patient-name'))!.trim()).toBe(name);
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/express-e2e.png` });
  });
});
