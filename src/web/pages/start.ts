import { Html, html } from '../html';
import { PageContext, layout } from '../layout';
import type { Site } from '../site';
import { searchForm } from './search';
import { isNational } from '../catalogue';

/** Start: search everything; what the server holds; the latest imports. */
export function startPage(ctx: PageContext, site: Site): Html {
  const entries = site.catalogue.entries();
  const heads = site.queries.heads().all;
  const counts = site.queries.conceptCounts();
  const kinds = ['CodeSystem', 'ValueSet', 'ConceptMap'] as const;
  const label = { CodeSystem: ctx.t('codeSystems'), ValueSet: ctx.t('valueSets'), ConceptMap: ctx.t('conceptMaps') };
  const totalConcepts = [...counts.values()].reduce((a, b) => a + b, 0);
  const national = entries.filter((e) => e.kind === 'CodeSystem' && isNational(e));
  const imports = site.imports.all().reverse().slice(0, 10);
  const nims = site.queries.countRows('nim_model');
  const releases = site.queries.countRows('nim_release');
  return layout(ctx, {
    title: ctx.t('siteName'),
    body: html`<p class="lead">${ctx.t('tagline')}</p>
${searchForm(ctx, '', true)}
<section aria-labelledby="innehall-rubrik">
<h2 id="innehall-rubrik">${ctx.t('holds')}</h2>
<ul class="stats">
${kinds.map((k) => {
  const n = entries.filter((e) => e.kind === k).length;
  const versions = heads.filter((h) => h.resourceType === k).length;
  return html`<li><a href="/katalog?typ=${k}"><strong>${ctx.n(n)}</strong> ${label[k]}</a>${versions !== n ? html` <span class="muted">(${ctx.n(versions)} ${ctx.t('versions').toLowerCase()})</span>` : ''}</li>`;
})}
<li><strong>${ctx.n(totalConcepts)}</strong> ${ctx.t('concepts')}</li>
<li><a href="/nim"><strong>${ctx.n(nims)}</strong> ${ctx.t('nims')}</a></li>
<li><strong>${ctx.n(releases)}</strong> ${ctx.t('releases')}</li>
</ul>
</section>
<section aria-labelledby="nationella-rubrik">
<h2 id="nationella-rubrik">${ctx.t('national')}</h2>
<table class="list">
<thead><tr><th scope="col">${ctx.t('title')}</th><th scope="col">${ctx.t('version')}</th><th scope="col" class="num">${ctx.t('count')}</th></tr></thead>
<tbody>${national.map((e) => html`<tr><td><a href="${e.href}">${e.title}</a></td><td>${e.version ?? ''}${e.versions.length > 1 ? html` <span class="muted">(+${e.versions.length - 1})</span>` : ''}</td><td class="num">${e.count === undefined ? '' : ctx.n(e.count)}</td></tr>`)}</tbody>
</table>
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
</section>`,
    fhir: ['metadata?mode=terminology', 'CodeSystem?_summary=count'],
  });
}
