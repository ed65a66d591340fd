/**
 * Issue 13 / ADR 0008 in a real Chromium, the same for every example app: several launches in one
 * browser (tabs keep their own patient across reloads, navigation and fetches; eviction; a tab
 * that outlived its launch relaunches cleanly) and the app embedded in the EHR's iframe on another
 * site (127.0.0.1 for the EHR, localhost for the app: different sites, both secure contexts).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Sandbox } from '@smart-launch/sandbox';
import { CHROMIUM } from './chromium.js';

/** Chromium with `localhost` pinned to 127.0.0.1 (the apps listen there only). */
export async function launchChromiumForLaunches(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
}

const handleOf = (url: string) => new URL(url).searchParams.get('smart_launch');

/** An EHR launch of `appBaseUrl` for `patient` from the sandbox (auto-approve), in `page`. */
async function ehrLaunch(page: Page, sandbox: Sandbox, appBaseUrl: string, patient: string): Promise<string> {
  await page.goto(`${sandbox.origin}/ehr/launch?launch_url=${encodeURIComponent(`${appBaseUrl}/launch`)}&patient=${patient}&user=pr1`);
  await page.waitForURL((u) => u.href.startsWith(`${appBaseUrl}/?smart_launch=`));
  await page.waitForSelector('#patient-name', { state: 'attached' });
  return handleOf(page.url())!;
}

const shownName = async (p: Page | Frame) => (await p.textContent('#patient-name'))?.trim() ?? '';
const apiPatient = (p: Page | Frame) => p.evaluate(async () => ((await (await fetch('/api/context', { headers: { accept: 'application/json' } })).json()) as { patient?: string }).patient);

/**
 * Two tabs launched for two patients keep their own patient across reloads, navigation and
 * fetches from the page; a third launch (maxLaunches 2) ends the oldest; a new tab that names no
 * launch gets the 409 page; the tab that outlived its launch relaunches cleanly.
 * The app must run with SMART_MAX_LAUNCHES=2 against an auto-approving sandbox.
 */
export async function severalLaunchesScenario(browser: Browser, sandbox: Sandbox, appBaseUrl: string): Promise<void> {
  const context = await browser.newContext();
  try {
    const [tabA, tabB] = [await context.newPage(), await context.newPage()];
    const a = await ehrLaunch(tabA, sandbox, appBaseUrl, 'p2');
    const b = await ehrLaunch(tabB, sandbox, appBaseUrl, 'p3');
    expect(a).not.toBe(b);
    const nameA = await shownName(tabA);
    const nameB = await shownName(tabB);
    expect(nameA).not.toBe(nameB);
    expect(nameA).not.toBe('');
    for (const [tab, name, id, handle] of [[tabA, nameA, 'p2', a], [tabB, nameB, 'p3', b]] as const) {
      // Reload (after the other tab's launch): still this tab's patient.
      await tab.reload();
      expect(await shownName(tab)).toBe(name);
      // A fetch from the page (Referer carries the launch).
      expect(await apiPatient(tab)).toBe(id);
      // A navigation by link (Referer, then the sticky redirect puts the launch in the URL).
      await tab.evaluate(() => location.assign('/api/context'));
      await tab.waitForURL((u) => u.pathname === '/api/context');
      expect(handleOf(tab.url())).toBe(handle);
      const linkBody = (await tab.textContent('body'))!;
      expect(JSON.parse(linkBody).patient, linkBody).toBe(id);
      await tab.goBack();
      await tab.waitForSelector('#patient-name', { state: 'attached' });
      expect(await shownName(tab)).toBe(name);
      // A form submitted from the page (same carry: Referer, then the URL).
      await Promise.all([
        tab.waitForURL((u) => u.pathname === '/api/context' && handleOf(u.href) === handle).catch(async (e: Error) => {
          // Say what the app answered instead of the redirect that names the launch.
          const body = await tab.textContent('body').catch(() => '(no body)');
          throw new Error(`form submit: expected a redirect naming launch ${handle}, at ${tab.url()}: ${body?.slice(0, 300)}`, { cause: e });
        }),
        tab.evaluate(() => {
          const form = document.createElement('form');
          form.action = '/api/context';
          document.body.append(form);
          form.submit();
        }),
      ]);
      const formBody = (await tab.textContent('body'))!;
      expect(JSON.parse(formBody).patient, formBody).toBe(id);
      await tab.goBack();
      await tab.waitForSelector('#patient-name', { state: 'attached' });
      // A POST from the page where the app has one (Next.js: a Server Action reading getSmart()).
      if (await tab.locator('#check-session').count()) {
        await tab.click('#check-session');
        await expect.poll(() => tab.textContent('#session-info')).toContain(`patient ${id}`);
      }
    }
    // A third launch: the oldest (A) ends.
    const tabC = await context.newPage();
    await ehrLaunch(tabC, sandbox, appBaseUrl, 'p4');
    // A new tab naming no launch, with two alive: the clear answer, never a patient.
    const tabD = await context.newPage();
    const answer = await tabD.goto(`${appBaseUrl}/`);
    expect(answer?.status()).toBe(409);
    expect(await tabD.textContent('body')).toContain('launch_ambiguous');
    expect(await tabD.locator('#patient-name').count()).toBe(0);
    // Tab A outlived its launch: signed out (never B's or C's patient), and it relaunches cleanly.
    await tabA.reload();
    await tabA.waitForSelector('#launch');
    expect(await tabA.locator('#patient-name').count()).toBe(0);
    await Promise.all([tabA.waitForURL((u) => u.href.startsWith(`${appBaseUrl}/?smart_launch=`) && handleOf(u.href) !== a), tabA.click('#launch')]);
    await tabA.waitForSelector('#patient-name', { state: 'attached' });
    expect(await shownName(tabA)).not.toBe('');
    // C kept its patient; the relaunch in A was the third live launch again, so B (now the
    // oldest) ended: B shows "signed out", never another tab's patient.
    await tabC.reload();
    await tabC.waitForSelector('#patient-name', { state: 'attached' });
    expect(await apiPatient(tabC)).toBe('p4');
    await tabB.reload();
    await tabB.waitForSelector('#launch');
    expect(await tabB.locator('#patient-name').count()).toBe(0);
    expect(await tabB.evaluate(async () => (await fetch('/api/context', { headers: { accept: 'application/json' } })).status)).toBe(401);
  } finally {
    await context.close();
  }
}

/**
 * The app in the EHR's iframe, on another site: launch inside the frame, read the patient,
 * refresh (the sandbox must issue 62 s tokens so one is due after ~2 s), log out. The app must
 * run with SMART_SAME_SITE=none; `appBaseUrl` is its http://localhost:<port> address.
 */
export async function embeddedScenario(browser: Browser, sandbox: Sandbox, appBaseUrl: string): Promise<void> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    sandbox.resetStats();
    await page.goto(`${sandbox.origin}/ehr/launch?launch_url=${encodeURIComponent(`${appBaseUrl}/launch`)}&patient=p2&user=pr1&embedded=1`);
    const frame = page.frame({ name: 'app' })!;
    await frame.waitForURL((u) => u.href.startsWith(`${appBaseUrl}/?smart_launch=`), { timeout: 15_000 }).catch((e: Error) => {
      throw new Error(`${e.message} (frame at ${frame.url()})`);
    });
    await frame.waitForSelector('#patient-name', { state: 'attached' });
    const name = await shownName(frame);
    expect(name).not.toBe('');
    expect(await apiPatient(frame)).toBe('p2');
    // Third-party cookies in the frame: Secure; SameSite=None; Partitioned (CHIPS) by the EHR's site.
    const cookies = (await context.cookies(appBaseUrl)).filter((c) => c.name.startsWith('smart_session~'));
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatchObject({ secure: true, sameSite: 'None', httpOnly: true });
    expect(cookies.some((c) => (c as { partitionKey?: string }).partitionKey !== undefined)).toBe(true);
    // Refresh: the token is due; the frame reloads with the same patient, refreshed at the EHR.
    // Counted from the launch on: on a slow machine the refresh may already have happened during
    // the reads above; refreshed tokens live 5 min, so there is exactly one either way.
    await new Promise((r) => setTimeout(r, 2500));
    await frame.evaluate(() => location.reload());
    await frame.waitForSelector('#patient-name', { state: 'attached' });
    expect(await shownName(frame)).toBe(name);
    expect(await apiPatient(frame)).toBe('p2');
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    // Logout inside the frame.
    await Promise.all([frame.waitForURL((u) => u.pathname === '/'), frame.click('a[href="/logout"]')]);
    await frame.waitForSelector('#launch');
    expect((await context.cookies(appBaseUrl)).filter((c) => c.name.startsWith('smart_session~'))).toEqual([]);
  } finally {
    await context.close();
  }
}
