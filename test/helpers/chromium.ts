import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The system Chromium (browser downloads don't work here). Fails loudly when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/**
 * What a clinician does on the sandbox EHR page: pick a patient, pick the app (added to the list
 * here, as the EHR's app catalogue would), Launch, then Approve on the consent page.
 * Resolves once the browser is back on the app page after sign-in.
 */
export async function launchFromEhrPage(page: import('playwright-core').Page, ehrOrigin: string, appBaseUrl: string, patient: string): Promise<void> {
  await page.goto(`${ehrOrigin}/ehr/launch`);
  await page.selectOption('#patient', patient);
  await page.evaluate((url) => {
    const select = document.querySelector<HTMLSelectElement>('#launch_url')!;
    select.add(new Option('this app', url, true, true));
  }, `${appBaseUrl}/launch`);
  await Promise.all([page.waitForURL(/\/interaction\//), page.click('form button[type=submit]:not(.secondary)')]);
  await Promise.all([page.waitForURL(`${appBaseUrl}/`), page.click('button[value=approve]')]);
}
