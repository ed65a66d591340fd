/**
 * Just enough HTML form reading to drive server-rendered login, consent and auto-POST pages with
 * fetch. Not an HTML parser: it reads the attribute-quoted markup such pages are made of.
 */

export interface HtmlForm {
  /** Absolute URL the form submits to. */
  action: string;
  method: 'GET' | 'POST';
  /** What a browser would submit without a click: hidden and text inputs, checked boxes, selected options. */
  fields: [string, string][];
  /** Every option of each `<select>`, by name (a script may pick another). */
  options: Record<string, string[]>;
  /** Named submit buttons (`decision=approve`): a script adds the one it "clicks". */
  buttons: [string, string][];
  /** A self-submitting form (`document.forms[0].submit()`), e.g. SMART authorize-post. */
  autoSubmit: boolean;
}

const ENTITIES: Record<string, string> = { '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>', '&amp;': '&' };
const unescape = (s: string) => s.replace(/&(?:quot|#39|lt|gt|amp);|&#(\d+);/g, (m, code?: string) => (code ? String.fromCharCode(Number(code)) : ENTITIES[m]!));

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return m ? unescape(m[1] ?? m[2] ?? m[3] ?? '') : undefined;
}
const has = (tag: string, name: string) => new RegExp(`\\s${name}(?=[\\s>=/])`, 'i').test(tag);

/** The forms of an HTML page; `pageUrl` resolves relative actions. */
export function parseForms(html: string, pageUrl: string): HtmlForm[] {
  const autoSubmit = /forms\[0\]\.submit\(\)/.test(html);
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = ` ${m[1]!}`;
    const inner = m[2]!;
    const fields: [string, string][] = [];
    const options: Record<string, string[]> = {};
    const buttons: [string, string][] = [];
    for (const t of inner.matchAll(/<input\b[^>]*>/gi)) {
      const tag = t[0];
      const name = attr(tag, 'name');
      if (!name) continue;
      const type = (attr(tag, 'type') ?? 'text').toLowerCase();
      const value = attr(tag, 'value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : '');
      if (type === 'submit') buttons.push([name, value]);
      else if (type === 'checkbox' || type === 'radio') {
        if (has(tag, 'checked')) fields.push([name, value]);
      } else if (type !== 'button' && type !== 'reset' && type !== 'file') fields.push([name, value]);
    }
    for (const s of inner.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/gi)) {
      const name = attr(` ${s[1]!}`, 'name');
      if (!name) continue;
      const opts = [...s[2]!.matchAll(/<option\b([^>]*)>([^<]*)/gi)].map((o) => ({ value: attr(` ${o[1]!}`, 'value') ?? unescape(o[2]!.trim()), selected: has(` ${o[1]!}`, 'selected') }));
      options[name] = opts.map((o) => o.value);
      const chosen = opts.find((o) => o.selected) ?? opts[0];
      if (chosen) fields.push([name, chosen.value]);
    }
    for (const b of inner.matchAll(/<button\b([^>]*)>/gi)) {
      const tag = ` ${b[1]!}`;
      const name = attr(tag, 'name');
      if (name && (attr(tag, 'type') ?? 'submit').toLowerCase() === 'submit') buttons.push([name, attr(tag, 'value') ?? '']);
    }
    forms.push({
      action: new URL(attr(open, 'action') || pageUrl, pageUrl).href,
      method: (attr(open, 'method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      fields,
      options,
      buttons,
      autoSubmit: autoSubmit && forms.length === 0,
    });
  }
  return forms;
}
