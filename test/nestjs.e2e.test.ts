import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { launchChromium, launchFromEhrPage } from './helpers/chromium.js';
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
    const page = await browser.newPage();
    await page.goto(`${app.baseUrl}/`);
    expect(await page.getAttribute('#launch', 'href')).toBe('/launch');
    await launchFromEhrPage(page, sandbox.origin, app.baseUrl, 'p3');
    const name = (await page.textContent('#patient-name'))!.trim();
    expect(name.length).toBeGreaterThan(0);
    expect(name).not.toBe('Unknown patient');
    // An EHR launch asks for no patient banner (the EHR shows one), so no #birth-date here.
    expect(await page.locator('#vitals tbody tr').count()).toBeGreaterThan(0);
    const api = await page.evaluate(async () => (await fetch('/api/context')).json());
    expect(api.patient).toBe('p3');
    // The session cookie is HttpOnly: page scripts can't see it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('smart_session');
    await page.reload();
    expect((await page.textContent('#patient-name'))!.trim()).toBe(name);
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/nestjs-${platform}-e2e.png` });
    // Logout: back to the signed-out page with its launch link.
    await page.goto(`${app.baseUrl}/logout`);
    expect(await page.getAttribute('#launch', 'href')).toBe('/launch');
    // Standalone launch from the app's own link: the app shows the banner with the birth date.
    await Promise.all([page.waitForURL(/\/interaction\//), page.click('#launch')]);
    await Promise.all([page.waitForURL(`${app.baseUrl}/`), page.click('button[value=approve]')]);
    expect((await page.textContent('#patient-name'))!.trim()).not.toBe('Unknown patient');
    expect((await page.textContent('#birth-date'))!.trim()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
