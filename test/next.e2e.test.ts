/**
 * End to end in Chromium against examples/next as a production build (next build + next start):
 * sandbox EHR page -> Launch -> patient name and vitals (Server Component getSmart()), reload,
 * token expiry (the proxy refreshes before rendering, the browser's cookie gets the new token),
 * and the Server Action's getSmart().
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '@smart-launch/sandbox';
import { startProcess, type RunningApp } from './helpers/processes.js';
import { atAppPage } from './helpers/chromium.js';

const SECRET = 'next-e2e-session-secret-0123456789abcdef';
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until a token expiring at `expiresAt` (epoch s) is due for refresh (the app's 60 s refresh skew). */
const waitUntilDue = (expiresAt: number) => wait(Math.max(0, (expiresAt - 60) * 1000 - Date.now()) + 500);

describe('examples/next in Chromium', () => {
  let sandbox: Sandbox;
  let app: RunningApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const sessionCookie = async () =>
    (await context.cookies(app.baseUrl)).filter((c) => c.name.startsWith('smart_session~')).map((c) => c.value).join('');
  const apiContext = async () => (await (await page.request.get(`${app.baseUrl}/api/context`)).json()) as { patient: string; expiresAt: number };

  beforeAll(async () => {
    // 62 s tokens with the default 60 s refresh skew: a token needs refreshing ~2 s after issue.
    // Tokens from login fall due 2 s later (refresh skew 60 s); refreshed ones 6 s later, so a slow
    // machine can't make a refreshed token fall due again inside one test, and the next test can wait for it.
    sandbox = await startSandbox({ port: 0, autoApprove: true, quiet: true, accessTokenTtl: 62, refreshedAccessTokenTtl: 66 });
    app = await startProcess('node', ['examples/next/scripts/start.mjs'], { env: { SMART_ISS: sandbox.fhirBaseUrl, SESSION_SECRET: SECRET }, timeoutMs: 60_000 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext();
    page = await context.newPage();
  });
  // A failure shows what the app printed (it never logs a token): the clue for a hang or a 500.
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(`examples/next output (tail):\n${app?.output().slice(-4000)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await sandbox?.stop();
  });

  it('sandbox EHR page -> Launch -> the app shows the patient name and vitals', async () => {
    await page.goto(`${sandbox.origin}/ehr/launch`);
    await page.fill('#custom', `${app.baseUrl}/launch`);
    await page.click('form:has(#custom) button[type=submit]');
    await page.waitForURL(atAppPage(app.baseUrl), { timeout: 10_000 }).catch((e: Error) => {
      throw new Error(`${e.message} at ${page.url()}`);
    });
    expect((await page.textContent('#patient-name'))?.trim()).toMatch(/\S/);
    // The EHR shows its own banner (need_patient_banner false): the name is there, hidden.
    expect(await page.locator('#vitals tbody tr').count()).toBeGreaterThan(0);
    expect(await sessionCookie()).not.toBe('');
    expect(page.url()).toMatch(new RegExp(`^${app.baseUrl}/\\?smart_launch=[\\w-]{10}$`));
  });

  it('reload keeps the session', async () => {
    const name = await page.textContent('#patient-name');
    await page.reload();
    expect(await page.textContent('#patient-name')).toBe(name);
  });

  it('runs with cacheComponents (as create-next-app@16 sets it) and signed-in renders log no prerendering errors', async () => {
    const { readFile } = await import('node:fs/promises');
    const built = JSON.parse(await readFile(new URL('../examples/next/.next/required-server-files.json', import.meta.url), 'utf8')) as { config: { cacheComponents?: boolean } };
    expect(built.config.cacheComponents).toBe(true);
    await page.reload();
    expect((await page.textContent('#patient-name'))?.trim()).toMatch(/\S/);
    // getSmart() marks the request dynamic (connection()) before the session code reads the clock.
    expect(app.output()).not.toMatch(/Date\.now\(\)|unstable value|uncached or runtime data|during prerendering/i);
  });

  it('a Server Action reads the session with getSmart()', async () => {
    const { patient } = await apiContext();
    await page.click('#check-session');
    await expect.poll(() => page.textContent('#session-info')).toContain(`patient ${patient}`);
  });

  it('after the access token expires the page still loads, and the session cookie holds the new token', async () => {
    const before = await apiContext();
    const cookieBefore = await sessionCookie();
    await waitUntilDue(before.expiresAt);
    sandbox.resetStats();
    const name = await page.textContent('#patient-name');
    await page.reload();
    expect(await page.textContent('#patient-name')).toBe(name);
    expect(await page.locator('#vitals tbody tr').count()).toBeGreaterThan(0);
    // One refresh, done by the proxy ahead of rendering; the Server Component had nothing to save.
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
    expect(app.output()).not.toMatch(/could not be saved/);
    const cookieAfter = await sessionCookie();
    expect(cookieAfter).not.toBe(cookieBefore);
    // The browser's new cookie is the refreshed session: a later expiry, and no further refresh.
    const after = await apiContext();
    expect(after.expiresAt).toBeGreaterThan(before.expiresAt);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
  });

  it('a Server Action after expiry sees the refreshed token, and the browser keeps it', async () => {
    const before = await apiContext();
    await waitUntilDue(before.expiresAt);
    sandbox.resetStats();
    const cookieBefore = await sessionCookie();
    await page.click('#check-session');
    // The action's getSmart() saw the refreshed token (a later expiry than before).
    const shownExpiry = async () => Date.parse(/valid until (\S+)/.exec((await page.textContent('#session-info')) ?? '')?.[1] ?? '') / 1000;
    await expect.poll(shownExpiry).toBeGreaterThan(before.expiresAt);
    await expect.poll(async () => sandbox.stats().token.refresh_token ?? 0).toBe(1);
    await expect.poll(sessionCookie).not.toBe(cookieBefore);
    expect((await apiContext()).expiresAt).toBeGreaterThan(before.expiresAt);
    expect(sandbox.stats().token.refresh_token ?? 0).toBe(1);
  });

  it('a standalone launch shows the banner with name and birth date', async () => {
    const other = await browser.newContext();
    const p = await other.newPage();
    await p.goto(`${app.baseUrl}/`);
    await p.click('#launch');
    await p.waitForURL(atAppPage(app.baseUrl));
    expect((await p.textContent('#patient-name'))?.trim()).toMatch(/\S/);
    expect(await p.textContent('#birth-date')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await other.close();
  });

  it('logout ends the session', async () => {
    await page.click('a[href="/logout"]');
    await page.waitForSelector('#launch');
    expect(await sessionCookie()).toBe('');
    expect((await page.request.get(`${app.baseUrl}/api/context`)).status()).toBe(401);
  });
});
