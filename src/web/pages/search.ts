import { Html, html, query } from '../html';
import { PageContext, badge, layout, pager } from '../layout';
import type { Site } from '../site';
import { ConceptFilters, FacetValue, searchConcepts } from '../concept-search';
import { sakomradeLabel } from '../labels';
import { CatalogueEntry, codePageOf } from '../catalogue';

const PAGE_SIZE = 25;

/** The search box (a combobox with suggestions once the script runs; a plain form without it). */
export function searchForm(ctx: PageContext, value: string, big = false): Html {
  return html`<form role="search" action="/sok" method="get" class="search${big ? ' search-big' : ''}">
<label for="q">${ctx.t('searchLabel')}</label>
<div class="search-row">
<input id="q" name="q" type="search" value="${value}" autocomplete="off" spellcheck="false" aria-describedby="q-hint" data-suggest="/sok/forslag">
<button type="submit">${ctx.t('searchButton')}</button>
</div>
<p id="q-hint" class="hint">${ctx.t('searchHint')}</p>
</form>`;
}

function filtersOf(ctx: PageContext): ConceptFilters {
  const status = ctx.q('status');
  return {
    system: ctx.q('system') || undefined,
    version: ctx.q('version') || undefined,
    status: status === 'active' || status === 'inactive' ? status : undefined,
    sakomrade: ctx.q('sakomrade') || undefined,
  };
}

/** Search: resources of the catalogue, then concepts of every code system with facets. */
export function searchPage(ctx: PageContext, site: Site): Html {
  const q = ctx.q('q').trim();
  const filters = filtersOf(ctx);
  const pageNo = Math.max(1, Number(ctx.q('sida')) || 1);
  const params = { q, ...filters };
  const hrefWith = (over: Record<string, string | undefined>) => '/sok' + query({ ...params, ...over });
  if (!q) {
    return layout(ctx, { title: ctx.t('navSearch'), crumbs: [], body: searchForm(ctx, '') });
  }
  const resources = site.catalogue.search(q).slice(0, 10);
  const found = searchConcepts(site.queries, q, filters, (pageNo - 1) * PAGE_SIZE, PAGE_SIZE);
  const pages = Math.ceil(found.total / PAGE_SIZE);
  const facetList = (name: keyof ConceptFilters, title: string, values: FacetValue[], label: (v: FacetValue) => string = (v) => v.label) => {
    if (values.length === 0) return '';
    const current = filters[name];
    return html`<div class="facet"><h3 id="facet-${name}">${title}</h3><ul aria-labelledby="facet-${name}">
<li><a href="${hrefWith({ [name]: undefined, sida: undefined })}"${!current ? html` aria-current="true"` : ''}>${ctx.t('facetAll')}</a></li>
${values.slice(0, 15).map((v) => html`<li><a href="${hrefWith({ [name]: v.value, sida: undefined })}"${current === v.value ? html` aria-current="true"` : ''}>${label(v)} <span class="count">${ctx.n(v.count)}</span></a></li>`)}
</ul></div>`;
  };
  const anyFilter = Object.values(filters).some(Boolean);
  const first = (pageNo - 1) * PAGE_SIZE + 1;
  const body = html`${searchForm(ctx, q)}
${
  // resources only when some match: most searches are for codes
  resources.length === 0
    ? ''
    : html`<section aria-labelledby="resurser-rubrik">
<h2 id="resurser-rubrik">${ctx.t('searchResources')}</h2>
<ul class="results">${resources.map((e) => html`<li><a href="${e.href}">${e.title}</a> <span class="kind">${kindLabel(ctx, e.kind)}</span>${e.version ? html` <span class="muted">${e.version}</span>` : ''}</li>`)}</ul>
</section>`
}
<section aria-labelledby="koder-rubrik" class="with-facets">
<h2 id="koder-rubrik">${ctx.t('searchConcepts')}</h2>
<p role="status" class="result-count">${found.capped ? ctx.t('searchCountMore', ctx.n(found.total), ctx.n(found.total)) : ctx.t('searchCount', ctx.n(found.total))}${found.total > PAGE_SIZE ? ` · ${ctx.t('searchShowing', ctx.n(first), ctx.n(Math.min(found.total, first + PAGE_SIZE - 1)), ctx.n(found.total))}` : ''}</p>
<div class="facets-layout">
<nav class="facets" aria-label="${ctx.t('facets')}">
<h2 class="visually-hidden">${ctx.t('facets')}</h2>
${facetList('system', ctx.t('facetSystem'), found.facets.system)}
${facetList('version', ctx.t('facetVersion'), found.facets.version)}
${facetList('status', ctx.t('facetStatus'), found.facets.status, (v) => ctx.w(v.value))}
${facetList('sakomrade', ctx.t('facetSakomrade'), found.facets.sakomrade, (v) => sakomradeLabel(ctx.lang, v.value))}
${anyFilter ? html`<p><a href="${'/sok' + query({ q })}">${ctx.t('facetClear')}</a></p>` : ''}
</nav>
<div class="facet-results">
${
  found.hits.length === 0
    ? html`<p>${ctx.t('searchNone')}</p>`
    : html`<ol class="results concepts" start="${first}">${found.hits.map(
        (h) => html`<li><a href="${codePageOf(h.cs.id, h.code)}"><code>${h.code}</code> ${h.display ?? ''}</a>
<span class="muted">${h.cs.title ?? h.cs.name}${h.cs.version ? ` ${h.cs.version}` : ''}</span>${h.inactive ? html` ${badge(ctx, 'inactive')}` : ''}</li>`,
      )}</ol>`
}
${pager(ctx, pageNo, pages, (p) => hrefWith({ sida: String(p) }))}
</div>
</div>
</section>`;
  // the catalogue part has FHIR searches; concepts of one code system have its all-codes value set
  const fhir = ['CodeSystem', 'ValueSet', 'ConceptMap'].map((t) => `${t}?title:contains=${encodeURIComponent(q)}`);
  const allCodes = filters.system ? site.allCodesValueSet(filters.system, filters.version) : undefined;
  if (allCodes) fhir.push(`ValueSet/$expand?url=${encodeURIComponent(allCodes)}&filter=${encodeURIComponent(q)}`);
  return layout(ctx, { title: ctx.t('searchResultsFor', q), crumbs: [{ label: ctx.t('navSearch'), href: '/sok' }], body, fhir });
}

export function kindLabel(ctx: PageContext, kind: CatalogueEntry['kind']): string {
  return ctx.t(`kind${kind}`);
}

/** Suggestions for the search box: a few resources and concepts (JSON for the combobox). */
export function suggestions(site: Site, q: string): { label: string; detail: string; href: string }[] {
  if (q.trim().length < 2) return [];
  const resources = site.catalogue
    .search(q)
    .slice(0, 4)
    .map((e) => ({ label: e.title, detail: e.kind + (e.version ? ` ${e.version}` : ''), href: e.href }));
  const concepts = searchConcepts(site.queries, q, {}, 0, 8).hits.map((h) => ({
    label: `${h.code} ${h.display ?? ''}`,
    detail: `${h.cs.title ?? h.cs.name ?? ''} ${h.cs.version ?? ''}`.trim(),
    href: codePageOf(h.cs.id, h.code),
  }));
  return [...concepts, ...resources];
}
