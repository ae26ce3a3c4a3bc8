import type { StoredResource } from '../../store/resource-store';
import { Html, html, seg } from '../html';
import { PageContext, badge, facts, layout } from '../layout';
import type { Site } from '../site';
import { provenance, versionLinks } from './codesystem';
import { conceptDisplay } from '../properties';

/** Rows shown per group before the page says how many more there are (FHIR JSON has them all). */
const MAX_ROWS = 2000;

/** Concept map: metadata and every mapping, source and target linked to their concept pages. */
export function conceptMapPage(ctx: PageContext, site: Site, stored: StoredResource): Html {
  const cm = stored.resource;
  const groups: any[] = cm.group ?? [];
  const codeCell = (system: string | undefined, version: string | undefined, code: string | undefined, display: string | undefined) => {
    if (!code) return html`<em>${ctx.t('unmapped')}</em>`;
    const href = site.conceptHref(system, code, version);
    const label = display ?? conceptDisplay(site, system, code, version) ?? '';
    return href ? html`<a href="${href}"><code>${code}</code> ${label}</a>` : html`<code>${code}</code> ${label}`;
  };
  const body = html`${badge(ctx, cm.status)}
${cm.description ? html`<p class="lead">${cm.description}</p>` : ''}
${facts([
  [ctx.t('url'), html`<code>${cm.url}</code>`],
  [ctx.t('version'), cm.version],
  [ctx.t('versions'), site.versionsOf('ConceptMap', cm.url).length > 1 ? versionLinks(ctx, site, 'ConceptMap', cm.url, cm.id) : ''],
  [ctx.t('publisher'), cm.publisher],
  [ctx.t('provenance'), provenance(ctx, site, stored.pk)],
])}
${groups.map((g, i) => {
  const elements: any[] = g.element ?? [];
  const rows = elements.flatMap((e) => ((e.target ?? []).length ? e.target : [{}]).map((t: any) => ({ e, t })));
  return html`<section aria-labelledby="grupp-${i}">
<h2 id="grupp-${i}">${site.systemTitle(g.source)}${g.sourceVersion ? ` ${g.sourceVersion}` : ''} → ${site.systemTitle(g.target)}${g.targetVersion ? ` ${g.targetVersion}` : ''}</h2>
<table class="list"><thead><tr><th scope="col">${ctx.t('source')}</th><th scope="col">${ctx.t('equivalence')}</th><th scope="col">${ctx.t('target')}</th></tr></thead><tbody>
${rows.slice(0, MAX_ROWS).map(({ e, t }) => html`<tr><td>${codeCell(g.source, g.sourceVersion, e.code, e.display)}</td><td>${t.equivalence ?? ''}${t.comment ? html`<br><span class="muted">${t.comment}</span>` : ''}</td><td>${codeCell(g.target, g.targetVersion, t.code, t.display)}</td></tr>`)}
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
