import { Html, html, query } from '../html';
import { PageContext, layout } from '../layout';
import type { Site } from '../site';
import { CatalogueEntry, isNational } from '../catalogue';
import { kindLabel } from './search';

const KINDS: CatalogueEntry['kind'][] = ['CodeSystem', 'ValueSet', 'ConceptMap', 'NIM'];
const PLURAL = { CodeSystem: 'codeSystems', ValueSet: 'valueSets', ConceptMap: 'conceptMaps', NIM: 'nims' } as const;

/**
 * Catalogue: every resource the server holds, by type, with a filter box. The list is rendered
 * on the server (and filtered there with ?filter=); the script filters it as you type with the
 * same lunr index, in the browser.
 */
export function cataloguePage(ctx: PageContext, site: Site): Html {
  const typ = KINDS.includes(ctx.q('typ') as CatalogueEntry['kind']) ? (ctx.q('typ') as CatalogueEntry['kind']) : undefined;
  const filter = ctx.q('filter');
  const ursprung = ctx.q('ursprung');
  const all = filter ? site.catalogue.search(filter) : site.catalogue.entries();
  const shown = all.filter((e) => (!typ || e.kind === typ) && (ursprung !== 'nationella' || isNational(e)));
  const body = html`<nav aria-label="${ctx.t('type')}" class="tabs"><ul>
<li><a href="/katalog${query({ filter, ursprung })}"${!typ ? html` aria-current="page"` : ''}>${ctx.t('facetAll')}</a></li>
${KINDS.map((k) => html`<li><a href="/katalog${query({ typ: k, filter, ursprung })}"${typ === k ? html` aria-current="page"` : ''}>${ctx.t(PLURAL[k])}</a></li>`)}
</ul></nav>
<form method="get" action="/katalog" class="filters inline-form" data-catalogue="/katalog/index.json">
${typ ? html`<input type="hidden" name="typ" value="${typ}">` : ''}
<div class="field"><label for="kat-filter">${ctx.t('filterText')}</label><input id="kat-filter" name="filter" type="search" value="${filter}" autocomplete="off"></div>
<div class="field"><label><input type="checkbox" name="ursprung" value="nationella"${ursprung === 'nationella' ? html` checked` : ''}> ${ctx.t('nationalOnly')}</label></div>
<div class="field actions"><button type="submit">${ctx.t('expansionFilter')}</button></div>
</form>
<p role="status" class="result-count" id="kat-antal">${ctx.t('searchCount', ctx.n(shown.length))}</p>
<table class="list" id="katalog"><thead><tr><th scope="col">${ctx.t('title')}</th><th scope="col">${ctx.t('type')}</th><th scope="col">${ctx.t('version')}</th><th scope="col">${ctx.t('status')}</th></tr></thead>
<tbody>${shown.map(
    (e) => html`<tr data-ref="${e.ref}" data-kind="${e.kind}"${isNational(e) ? html` data-national` : ''}><td><a href="${e.href}">${e.title}</a></td><td>${kindLabel(ctx, e.kind)}</td><td>${e.version ?? ''}${e.versions.length > 1 ? html` <span class="muted">(${ctx.n(e.versions.length)})</span>` : ''}</td><td>${ctx.w(e.status)}</td></tr>`,
  )}</tbody></table>`;
  return layout(ctx, {
    title: ctx.t('navCatalogue'),
    crumbs: [],
    body,
    scripts: ['lunr/lunr.js', 'lunr/lunr.stemmer.support.js', 'lunr/lunr.sv.js', 'katalog-fraga.js', 'katalog.js'],
    fhir: (typ && typ !== 'NIM' ? [typ] : ['CodeSystem', 'ValueSet', 'ConceptMap']).map((t) => `${t}?_count=50`),
  });
}
