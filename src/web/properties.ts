import type { PropertyRow } from '../store/concept-store';
import { Fragment, Html, html, linkIf } from './html';
import type { PageContext } from './layout';
import type { Site } from './site';
import { sakomradeLabel, sakomradeMeaning, sakomradeWrittenOut } from './labels';

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
    return conceptLink(site, v.system, v.code, v.display, v.version);
  }
  if (p.value_type === 'valueCode' && typeof v === 'string') {
    // a code of the same code system (KSI inriktning, ICF ersattAv) when it is one
    return conceptDisplay(site, csUrl, v, csVersion) === undefined ? html`<code>${v}</code>` : conceptLink(site, csUrl, v, undefined, csVersion);
  }
  if (p.value_type === 'valueBoolean') return v === true ? ctx.t('yes') : ctx.t('no');
  // a KSI sakområde flag as a value (the sakområde list's ksi-urval) or in a note: written out
  if (typeof v === 'string' && sakomradeMeaning(ctx.lang, v)) return sakomradeLabel(ctx.lang, v);
  return multiline(sakomradeWrittenOut(ctx.lang, propertyText(p)));
}

/**
 * A code with its display (from the code system when not given), linked to its page when its code
 * system is stored.
 */
export function conceptLink(site: Site, system: string | undefined, code: string, display?: string, version?: string, cls?: string): Html {
  const label = display ?? conceptDisplay(site, system, code, version);
  return linkIf(site.conceptHref(system, code, version), html`<code>${code}</code>${label ? ` ${label}` : ''}`, cls);
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
