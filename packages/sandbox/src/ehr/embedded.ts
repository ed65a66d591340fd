import { escapeHtml, page } from '../html.js';

/**
 * The EHR screen with the app embedded in an `<iframe>`, as many EHRs show SMART apps (the app is
 * then a third-party frame: its cookies need `SameSite=None; Secure; Partitioned`).
 */
export function embeddedPage(appUrl: string, patient: string): string {
  return page('Sandbox EHR — embedded app', `<h1>Patient chart <span class="muted">(${escapeHtml(patient)})</span></h1>
<p class="muted">The app runs in an iframe of this page. <a href="/ehr/launch">Back to the launcher</a></p>
<iframe id="app" name="app" title="SMART app" src="${escapeHtml(appUrl)}" style="width:100%;height:36rem;border:1px solid #ccd3da;border-radius:6px"></iframe>`);
}
