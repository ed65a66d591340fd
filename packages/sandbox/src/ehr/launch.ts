import type { IncomingMessage, ServerResponse } from 'node:http';
import { redirect, sendHtml } from '../http.js';
import type { SandboxState } from '../state.js';
import { embeddedPage } from './embedded.js';
import { ehrPage } from './page.js';

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * `GET /ehr/launch`: with `launch_url`, an EHR launch (SMART 2.2 app-launch §EHR launch):
 * 302 to `<launch_url>?iss=<the profile's EHR iss>&launch=<opaque>`. Without it, the EHR screen.
 * Under cerner `tenant=<id>` picks the tenant (default: the first). `embedded=1`: the EHR page shows
 * the app in an iframe instead (the launch URL is the iframe's src).
 */
export function makeEhrHandler(realms: SandboxState[]) {
  return async (_req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const q = url.searchParams;
    const tenant = q.get('tenant');
    const state = tenant ? realms.find((r) => r.tenant === tenant) : realms[0]!;
    if (!state) return sendHtml(res, 400, 'unknown tenant');
    const launchUrl = q.get('launch_url');
    if (!launchUrl) return sendHtml(res, 200, await ehrPage(state));
    if (!isHttpUrl(launchUrl)) return sendHtml(res, 400, 'launch_url must be an http(s) URL');
    const patient = q.get('patient') || state.defaultPatient;
    const launch = state.launches.create({
      patient,
      encounter: q.get('encounter') || undefined,
      user: q.get('user') || state.defaultUser,
      intent: q.get('intent') || undefined,
      needPatientBanner: q.has('need_patient_banner') ? q.get('need_patient_banner') === 'true' : undefined,
    });
    const target = new URL(launchUrl);
    target.searchParams.set('iss', state.ehrIssuer);
    target.searchParams.set('launch', launch);
    if (q.get('embedded') === '1') return sendHtml(res, 200, embeddedPage(target.toString(), patient));
    redirect(res, target.toString());
  };
}
