/** Escapes text for HTML element and attribute content. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CSS = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1d2730}
header{background:#1f4e79;color:#fff;padding:.7rem 1.4rem;font-weight:600}
main{max-width:46rem;margin:1.5rem auto;background:#fff;padding:1.3rem 1.6rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.3rem;margin-top:0} label{display:block;margin:.5rem 0 .2rem;font-weight:600}
select,input[type=text],input[type=url]{width:100%;padding:.4rem;box-sizing:border-box}
button{padding:.5rem 1.1rem;margin:.8rem .5rem 0 0;border:0;border-radius:5px;background:#1f4e79;color:#fff;cursor:pointer}
button.secondary{background:#8a96a3} code{background:#eef1f4;padding:0 .25rem;border-radius:3px}
ul.scopes li{margin:.15rem 0} .muted{color:#66717c;font-size:.9rem}
`;

/** A minimal page: no scripts, no third-party resources. */
export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><style>${CSS}</style></head>` +
    `<body><header>SMART sandbox EHR</header><main>${body}</main></body></html>`;
}
