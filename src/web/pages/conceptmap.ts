import type { StoredResource } from '../../store/resource-store';
import { Html, html, seg } from '../html';
import { PageContext, layout } from '../layout';
import type { Site } from '../site';
import { resourceIntro } from './resource-intro';
import { conceptLink } from '../properties';

/** Rows shown per group before the page says how many more there are (FHIR JSON has them all). */
const MAX_ROWS = 2000;

/** Concept map: metadata and every mapping, source and target linked to their concept pages. */
export function conceptMapPage(ctx: PageContext, site: Site, stored: StoredResource): Html {
  const cm = stored.resource;
  const groups: any[] = cm.group ?? [];
  const codeCell = (system: string | undefined, version: string | undefined, code: string | undefined, display: string | undefined) => {
    if (!code) return html`<em>${ctx.t('unmapped')}</em>`;
    return conceptLink(site, system, code, display, version);
  };
  const body = html`${resourceIntro(ctx, site, stored)}
${groups.map((g, i) => {
  const elements: any[] = g.element ?? [];
  const rows = elements.flatMap((e) => ((e.target ?? []).length ? e.target : [{}]).map((t: any) => ({ e, t })));
  return html`<section aria-labelledby="grupp-${i}">
<h2 id="grupp-${i}">${site.systemTitle(g.source)}${g.sourceVersion ? ` ${g.sourceVersion}` : ''} → ${site.systemTitle(g.target)}${g.targetVersion ? ` ${g.targetVersion}` : ''}</h2>
<table class="list"><thead><tr><th scope="col">${ctx.t('source')}</th><th scope="col">${ctx.t('equivalence')}</th><th scope="col">${ctx.t('target')}</th></tr></thead><tbody>
${rows.slice(0, MAX_ROWS).map(({ e, t }) => html`<tr><td>${codeCell(g.source, g.sourceVersion, e.code, e.display)}</td><td>${ctx.w(t.equivalence)}${t.comment ? html`<br><span class="muted">${t.comment}</span>` : ''}</td><td>${codeCell(g.target, g.targetVersion, t.code, t.display)}</td></tr>`)}
</tbody></table>
${rows.length > MAX_ROWS ? html`<p>… ${ctx.n(rows.length - MAX_ROWS)} (FHIR JSON)</p>` : ''}
</section>`;
})}`;
  return layout(ctx, {
    title: cm.title ?? cm.name ?? cm.id,
    crumbs: [{ label: ctx.t('navCatalogue'), href: '/katalog?typ=ConceptMap' }],
    body,
    fhir: [`ConceptMap/${seg(cm.id)}`],
  });
}
