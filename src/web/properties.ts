import type { PropertyRow } from '../store/concept-store';
import { Fragment, html } from './html';
import type { PageContext } from './layout';
import type { Site } from './site';

/** A declared property of a code system (CodeSystem.property). */
export interface PropertyDecl {
  code: string;
  type?: string;
  description?: string;
  uri?: string;
}

export function declaredProperties(cs: any): PropertyDecl[] {
  return Array.isArray(cs.property) ? cs.property.filter((p: any) => typeof p?.code === 'string') : [];
}

/** The value of a stored property as FHIR gives it (valueCoding, valueString, ...). */
export function propertyValue(p: PropertyRow): unknown {
  try {
    return JSON.parse(p.value_json);
  } catch {
    return p.value_text;
  }
}

/** A property value as text (for downloads and labels). */
export function propertyText(p: PropertyRow): string {
  const v = propertyValue(p) as any;
  if (v && typeof v === 'object') return typeof v.code === 'string' ? (v.display ? `${v.code} ${v.display}` : v.code) : JSON.stringify(v);
  return String(v ?? '');
}

/**
 * A property value on a page: a Coding links to its concept, a code of the same code system links
 * to that concept, booleans are words.
 */
export function propertyHtml(ctx: PageContext, site: Site, p: PropertyRow, csUrl: string | undefined, csVersion: string | undefined): Fragment {
  const v = propertyValue(p) as any;
  if (p.value_type === 'valueCoding' && v && typeof v.code === 'string') {
    const href = site.conceptHref(v.system, v.code, v.version);
    const label = v.display ?? conceptDisplay(site, v.system, v.code, v.version);
    return href ? html`<a href="${href}"><code>${v.code}</code>${label ? ` ${label}` : ''}</a>` : html`<code>${v.code}</code>${label ? ` ${label}` : ''}`;
  }
  if (p.value_type === 'valueCode' && typeof v === 'string') {
    const display = conceptDisplay(site, csUrl, v, csVersion);
    const href = display !== undefined ? site.conceptHref(csUrl, v, csVersion) : undefined;
    return href ? html`<a href="${href}"><code>${v}</code> ${display}</a>` : html`<code>${v}</code>`;
  }
  if (p.value_type === 'valueBoolean') return v === true ? ctx.t('yes') : ctx.t('no');
  return multiline(propertyText(p));
}

/** The display of a concept of a stored code system, if there is one. */
export function conceptDisplay(site: Site, system: string | undefined, code: string, version?: string): string | undefined {
  const cs = site.head('CodeSystem', system, version);
  if (!cs) return undefined;
  const row = site.concepts.byCode(cs.pk, code, true);
  return row ? row.display ?? '' : undefined;
}

/** Text with its line breaks kept (inclusions, exclusions and descriptions come as lines). */
export function multiline(text: string): Fragment {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.length <= 1 ? text : lines.map((l, i) => (i === 0 ? l : [html`<br>`, l]));
}
