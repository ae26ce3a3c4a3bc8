/**
 * HTML built with tagged template literals: every interpolated value is escaped unless it is
 * already Html. No templating library: the compiler checks every page's data (strict types), a
 * forgotten escape cannot happen, and there is nothing to compile or cache at run time.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Anything a template may interpolate: text is escaped, Html is kept, arrays are joined. */
export type Fragment = Html | string | number | boolean | null | undefined | Fragment[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function render(f: Fragment): string {
  if (f === null || f === undefined || f === false) return '';
  if (f instanceof Html) return f.text;
  if (Array.isArray(f)) return f.map(render).join('');
  return escapeHtml(String(f));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Trusted markup (only for text this module's callers built themselves). */
export function raw(text: string): Html {
  return new Html(text);
}

/** A query string from parameters; empty and undefined values are left out. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A path segment (codes such as `SA1.AA.ZZ` or `d4500` stay readable; `/` and the rest are escaped). */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** Content as a link when there is somewhere to go, as it stands otherwise. */
export function linkIf(href: string | undefined, content: Fragment, cls?: string): Html {
  if (href) return cls ? html`<a class="${cls}" href="${href}">${content}</a>` : html`<a href="${href}">${content}</a>`;
  return cls ? html`<span class="${cls}">${content}</span>` : html`${content}`;
}
