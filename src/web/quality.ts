import type { ImportFindingRow } from '../store/import-log';
import type { StoredResource } from '../store/resource-store';
import { Fragment, Html, html } from './html';
import type { TextKey } from './i18n';
import type { PageContext } from './layout';
import { conceptLink } from './properties';
import type { Site } from './site';

/**
 * The import quality report on the pages: a notice on a concept (or value set) the report says
 * something about, and the whole report on the code system page. The data is shown as published;
 * the notice says what an expert would notice in the source file.
 */

const FIELD: Record<string, TextKey> = {
  innefattar: 'includes',
  utesluter: 'excludes',
  anmarkning: 'qaFieldNote',
  'anmärkning': 'qaFieldNote',
  kodningsinformation: 'qaFieldCoding',
  icf: 'qaFieldIcf',
  display: 'display',
  definition: 'definition',
};

const fieldName = (ctx: PageContext, field: string | undefined) => (field && FIELD[field] ? ctx.t(FIELD[field]) : field ?? '');

/** Codes as links to their pages (in the code system they belong to, when stored). */
function codes(site: Site, system: string | undefined, list: string[] | undefined, version?: string): Fragment {
  return (list ?? []).map((c, i) => [i ? ', ' : '', conceptLink(site, system, c, '', version)]);
}

/** One finding in words. */
export function findingHtml(ctx: PageContext, site: Site, f: ImportFindingRow): Html {
  const d = (f.detail ?? {}) as Record<string, any>;
  const system = f.resourceType === 'CodeSystem' ? f.url : undefined;
  const refs = codes(site, system, f.refs, f.version);
  switch (f.kind) {
    case 'inclusion-elsewhere':
      return ctx.tf(d.group === 'kapitel' ? 'qaElsewhereChapter' : 'qaElsewhereInriktning', fieldName(ctx, f.field), refs, (d.others ?? []).join(', '), d.own ?? '');
    case 'inclusion-other-agerande':
      return ctx.tf('qaOtherAgerande', fieldName(ctx, f.field), refs, (d.others ?? []).join(', '), d.own ?? '');
    case 'unknown-reference': {
      const where = html`<code>${String(d.in ?? '')}</code>`;
      return f.resourceType === 'ValueSet' ? ctx.tf('qaUnknownSelected', html`<code>${f.code ?? ''}</code>`, where) : ctx.tf('qaUnknown', fieldName(ctx, f.field), html`${(f.refs ?? []).map((c, i) => [i ? ', ' : '', html`<code>${c}</code>`])}`, where);
    }
    case 'self-reference':
      return ctx.tf('qaSelf', fieldName(ctx, f.field));
    case 'duplicate-display':
      return ctx.tf('qaDuplicate', refs, String(d.display ?? ''));
    case 'text-changed':
      return html`${ctx.tf(d.declared === false ? 'qaTextChangedUndeclared' : 'qaTextChanged', fieldName(ctx, f.field), String(d.previous ?? ''))}
<details><summary>${ctx.t('qaBeforeAfter')}</summary><dl class="facts"><div><dt>${ctx.t('before')}</dt><dd>${String(d.before ?? '') || '–'}</dd></div><div><dt>${ctx.t('after')}</dt><dd>${String(d.after ?? '') || '–'}</dd></div></dl></details>`;
    default:
      return html`${f.kind}`;
  }
}

/** The latest import that wrote a stored resource, and its findings about it (or one of its codes). */
export function findingsOf(site: Site, stored: StoredResource, code?: string): { file: string; at: string; findings: ImportFindingRow[] } | undefined {
  const run = site.imports.forResource(stored.pk)[0];
  if (!run) return undefined;
  const findings = site.imports.findings(run.pk, stored.resource.url, stored.resource.version, code);
  return findings.length ? { file: run.fileName, at: run.importedAt, findings } : undefined;
}

/** The notice on a concept or value set page (nothing when the report says nothing about it). */
export function qualityNotice(ctx: PageContext, site: Site, stored: StoredResource, code?: string): Fragment {
  const found = findingsOf(site, stored, code);
  if (!found) return '';
  return html`<aside class="notice quality" aria-labelledby="kvalitet-rubrik">
<h2 id="kvalitet-rubrik">${ctx.t('qaNoticeTitle')}</h2>
<ul>${found.findings.map((f) => html`<li data-kind="${f.kind}">${findingHtml(ctx, site, f)}</li>`)}</ul>
<p class="muted">${ctx.t('qaNoticeSource', found.file, found.at.slice(0, 10))}</p>
</aside>`;
}

/** The whole report of a code system's latest import, by kind (code system page). */
export function qualityReportSection(ctx: PageContext, site: Site, stored: StoredResource, conceptHref: (code: string) => string): Fragment {
  const found = findingsOf(site, stored);
  if (!found) return '';
  const kinds = [...new Set(found.findings.map((f) => f.kind))];
  return html`<section aria-labelledby="kvalitet-rubrik"><h2 id="kvalitet-rubrik">${ctx.t('qaReportTitle')} <span class="muted">(${ctx.n(found.findings.length)})</span></h2>
<p>${ctx.t('qaReportIntro', found.file, found.at.slice(0, 10))}</p>
${kinds.map((k) => {
  const of = found.findings.filter((f) => f.kind === k);
  return html`<details class="quality-kind"><summary>${ctx.t(`qaKind_${k}` as TextKey)} (${ctx.n(of.length)})</summary>
<ul>${of.map((f) => html`<li>${f.code ? html`<a href="${conceptHref(f.code)}"><code>${f.code}</code></a>: ` : ''}${findingHtml(ctx, site, f)}</li>`)}</ul></details>`;
})}
</section>`;
}
