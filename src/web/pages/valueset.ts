import type { ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import type { StoredResource } from '../../store/resource-store';
import { Table } from '../downloads';
import { Fragment, Html, html, linkIf, query, seg } from '../html';
import { conceptLink } from '../properties';
import { PageContext, badge, layout, pager } from '../layout';
import type { Site } from '../site';
import { resourceIntro } from './resource-intro';
import { qualityNotice } from '../quality';
import { filterWords } from '../labels';
import { TerminologyError } from '../../terminology/issues';

const PAGE_SIZE = 50;
const MAX_LISTED_CODES = 30;

/** Releases (utgåvor) that bind a value set and the version each resolved, filled by the NIM part when it is there. */
export type PinnedBy = (url: string) => { release: string; href: string; status: string; version?: string; pinned: boolean; nims: string[] }[];

export interface Expansion {
  rows: { system?: string; version?: string; code: string; display?: string; inactive?: boolean }[];
  total: number;
  error?: string;
  /** the HTTP status the engine gave the failure (422 too costly, 503 shutting down, …), when it gave one */
  errorStatus?: number;
}

/**
 * One page of an expansion by the engine (filter text and paging as $expand has them): of a
 * stored value set (its url and version), or of a value set made for the page (`inline`, e.g. a
 * code system's property filters).
 */
export async function expandPage(site: Site, vs: { url?: string; version?: string } | { inline: ValueSet }, filter: string, offset: number, count: number): Promise<Expansion> {
  const parameters: ParametersParameter[] = [
    { name: 'count', valueInteger: count },
    { name: 'offset', valueInteger: offset },
    { name: 'excludeNested', valueBoolean: true },
  ];
  if ('inline' in vs) parameters.push({ name: 'valueSet', resource: vs.inline });
  else {
    parameters.push({ name: 'url', valueUri: vs.url });
    if (vs.version) parameters.push({ name: 'valueSetVersion', valueString: vs.version });
  }
  if (filter) parameters.push({ name: 'filter', valueString: filter });
  try {
    const out: ValueSet = await site.terminology.call('expand', { parameters, txResources: [] });
    const rows = (out.expansion?.contains ?? []).map((c) => ({ system: c.system, version: c.version, code: c.code ?? '', display: c.display, inactive: c.inactive }));
    return { rows, total: out.expansion?.total ?? rows.length };
  } catch (e) {
    return { rows: [], total: 0, error: (e as Error).message, errorStatus: e instanceof TerminologyError ? e.httpStatus : undefined };
  }
}

/** A compose include/exclude in words: which code system (version), which codes or filters. */
function ruleHtml(ctx: PageContext, site: Site, inc: ValueSetComposeInclude): Fragment {
  const parts: Fragment[] = [];
  if (inc.system) {
    const href = site.canonicalHref('CodeSystem', inc.version ? `${inc.system}|${inc.version}` : inc.system);
    const name = html`${href ? linkIf(href, site.systemTitle(inc.system)) : html`<code>${inc.system}</code>`} (${inc.version ? ctx.t('versionPinned', inc.version) : ctx.t('anyVersion')})`;
    if (inc.concept?.length) {
      const shown = inc.concept.slice(0, MAX_LISTED_CODES);
      parts.push(html`${ctx.tf('includeCodes', name)}:
<ul class="codes">${shown.map((c) => {
        return html`<li>${conceptLink(site, inc.system, c.code, c.display ?? '', inc.version)}</li>`;
      })}${inc.concept.length > shown.length ? html`<li>… (${ctx.n(inc.concept.length)})</li>` : ''}</ul>`);
    } else if (inc.filter?.length) {
      parts.push(html`${ctx.tf('includeFilter', name)} <ul class="codes">${inc.filter.map((f) => html`<li>${filterWords(ctx, f)}</li>`)}</ul>`);
    } else {
      parts.push(ctx.tf('includeAll', name));
    }
  }
  for (const v of inc.valueSet ?? []) {
    const href = site.canonicalHref('ValueSet', v);
    parts.push(html`<p>${ctx.tf('includeValueSet', linkIf(href, html`<code>${v}</code>`))}</p>`);
  }
  return parts;
}

/** Value set: definition in words, paged and filtered expansion, pinned versions, downloads. */
export async function valueSetPage(ctx: PageContext, site: Site, stored: StoredResource, pinnedBy?: PinnedBy): Promise<Html> {
  const vs = stored.resource;
  const base = `/vardemangd/${seg(vs.id)}`;
  const filter = ctx.q('filter');
  const pageNo = Math.max(1, Number(ctx.q('sida')) || 1);
  const exp = await expandPage(site, vs, filter, (pageNo - 1) * PAGE_SIZE, PAGE_SIZE);
  const pins = pinnedBy ? pinnedBy(vs.url) : [];
  const systems = new Set(exp.rows.map((r) => r.system));
  const oneSystem = systems.size === 1 ? [...systems][0] : undefined;
  const expandCall = `ValueSet/$expand?url=${encodeURIComponent(vs.url ?? '')}${vs.version ? `&valueSetVersion=${encodeURIComponent(vs.version)}` : ''}&count=${PAGE_SIZE}`;
  const body = html`${resourceIntro(ctx, site, stored)}
${qualityNotice(ctx, site, stored)}
<p class="downloads"><span>${ctx.t('downloads')}:</span>
${
  // the codes are offered only when there are codes to give: a value set that cannot be expanded
  // (a code system not held, a filter not supported) has its definition to download, no code list
  exp.error && !filter
    ? ''
    : html`<a href="${base}/koder.csv" download>${ctx.t('csv')}</a>
<a href="${base}/koder.xlsx" download>${ctx.t('xlsx')}</a>`
}
<a href="/fhir/ValueSet/${seg(vs.id)}">${ctx.t('fhirJson')}</a></p>
<section aria-labelledby="definition-rubrik">
<h2 id="definition-rubrik">${ctx.t('definitionRead')}</h2>
${(vs.compose?.include ?? []).map((inc: ValueSetComposeInclude) => html`<div class="rule">${ruleHtml(ctx, site, inc)}</div>`)}
${(vs.compose?.exclude ?? []).map((inc: ValueSetComposeInclude) => html`<div class="rule exclude"><strong>${ctx.t('excludeRule')}:</strong> ${ruleHtml(ctx, site, inc)}</div>`)}
</section>
${
  pins.length
    ? html`<section aria-labelledby="pins-rubrik"><h2 id="pins-rubrik">${ctx.t('pinnedByReleases')}</h2>
<table class="list"><thead><tr><th scope="col">${ctx.t('release')}</th><th scope="col">${ctx.t('versionInRelease')}</th><th scope="col">${ctx.t('boundBy')}</th></tr></thead><tbody>
${pins.map((p) => html`<tr><td><a href="${p.href}">${p.release}</a> ${badge(ctx, p.status)}</td><td>${p.version ?? ''} <span class="muted">${p.pinned ? ctx.t('pinned', p.version ?? '') : ctx.t('floating')}</span></td><td>${p.nims.join(', ')}</td></tr>`)}</tbody></table></section>`
    : ''
}
<section aria-labelledby="koder-rubrik">
<h2 id="koder-rubrik">${ctx.t('expansion')}${exp.error ? '' : html` <span class="muted">(${ctx.n(exp.total)})</span>`}</h2>
<form method="get" action="${base}" class="filters inline-form">
<div class="field"><label for="vs-filter">${ctx.t('expansionFilter')}</label><input id="vs-filter" name="filter" type="search" value="${filter}"></div>
<div class="field actions"><button type="submit">${ctx.t('expansionFilter')}</button></div>
</form>
${
  exp.error
    ? html`<p class="error" role="alert">${ctx.t('expansionError', exp.error)}</p>`
    : html`${oneSystem ? html`<p class="muted">${ctx.t('system')}: ${site.systemTitle(oneSystem)}</p>` : ''}
<table class="list" aria-labelledby="koder-rubrik"><thead><tr><th scope="col">${ctx.t('code')}</th><th scope="col">${ctx.t('display')}</th>${oneSystem ? '' : html`<th scope="col">${ctx.t('system')}</th>`}</tr></thead><tbody>
${exp.rows.map((r) => {
  return html`<tr><td>${linkIf(site.conceptHref(r.system, r.code, r.version), html`<code>${r.code}</code>`)}</td><td>${r.display ?? ''}${r.inactive ? html` ${badge(ctx, 'inactive')}` : ''}</td>${oneSystem ? '' : html`<td>${site.systemTitle(r.system)}${r.version ? ` ${r.version}` : ''}</td>`}</tr>`;
})}</tbody></table>
${pager(ctx, pageNo, Math.ceil(exp.total / PAGE_SIZE), (p) => base + query({ filter, sida: p }))}`
}
</section>`;
  return layout(ctx, {
    title: vs.title ?? vs.name ?? vs.id,
    crumbs: [{ label: ctx.t('navCatalogue'), href: '/katalog?typ=ValueSet' }],
    body,
    fhir: [`ValueSet/${seg(vs.id)}`, expandCall + (filter ? `&filter=${encodeURIComponent(filter)}` : '')],
  });
}

/**
 * The whole expansion as a table to download, within the server's expansion limit; or why the
 * expansion failed, with the engine's status.
 */
export async function valueSetTable(site: Site, stored: StoredResource, limit: number): Promise<Table | { error: string; status?: number }> {
  const vs = stored.resource;
  const exp = await expandPage(site, vs, '', 0, limit);
  if (exp.error) return { error: exp.error, status: exp.errorStatus };
  return {
    name: `${vs.name ?? vs.id}-${vs.version ?? ''}`.replace(/-$/, ''),
    headers: ['kodverk', 'version', 'kod', 'benämning', 'status'],
    rows: exp.rows.map((r) => [r.system ?? '', r.version ?? '', r.code, r.display ?? '', r.inactive ? 'inaktiv' : 'aktiv']),
  };
}
