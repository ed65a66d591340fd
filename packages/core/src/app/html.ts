/** Small, self-contained HTML pages: no third-party resources, everything escaped. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}code{background:#f3f3f3;padding:0 .3em}';

/** Security headers for every page smart-launch renders (RFC 9700 4.2: no referrer, no caching). */
export function pageHeaders(nonce?: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors *${nonce ? `; script-src 'nonce-${nonce}'` : ''}`,
  };
}

export function errorPage(title: string, details: { code: string; message: string; oauth?: { error: string; error_description?: string; error_uri?: string } }, launchPath?: string): string {
  const o = details.oauth;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>
<h1>${escapeHtml(title)}</h1><p>${escapeHtml(details.message)}</p><p>Error code: <code>${escapeHtml(details.code)}</code></p>
${o ? `<p>Server said: <code>${escapeHtml(o.error)}</code>${o.error_description ? ` ${escapeHtml(o.error_description)}` : ''}${o.error_uri ? ` (${escapeHtml(o.error_uri)})` : ''}</p>` : ''}
${launchPath ? `<p><a href="${escapeHtml(launchPath)}">Launch again</a></p>` : ''}</body></html>`;
}

/** SMART app-launch step 4: authorize by an auto-submitted form POST (authorize-post). */
export function autoPostPage(action: string, params: URLSearchParams, nonce: string): string {
  const inputs = [...params].map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in…</title><style>${STYLE}</style></head><body>
<form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue to sign in</button></noscript></form>
<script nonce="${nonce}">document.forms[0].submit()</script></body></html>`;
}

/** Shown when a logout was started from another site: the user confirms with a same-origin POST. */
export function confirmLogoutPage(action: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log out?</title><style>${STYLE}</style></head><body>
<h1>Log out?</h1><p>Another site asked to end your session with this app.</p>
<form method="post" action="${escapeHtml(action)}"><button type="submit">Log out</button></form></body></html>`;
}

/**
 * Several launches are alive in this browser and the request names none (ADR 0008): say so and
 * offer to launch again, never show one of them.
 */
export function ambiguousLaunchPage(launchPath: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Which patient?</title><style>${STYLE}</style></head><body>
<h1>Which launch is this page for?</h1><p>This app is open for several patients or EHR sessions in this browser, and this page does not say which one it belongs to, so it shows none of them.</p>
<p>Go back to the EHR and open the app again for the patient you want, or use the tab that launched it.</p>
<p>Error code: <code>launch_ambiguous</code></p><p><a href="${escapeHtml(launchPath)}">Launch again</a></p></body></html>`;
}
