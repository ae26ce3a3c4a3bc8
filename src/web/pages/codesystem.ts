import type { ValueSet } from 'fhir/r4';
import type { ConceptRow } from '../../store/concept-store';
import type { StoredResource } from '../../store/resource-store';
import { Table } from '../downloads';
import { Html, html, query, seg } from '../html';
import { PageContext, badge, layout, pager } from '../layout';
import { resourceIntro } from './resource-intro';
import { Expansion, expandPage } from './valueset';
import { PropertyDecl, conceptDisplay, declaredProperties, propertyText } from '../properties';
import type { Site } from '../site';
import { qualityReportSection } from '../quality';
import { propertyWords, sakomradeWrittenOut } from '../labels';

const FILTER_PAGE = 50;
/** A property gets a filter when it has at most this many distinct values. */
const MAX_FILTER_VALUES = 200;
const MAX_FILTER_VALUE_LENGTH = 60;
/**
 * Above this many concepts a code system gets no property filters and no CSV/XLSX download (both
 * read every concept; Snomed CT is published as RF2 and served by the FHIR API instead).
 */
export const MAX_CONCEPTS_FOR_TABLES = 100_000;
const FILTER_TYPES = ['code', 'Coding', 'boolean', 'string', 'integer'];

/** Identifiers of a code system: its own, and OIDs that NamingSystems give its URL. */
export function identifiersOf(site: Site, cs: any): string[] {
  const out = new Set<string>();
  for (const i of cs.identifier ?? []) if (typeof i?.value === 'string') out.add(i.value);
  for (const s of site.store.summaries('NamingSystem')) {
    const ns = site.store.read('NamingSystem', s.id)?.resource;
    if (!ns?.uniqueId?.some((u: any) => u.type === 'uri' && u.value === cs.url)) continue;
    for (const u of ns.uniqueId) if (u.type === 'oid') out.add(u.value.startsWith('urn:oid:') ? u.value : `urn:oid:${u.value}`);
  }
  return [...out];
}

interface FilterSpec {
  decl: PropertyDecl;
  values: { value: string; count: number; json: string }[];
}

/** Filters by a code (KSI inriktning, agerande; ICF kodnivå) come first; the rest are folded. */
const PRIMARY_TYPES = ['code', 'Coding'];

function filterSpecs(site: Site, csPk: number, cs: any): FilterSpec[] {
  return declaredProperties(cs)
    .filter((d) => !d.type || FILTER_TYPES.includes(d.type))
    .map((decl) => ({ decl, values: site.queries.propertyValues(csPk, decl.code, MAX_FILTER_VALUES + 1) }))
    // free text (inclusions, notes) makes no filter: only short values that repeat
    .filter((f) => f.values.length > 1 && f.values.length <= MAX_FILTER_VALUES && f.values.every((v) => v.value.length <= MAX_FILTER_VALUE_LENGTH));
}

/** The expansion parameters of the code system's filter form, or undefined when none is set. */
function filterValueSet(ctx: PageContext, cs: any, specs: FilterSpec[]): ValueSet | undefined {
  const filter: { property: string; op: 'is-a' | '='; value: string }[] = [];
  const under = ctx.q('under');
  if (under) filter.push({ property: 'concept', op: 'is-a', value: under });
  for (const s of specs) {
    const v = ctx.q(`p.${s.decl.code}`);
    if (v) filter.push({ property: s.decl.code, op: '=', value: v });
  }
  if (filter.length === 0 && !ctx.q('text')) return undefined;
  return { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: cs.url, version: cs.version, ...(filter.length ? { filter } : {}) }] } };
}

/** Code system: metadata, versions, identifiers, hierarchy, filters and downloads. */
export async function codeSystemPage(ctx: PageContext, site: Site, stored: StoredResource): Promise<Html> {
  const cs = stored.resource;
  const title = cs.title ?? cs.name ?? cs.id;
  const base = `/kodsystem/${seg(cs.id)}`;
  const roots = site.queries.treeNodes(stored.pk, undefined);
  const count = site.concepts.count(stored.pk);
  // counting property values scans every property row: not for Snomed CT-sized code systems
  const specs = count <= MAX_CONCEPTS_FOR_TABLES ? filterSpecs(site, stored.pk, cs) : [];
  const vs = filterValueSet(ctx, cs, specs);
  const pageNo = Math.max(1, Number(ctx.q('sida')) || 1);
  const results = vs ? await expandPage(site, { inline: vs }, ctx.q('text'), (pageNo - 1) * FILTER_PAGE, FILTER_PAGE) : undefined;
  const formParams: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.req.query)) if (typeof v === 'string' && k !== 'sida') formParams[k] = v;
  const valueLabel = (s: FilterSpec, v: FilterSpec['values'][number]): string => {
    if (s.decl.type === 'boolean') return v.value === 'true' ? ctx.t('yes') : ctx.t('no');
    // a code of this code system, or a Coding: the code with its display
    const coding = s.decl.type === 'Coding' ? (JSON.parse(v.json) as { system?: string; display?: string }) : undefined;
    const display = coding ? coding.display ?? conceptDisplay(site, coding.system, v.value) : s.decl.type === 'code' ? conceptDisplay(site, cs.url, v.value, cs.version) : undefined;
    return display ? `${v.value} ${display}` : sakomradeWrittenOut(ctx.lang, v.value);
  };
  const filterField = (s: FilterSpec) =>
    html`<div class="field"><label for="f-${s.decl.code}" title="${s.decl.code}${s.decl.description ? `: ${s.decl.description}` : ''}">${propertyWords(ctx.lang, s.decl.code)}</label><select id="f-${s.decl.code}" name="p.${s.decl.code}"><option value="">${ctx.t('filterAny')}</option>${s.values.map(
      (v) => html`<option value="${v.value}"${ctx.q(`p.${s.decl.code}`) === v.value ? html` selected` : ''}>${valueLabel(s, v)} (${ctx.n(v.count)})</option>`,
    )}</select></div>`;
  const primary = specs.filter((s) => PRIMARY_TYPES.includes(s.decl.type ?? ''));
  const secondary = specs.filter((s) => !primary.includes(s));
  const secondaryActive = secondary.some((s) => ctx.q(`p.${s.decl.code}`));
  const body = html`${resourceIntro(ctx, site, stored, [
    [ctx.t('identifiers'), identifiersOf(site, cs).map((i, n) => [n ? ', ' : '', html`<code>${i}</code>`])],
    [ctx.t('content'), ctx.w(cs.content)],
    [ctx.t('count'), ctx.n(count || cs.count || 0)],
  ])}
<p class="downloads"><span>${ctx.t('downloads')}:</span>
${count <= MAX_CONCEPTS_FOR_TABLES ? html`<a href="${base}/koder.csv" download>${ctx.t('csv')}</a>
<a href="${base}/koder.xlsx" download>${ctx.t('xlsx')}</a>` : ''}
<a href="/fhir/CodeSystem/${seg(cs.id)}">${ctx.t('fhirJson')}</a></p>
${
  specs.length || count
    ? html`<section aria-labelledby="filter-rubrik">
<h2 id="filter-rubrik">${ctx.t('filterCodes')}</h2>
<form method="get" action="${base}" class="filters">
<div class="field"><label for="f-text">${ctx.t('filterText')}</label><input id="f-text" name="text" type="search" value="${ctx.q('text')}"></div>
${
  roots.length > 1 && roots.length <= 50
    ? html`<div class="field"><label for="f-under">${ctx.t('filterUnder')}</label><select id="f-under" name="under"><option value="">${ctx.t('filterAny')}</option>${roots.map((r) => html`<option value="${r.code}"${ctx.q('under') === r.code ? html` selected` : ''}>${r.code} ${r.display}</option>`)}</select></div>`
    : ''
}
${primary.map(filterField)}
<div class="field actions"><button type="submit">${ctx.t('facetApply')}</button>${vs ? html` <a href="${base}">${ctx.t('facetClear')}</a>` : ''}</div>
${secondary.length ? html`<details class="more-filters"${secondaryActive ? html` open` : ''}><summary>${ctx.t('moreFilters')} (${ctx.n(secondary.length)})</summary><div class="filters-inner">${secondary.map(filterField)}</div></details>` : ''}
</form>
${results ? filterResultsHtml(ctx, base, results, pageNo, formParams) : ''}
</section>`
    : ''
}
${qualityReportSection(ctx, site, stored, (code) => `${base}/kod/${seg(code)}`)}
<section aria-labelledby="hierarki-rubrik">
<h2 id="hierarki-rubrik">${ctx.t('hierarchy')}</h2>
${
  roots.length === 0
    ? html`<p>${ctx.t('noHierarchy')}</p>`
    : html`<p class="hint" id="tree-help">${ctx.t('hierarchyHelp')}</p>
<ul class="tree" data-tree="${base}/barn" aria-labelledby="hierarki-rubrik" aria-describedby="tree-help">
${roots.map((r) => treeItemHtml(base, r))}
</ul>`
}
</section>`;
  return layout(ctx, {
    title,
    crumbs: [{ label: ctx.t('navCatalogue'), href: '/katalog?typ=CodeSystem' }],
    body,
    scripts: ['trad.js'],
    fhir: [`CodeSystem/${seg(cs.id)}`, `CodeSystem?url=${encodeURIComponent(cs.url ?? '')}`],
  });
}

function filterResultsHtml(ctx: PageContext, base: string, r: Expansion, pageNo: number, params: Record<string, string>): Html {
  if (r.error) return html`<p class="error" role="alert">${r.error}</p>`;
  return html`<h3 id="filter-traffar">${ctx.t('filterResults')}: ${ctx.n(r.total)}</h3>
<table class="list" aria-labelledby="filter-traffar"><thead><tr><th scope="col">${ctx.t('code')}</th><th scope="col">${ctx.t('display')}</th></tr></thead>
<tbody>${r.rows.map((c) => html`<tr><td><a href="${base}/kod/${seg(c.code)}"><code>${c.code}</code></a></td><td>${c.display ?? ''}${c.inactive ? html` ${badge(ctx, 'inactive')}` : ''}</td></tr>`)}</tbody></table>
${pager(ctx, pageNo, Math.ceil(r.total / FILTER_PAGE), (p) => base + query({ ...params, sida: p }))}`;
}

/** A tree node without script: a link; the script turns the list into an ARIA tree. */
function treeItemHtml(base: string, n: { code: string; display: string; children: number; inactive: boolean }): Html {
  return html`<li data-code="${n.code}" data-children="${n.children}"><a href="${base}/kod/${seg(n.code)}"><code>${n.code}</code> ${n.display}</a></li>`;
}

/** Every concept as a table row (CSV and XLSX downloads): code, display, definition, parents, status and properties. */
export function conceptTable(site: Site, stored: StoredResource): Table {
  const cs = stored.resource;
  const decls = declaredProperties(cs).map((d) => d.code);
  const rows: string[][] = [];
  const flush = (list: ConceptRow[]) => {
    const props = site.concepts.propertiesFor(list.map((c) => c.pk));
    for (const c of list) {
      const ps = props.get(c.pk) ?? [];
      const parents = site.concepts.parents(c.pk).map((p) => p.code);
      rows.push([
        c.code,
        c.display ?? '',
        c.definition ?? '',
        parents.join(' '),
        c.inactive ? 'inaktiv' : 'aktiv',
        ...decls.map((d) =>
          ps
            .filter((p) => p.code === d)
            .map(propertyText)
            .join('; '),
        ),
      ]);
    }
  };
  let list: ConceptRow[] = [];
  for (const c of site.concepts.iterate(stored.pk)) {
    list.push(c);
    if (list.length === 1000) {
      flush(list);
      list = [];
    }
  }
  flush(list);
  return { name: `${cs.name ?? cs.id}-${cs.version ?? ''}`.replace(/-$/, ''), headers: ['kod', 'benämning', 'beskrivning', 'överordnad', 'status', ...decls], rows };
}
