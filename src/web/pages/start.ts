import { Fragment, Html, html } from '../html';
import { PageContext, layout } from '../layout';
import type { Site } from '../site';
import { searchForm } from './search';
import { CatalogueEntry, isNational } from '../catalogue';
import { ICF_URL, KSI_URL } from '../../importers/ksi-icf-map';
import { KVA_URL } from '../../importers/kva';
import type { TextKey } from '../i18n';

/** Socialstyrelsen's classifications and terminology, in the order the start page shows them. */
const CLASSIFICATIONS: { url: string; name: TextKey; about: TextKey; format: string; related?: string[] }[] = [
  { url: KSI_URL, name: 'ksiName', about: 'ksiAbout', format: 'ksi', related: ['https://kodverk.se/fhir/CodeSystem/ksi-agerande', 'https://kodverk.se/fhir/CodeSystem/ksi-aktivitetsstatus'] },
  { url: ICF_URL, name: 'icfName', about: 'icfAbout', format: 'icf' },
  { url: KVA_URL, name: 'kvaName', about: 'kvaAbout', format: 'kva' },
  { url: 'http://snomed.info/sct', name: 'snomedName', about: 'snomedAbout', format: 'rf2' },
];

/** The NIM part's section of the start page (NIMs and their utgåvor), when the NIM part is there. */
export type StartSection = (ctx: PageContext) => Html;

function classificationCard(ctx: PageContext, e: CatalogueEntry | undefined, c: (typeof CLASSIFICATIONS)[number], entries: CatalogueEntry[]): Html {
  const related = (c.related ?? []).map((url) => entries.find((x) => x.kind === 'CodeSystem' && x.url === url)).filter((x): x is CatalogueEntry => !!x);
  return html`<li class="card">
<h3>${e ? html`<a href="${e.href}">${ctx.t(c.name)}</a>` : ctx.t(c.name)}</h3>
<p>${ctx.t(c.about)}</p>
${
  e
    ? html`<p class="card-facts">${ctx.t('versionN', e.version ?? '')}${e.versions.length > 1 ? html` <span class="muted">(${ctx.t('versionsN', ctx.n(e.versions.length))})</span>` : ''} · ${ctx.t('codesN', ctx.n(e.count ?? 0))}</p>
${related.length ? html`<p class="muted">${ctx.t('alsoIn')}: ${related.map((r, i) => [i ? ', ' : '', html`<a href="${r.href}">${r.title}</a>`])}</p>` : ''}`
    : html`<p class="muted">${ctx.t('notImportedYet')} <code>kodverk import ${c.format} …</code></p>`
}
</li>`;
}

/**
 * Start: search, then the national content first — Socialstyrelsen's classifications (KSI, ICF,
 * KVÅ, Snomed CT), the national lists, the NIMs and their utgåvor, the national value sets — then
 * the latest imports, and the FHIR core terminology the API also carries, apart.
 */
export function startPage(ctx: PageContext, site: Site, sections: StartSection[] = []): Html {
  const entries = site.catalogue.entries();
  // a code system with codes in the store (FHIR core names Snomed CT without any)
  const byUrl = (url: string) => entries.find((e) => e.kind === 'CodeSystem' && e.url === url && (e.count ?? 0) > 0);
  const classified = new Set(CLASSIFICATIONS.flatMap((c) => [c.url, ...(c.related ?? [])]));
  const national = entries.filter((e) => isNational(e) && e.kind !== 'NIM');
  // the NIM model's own code systems (livscykel, bindningssyfte, ...) are listed with the NIMs
  const lists = national.filter((e) => e.kind === 'CodeSystem' && !classified.has(e.url ?? '') && !(e.url ?? '').startsWith('https://kodverk.se/fhir/CodeSystem/nim-'));
  const nationalSets = national.filter((e) => e.kind === 'ValueSet');
  const nationalMaps = national.filter((e) => e.kind === 'ConceptMap');
  const infrastructure = entries.filter((e) => e.kind !== 'NIM' && !isNational(e) && !classified.has(e.url ?? ''));
  const count = (list: CatalogueEntry[], kind: CatalogueEntry['kind']) => list.filter((e) => e.kind === kind).length;
  const imports = site.imports.all().reverse().slice(0, 10);
  const stat = (n: number, label: TextKey, href?: string): Fragment => html`<li>${href ? html`<a href="${href}"><strong>${ctx.n(n)}</strong> ${ctx.t(label)}</a>` : html`<strong>${ctx.n(n)}</strong> ${ctx.t(label)}`}</li>`;
  return layout(ctx, {
    title: ctx.t('siteName'),
    body: html`<p class="lead">${ctx.t('tagline')}</p>
${searchForm(ctx, '', true)}
<section aria-labelledby="klassifikationer-rubrik">
<h2 id="klassifikationer-rubrik">${ctx.t('classifications')}</h2>
<ul class="cards">${CLASSIFICATIONS.map((c) => classificationCard(ctx, byUrl(c.url), c, entries))}</ul>
</section>
${sections.map((s) => s(ctx))}
<section aria-labelledby="nationella-rubrik">
<h2 id="nationella-rubrik">${ctx.t('nationalLists')}</h2>
<p>${ctx.t('nationalListsAbout')}</p>
<table class="list">
<thead><tr><th scope="col">${ctx.t('title')}</th><th scope="col">${ctx.t('version')}</th><th scope="col" class="num">${ctx.t('count')}</th></tr></thead>
<tbody>${lists.map((e) => html`<tr><td><a href="${e.href}">${e.title}</a></td><td>${e.version ?? ''}${e.versions.length > 1 ? html` <span class="muted">(+${e.versions.length - 1})</span>` : ''}</td><td class="num">${e.count === undefined ? '' : ctx.n(e.count)}</td></tr>`)}</tbody>
</table>
</section>
<section aria-labelledby="vardemangder-rubrik">
<h2 id="vardemangder-rubrik">${ctx.t('nationalValueSets')}</h2>
<ul class="stats">
${stat(nationalSets.length, 'valueSetsAndSelections', '/katalog?typ=ValueSet&ursprung=nationella')}
${stat(nationalMaps.length, 'conceptMaps', '/katalog?typ=ConceptMap&ursprung=nationella')}
${stat(count(national, 'CodeSystem'), 'codeSystems', '/katalog?typ=CodeSystem&ursprung=nationella')}
</ul>
</section>
<section aria-labelledby="import-rubrik">
<h2 id="import-rubrik">${ctx.t('lastImports')}</h2>
${
  imports.length === 0
    ? html`<p>${ctx.t('noImports')}</p>`
    : html`<table class="list">
<thead><tr><th scope="col">${ctx.t('importedAt')}</th><th scope="col">${ctx.t('importFormat')}</th><th scope="col">${ctx.t('importFile')}</th><th scope="col">${ctx.t('importRelease')}</th><th scope="col">${ctx.t('importChanged')}</th></tr></thead>
<tbody>${imports.map((r) => {
        const s = (r.summary ?? {}) as { created?: number; updated?: number; concepts?: number };
        return html`<tr><td><time datetime="${r.importedAt}">${r.importedAt.slice(0, 16).replace('T', ' ')}</time></td><td>${r.format}</td><td>${r.fileName}</td><td>${r.publisherVersion ?? ''}</td><td>${ctx.t('importSummary', ctx.n(s.created ?? 0), ctx.n(s.updated ?? 0), ctx.n(s.concepts ?? 0))}</td></tr>`;
      })}</tbody></table>`
}
</section>
<section aria-labelledby="infrastruktur-rubrik" class="infrastructure">
<h2 id="infrastruktur-rubrik">${ctx.t('infrastructure')}</h2>
<p>${ctx.t('infrastructureAbout')}</p>
<ul class="stats">
${stat(count(infrastructure, 'CodeSystem'), 'codeSystems', '/katalog?typ=CodeSystem')}
${stat(count(infrastructure, 'ValueSet'), 'valueSets', '/katalog?typ=ValueSet')}
${stat(count(infrastructure, 'ConceptMap'), 'conceptMaps', '/katalog?typ=ConceptMap')}
</ul>
</section>`,
    fhir: ['metadata?mode=terminology', 'CodeSystem?_summary=count'],
  });
}
