import { CookieJar } from './cookie-jar.js';
import { parseForms, type HtmlForm } from './forms.js';

/** An EHR that can start an EHR launch: a started sandbox (`startSandbox()`), or its origin. */
export type LaunchingEhr =
  | string
  | { origin: string; ehrLaunchUrl?(launchUrl: string, context?: { patient?: string; user?: string; encounter?: string }): string };

/** A page on the way that is not a redirect: what a `login` script sees. */
export interface LaunchPage {
  url: string;
  status: number;
  body: string;
  forms: HtmlForm[];
}

/** What a `login` script answers: the form to submit (fields in submission order). */
export interface FormSubmission {
  action: string;
  method?: 'GET' | 'POST';
  fields: [string, string][] | Record<string, string>;
}

export interface LaunchOptions {
  /**
   * EHR launch (SMART App Launch 2.2 §EHR launch) started by this sandbox: its `/ehr/launch` sends
   * the app `iss` + `launch`. Without `ehr`, the app URL is opened as given: a standalone launch,
   * or an EHR launch when it already carries `iss` and `launch`.
   */
  ehr?: LaunchingEhr;
  /** Patient in context: the EHR launch's patient, or the sandbox consent page's patient pick. */
  patient?: string;
  encounter?: string;
  /** Who signs in: `Practitioner/pr1`, `Patient/p1` (a bare id means a Practitioner). */
  user?: string;
  /** Scopes to untick on the sandbox consent page. */
  refuseScopes?: string[];
  /** Answer "Deny" on the sandbox consent page. */
  deny?: boolean;
  /**
   * Scripts another server's login (and consent) pages: return the form to submit, or undefined
   * to let the sandbox script (then nothing) handle the page. The app's own pages are never passed.
   */
  login?(page: LaunchPage): FormSubmission | undefined | Promise<FormSubmission | undefined>;
  /** Cookie header the app gets on the first request (an existing session). */
  cookie?: string;
  /** Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per request, in ms. Default 10000. */
  timeoutMs?: number;
  /** Redirects, form posts and pages before giving up. Default 30. */
  maxSteps?: number;
}

export interface LaunchStep {
  method: string;
  /** Origin and path only: queries carry codes and states, never recorded. */
  url: string;
  status: number;
}

export interface LaunchResult {
  /** `Cookie` header value with every cookie the app holds at the end (its session). */
  cookie: string;
  /** The final answer (usually the app's page after the callback); its body is also in `body`. */
  response: Response;
  body: string;
  /** Final URL. */
  url: string;
  steps: LaunchStep[];
}

const accountOf = (user: string) => (user.includes('/') ? user : `Practitioner/${user}`);

/** The sandbox's own login and consent pages (`/interaction/<uid>/login|confirm`). */
function sandboxScript(page: LaunchPage, o: LaunchOptions): FormSubmission | undefined {
  for (const form of page.forms) {
    const step = /\/interaction\/[^/]+\/(login|confirm)$/.exec(new URL(form.action).pathname)?.[1];
    if (form.method !== 'POST' || !step) continue;
    const replace = new Set<string>();
    const extra: [string, string][] = [];
    if (step === 'login' && o.user) {
      const account = accountOf(o.user);
      if (form.options.user && !form.options.user.includes(account)) throw new Error(`launch(): the sandbox has no user ${account} (it lists ${form.options.user.join(', ')})`);
      replace.add('user');
      extra.push(['user', account]);
    }
    if (step === 'confirm') {
      if (o.patient && form.options.patient) {
        if (!form.options.patient.includes(o.patient)) throw new Error(`launch(): the sandbox consent page offers no patient ${o.patient}`);
        replace.add('patient');
        extra.push(['patient', o.patient]);
      }
      extra.push(['decision', o.deny ? 'deny' : 'approve']);
    }
    const fields = form.fields.filter(([k, v]) => !replace.has(k) && !(k === 'scope' && o.refuseScopes?.includes(v)));
    return { action: form.action, method: 'POST', fields: [...fields, ...extra] };
  }
  return undefined;
}

function ehrLaunchUrl(ehr: LaunchingEhr, appUrl: string, o: LaunchOptions): string {
  const context = { ...(o.patient ? { patient: o.patient } : {}), ...(o.user ? { user: o.user } : {}), ...(o.encounter ? { encounter: o.encounter } : {}) };
  if (typeof ehr !== 'string' && ehr.ehrLaunchUrl) return ehr.ehrLaunchUrl(appUrl, context);
  const url = new URL('/ehr/launch', typeof ehr === 'string' ? ehr : ehr.origin);
  url.searchParams.set('launch_url', appUrl);
  for (const [k, v] of Object.entries(context)) url.searchParams.set(k, v);
  return url.href;
}

/**
 * Drives a real SMART launch with fetch, as a browser would: cookies, redirects, the app's
 * auto-submitted authorize-POST page, the sandbox's login and consent pages (or a `login` script
 * for another server). Returns the app's cookie header and the final response.
 *
 *     const { cookie, response } = await launch(`${appUrl}/launch`, { ehr: sandbox, patient: 'p2' });
 */
export async function launch(appLaunchUrl: string, options: LaunchOptions = {}): Promise<LaunchResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const appOrigin = new URL(appLaunchUrl).origin;
  const jar = new CookieJar();
  if (options.cookie) jar.store(appLaunchUrl, options.cookie.split(';').map((c) => c.trim()).filter(Boolean));
  const steps: LaunchStep[] = [];
  const trail = () => steps.map((s) => `${s.method} ${s.url} -> ${s.status}`).join('\n  ');

  let url = options.ehr ? ehrLaunchUrl(options.ehr, appLaunchUrl, options) : appLaunchUrl;
  let init: { method: string; body?: URLSearchParams } = { method: 'GET' };
  const maxSteps = options.maxSteps ?? 30;
  for (let i = 0; i < maxSteps; i++) {
    const headers = new Headers({ accept: 'text/html,application/xhtml+xml' });
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    if (init.body) headers.set('content-type', 'application/x-www-form-urlencoded');
    let res: Response;
    try {
      res = await doFetch(url, { method: init.method, headers, ...(init.body ? { body: init.body } : {}), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      const where = new URL(url);
      throw new Error(`launch(): ${init.method} ${where.origin}${where.pathname} failed: ${(e as Error).message}\n  ${trail()}`, { cause: e });
    }
    jar.store(url, res.headers.getSetCookie());
    const here = new URL(url);
    steps.push({ method: init.method, url: `${here.origin}${here.pathname}`, status: res.status });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url).href;
      init = { method: 'GET' };
      continue;
    }
    const body = await res.text();
    const isHtml = (res.headers.get('content-type') ?? '').includes('html');
    const forms = isHtml ? parseForms(body, url) : [];
    // SMART App Launch 2.2 app-launch step 4 (authorize-post): the app's self-submitting form.
    const auto = res.status === 200 ? forms.find((f) => f.autoSubmit && f.method === 'POST') : undefined;
    let next: FormSubmission | undefined = auto ? { action: auto.action, method: 'POST', fields: auto.fields } : undefined;
    if (!next && isHtml && here.origin !== appOrigin) {
      const page: LaunchPage = { url, status: res.status, body, forms };
      next = (await options.login?.(page)) ?? sandboxScript(page, options);
    }
    if (!next) {
      return { cookie: jar.header(`${appOrigin}/`), response: new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers }), body, url, steps };
    }
    const params = new URLSearchParams(Array.isArray(next.fields) ? next.fields : Object.entries(next.fields));
    const target = new URL(next.action, url);
    if ((next.method ?? 'POST') === 'GET') {
      target.search = params.toString();
      url = target.href;
      init = { method: 'GET' };
    } else {
      url = target.href;
      init = { method: 'POST', body: params };
    }
  }
  throw new Error(`launch(): no final page after ${maxSteps} steps:\n  ${trail()}`);
}
