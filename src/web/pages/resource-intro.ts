import type { StoredResource } from '../../store/resource-store';
import { pageOf } from '../catalogue';
import { Fragment, Html, html } from '../html';
import { PageContext, badge, facts } from '../layout';
import type { Site } from '../site';

/** Links to every stored version of a resource, this one marked ('' when there is only one). */
export function versionLinks(site: Site, resourceType: string, url: string | undefined, current: string): Fragment {
  const all = site.versionsOf(resourceType, url);
  if (all.length < 2) return '';
  return html`<ul class="inline">${all.map((h) =>
    h.id === current ? html`<li><strong aria-current="page">${h.version ?? h.id}</strong></li>` : html`<li><a href="${pageOf(h)}">${h.version ?? h.id}</a></li>`,
  )}</ul>`;
}

/** Import provenance of a stored resource: the latest import that wrote it. */
export function provenance(site: Site, pk: number): string | undefined {
  const r = site.imports.forResource(pk)[0];
  return r ? `${r.fileName}${r.publisherVersion ? ` (${r.publisherVersion})` : ''}, ${r.importedAt.slice(0, 10)}` : undefined;
}

/**
 * The top of a code system, value set or concept map page: status, description and the facts
 * every canonical resource has, with the page's own facts among them.
 */
export function resourceIntro(ctx: PageContext, site: Site, stored: StoredResource, own: [string, Fragment][] = []): Html {
  const r = stored.resource;
  return html`${badge(ctx, r.status)}
${r.description ? html`<p class="lead">${r.description}</p>` : ''}
${facts([
  [ctx.t('url'), html`<code>${r.url}</code>`],
  [ctx.t('version'), r.version],
  [ctx.t('versions'), versionLinks(site, stored.resourceType, r.url, r.id)],
  [ctx.t('name'), r.name],
  ...own,
  [ctx.t('publisher'), r.publisher],
  [ctx.t('date'), r.date],
  [ctx.t('provenance'), provenance(site, stored.pk)],
])}`;
}
