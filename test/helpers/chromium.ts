import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The system Chromium (browser downloads don't work here). Fails loudly when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** The app's page after a launch: `/`, whose URL names the launch (`?smart_launch=<handle>`, ADR 0008). */
export const atAppPage = (appBaseUrl: string) => (u: URL) => u.origin + u.pathname === `${appBaseUrl}/` && /^\?smart_launch=[\w-]{10}$/.test(u.search);

/**
 * What a clinician does on the sandbox EHR page: pick a patient, pick the app (added to the list
 * here, as the EHR's app catalogue would), Launch, then Approve on the consent page.
 * Resolves once the browser is back on the app page after sign-in.
 */
export async function launchFromEhrPage(page: Page, ehrOrigin: string, appBaseUrl: string, patient: string): Promise<void> {
  await page.goto(`${ehrOrigin}/ehr/launch`);
  await page.selectOption('#patient', patient);
  await page.evaluate((url) => {
    const select = document.querySelector<HTMLSelectElement>('#launch_url')!;
    select.add(new Option('this app', url, true, true));
  }, `${appBaseUrl}/launch`);
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('form button[type=submit]:not(.secondary)')]);
  await Promise.all([page.waitForURL(atAppPage(appBaseUrl)), page.click('button[value=approve]')]);
}

/**
 * The example contract's person-level scenario, the same for every example app: EHR launch from
 * the sandbox page shows the patient's name and vitals; the session survives a reload and its
 * cookie is HttpOnly; logout returns to the signed-out page; a standalone launch shows the banner.
 */
export async function patientSummaryScenario(page: Page, ehrOrigin: string, appBaseUrl: string, screenshot: string): Promise<void> {
  await page.goto(`${appBaseUrl}/`);
  expect(await page.getAttribute('#launch', 'href')).toBe('/launch');
  await launchFromEhrPage(page, ehrOrigin, appBaseUrl, 'p3');
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
  await page.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/${screenshot}.png` });
  // Logout: back to the signed-out page with its launch link.
  await page.goto(`${appBaseUrl}/logout`);
  expect(await page.getAttribute('#launch', 'href')).toBe('/launch');
  // Standalone launch from the app's own link: the app shows the banner with the birth date.
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('#launch')]);
  await Promise.all([page.waitForURL(atAppPage(appBaseUrl)), page.click('button[value=approve]')]);
  expect((await page.textContent('#patient-name'))!.trim()).not.toBe('Unknown patient');
  expect((await page.textContent('#birth-date'))!.trim()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
}
