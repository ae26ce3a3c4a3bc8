import type { Nim } from '../../nim';
import { NimAttribute, NimBinding, NimDefinition, fromStructureDefinition } from '../../nim/nim-model';
import type { ReleaseSnapshot } from '../../nim/release-snapshot';
import type { ReleaseDiff } from '../../nim/release-diff';
import type { RefreshNote, RefreshTrigger, RefreshedValueSet } from '../../nim/release-refresh';
import type { NimModelRow, NimReleaseRow } from '../../store/nim-store';
import type { CatalogueEntry } from '../catalogue';
import { Fragment, Html, html, linkIf, seg } from '../html';
import { PageContext, badge, facts, layout } from '../layout';
import type { WebExtension } from './extension';
import type { NimUsesOf } from './concept';
import type { PinnedBy } from './valueset';
import type { Site } from '../site';

const NIM_PATH = '/informationsmangder';
const RELEASE_PATH = '/utgavor';

export const nimHref = (name: string, version?: string) => `${NIM_PATH}/${seg(name)}${version ? `/${seg(version)}` : ''}`;
export const releaseHref = (version: string) => `${RELEASE_PATH}/${seg(version)}`;

function period(from?: string, to?: string): string {
  return from || to ? `${from ?? '…'} – ${to ?? '…'}` : '';
}

/** A bound value set: linked to its page when stored, pinned or floating. */
function valueSetRef(ctx: PageContext, site: Site, url: string, version?: string): Fragment {
  const href = site.canonicalHref('ValueSet', version ? `${url}|${version}` : url);
  const h = site.head('ValueSet', url, version);
  const name = h?.title ?? h?.name ?? url;
  return html`${href ? html`<a href="${href}">${name}</a>` : html`<code>${url}</code> <span class="muted">(${ctx.t('valueSetMissing')})</span>`}
<br><span class="muted">${version ? ctx.t('pinned', version) : ctx.t('floating')}</span>`;
}

function bindingHtml(ctx: PageContext, site: Site, b: NimBinding): Fragment {
  return html`${valueSetRef(ctx, site, b.valueSet, b.version)}
<dl class="binding">
<dt>${ctx.t('strength')}</dt><dd>${ctx.w(b.strength)}</dd>
${b.purpose.length ? html`<dt>${ctx.t('purpose')}</dt><dd>${b.purpose.map((p) => ctx.w(p)).join(', ')}</dd>` : ''}
${b.normativeStatus ? html`<dt>${ctx.t('normativeStatus')}</dt><dd>${ctx.w(b.normativeStatus)}</dd>` : ''}
${b.effective ? html`<dt>${ctx.t('effective')}</dt><dd>${period(b.effective.start, b.effective.end)}</dd>` : ''}
</dl>
${b.contexts.map(
  (c) => html`<div class="context"><strong>${ctx.t('context')}</strong> (${ctx.w(c.purpose)})${c.when.length ? ` ${ctx.t('when', c.when.map((w) => `${w.attribute} = ${w.code}`).join(ctx.t('and')))}` : ''}: ${valueSetRef(ctx, site, c.valueSet, c.version)}${c.documentation ? html`<br>${c.documentation}` : ''}</div>`,
)}`;
}

function attributeRow(ctx: PageContext, site: Site, a: NimAttribute): Html {
  return html`<tr id="attr-${a.id}">
<th scope="row">${a.name}<br><code class="muted">${a.id}</code></th>
<td>${a.definition}${a.comment ? html`<br><span class="muted">${a.comment}</span>` : ''}
${a.registerItem ? html`<br><span class="muted">${ctx.t('registerItem')}: ${a.registerItem}</span>` : ''}
${a.derived ? html`<br><span class="muted">${ctx.t('derived')}: ${a.derived.from.join(', ')}${a.derived.rule ? ` (${a.derived.rule})` : ''}</span>` : ''}
${a.legalBasis.length ? html`<br><span class="muted">${ctx.t('legalBasis')}: ${a.legalBasis.map((l) => l.citation).join('; ')}</span>` : ''}</td>
<td><code>${a.type}</code></td>
<td><code>${a.min}..${a.max}</code></td>
<td>${a.binding ? bindingHtml(ctx, site, a.binding) : ctx.t('noBinding')}</td>
</tr>`;
}

function nimListPage(ctx: PageContext, nim: Nim): Html {
  const list = nim.models.list().sort((a, b) => a.title.localeCompare(b.title, 'sv'));
  const releases = nim.releases.list();
  const body = html`${
    list.length === 0
      ? html`<p>${ctx.t('nimNone')}</p>`
      : html`<table class="list"><thead><tr><th scope="col">${ctx.t('title')}</th><th scope="col">${ctx.t('versions')}</th></tr></thead><tbody>
${list.map(
  (n) => html`<tr><td><a href="${nimHref(n.name)}">${n.title}</a></td><td><ul class="inline">${n.versions.map((v) => html`<li><a href="${nimHref(n.name, v.version)}">${v.version}</a> ${badge(ctx, v.status)}</li>`)}</ul></td></tr>`,
)}</tbody></table>`
  }
<section aria-labelledby="releaser-rubrik"><h2 id="releaser-rubrik">${ctx.t('releases')}</h2>${releaseTable(ctx, releases)}</section>`;
  return layout(ctx, { title: ctx.t('nimList'), crumbs: [], body, fhir: ['StructureDefinition?_count=50', '/nim/models', '/releases'] });
}

function releaseTable(ctx: PageContext, releases: NimReleaseRow[]): Html {
  return html`<table class="list"><thead><tr><th scope="col">${ctx.t('release')}</th><th scope="col">${ctx.t('title')}</th><th scope="col">${ctx.t('status')}</th><th scope="col">${ctx.t('effective')}</th></tr></thead><tbody>
${releases.map((r) => html`<tr><td><a href="${releaseHref(r.version)}">${r.version}</a></td><td>${r.title}</td><td>${badge(ctx, r.status)}</td><td>${period(r.effectiveFrom, r.effectiveTo)}</td></tr>`)}</tbody></table>`;
}

function nimPage(ctx: PageContext, site: Site, nim: Nim, row: NimModelRow): Html {
  const def: NimDefinition = nim.models.definition(row);
  const versions = nim.store.versionsOf(row.name);
  const releases = nim.store.releasesWith(row.pk);
  const body = html`${badge(ctx, row.status)}
<p class="lead">${def.description}</p>
${facts([
  [ctx.t('url'), html`<code>${row.url}</code>`],
  [ctx.t('version'), row.version],
  [ctx.t('versions'), versions.length < 2 ? '' : html`<ul class="inline">${versions.map((v) => (v.pk === row.pk ? html`<li><strong aria-current="page">${v.version}</strong></li>` : html`<li><a href="${nimHref(v.name, v.version)}">${v.version}</a></li>`))}</ul>`],
  [ctx.t('lifecycle'), ctx.w(row.status)],
  [ctx.t('effectiveFrom'), row.effectiveFrom],
  [ctx.t('effectiveTo'), row.effectiveTo],
  [ctx.t('legalBasis'), def.legalBasis.map((l) => `${l.citation} (${ctx.w(l.kind)})`).join('; ')],
  [ctx.t('releasesWithNim'), releases.map((r, i) => [i ? ', ' : '', html`<a href="${releaseHref(r.version)}">${r.version}</a> (${ctx.w(r.status)})`])],
])}
<section aria-labelledby="attribut-rubrik"><h2 id="attribut-rubrik">${ctx.t('attributes')} <span class="muted">(${ctx.n(def.attributes.length)})</span></h2>
<table class="list attributes"><thead><tr><th scope="col">${ctx.t('attribute')}</th><th scope="col">${ctx.t('description')}</th><th scope="col">${ctx.t('datatype')}</th><th scope="col">${ctx.t('cardinality')}</th><th scope="col">${ctx.t('binding')}</th></tr></thead>
<tbody>${def.attributes.map((a) => attributeRow(ctx, site, a))}</tbody></table></section>`;
  return layout(ctx, {
    title: `${def.title} ${row.version}`,
    crumbs: [{ label: ctx.t('navNim'), href: NIM_PATH }],
    body,
    fhir: [`StructureDefinition/${seg(row.resourceId)}`, `/nim/models/${seg(row.name)}/${seg(row.version)}`],
  });
}

/** Why a bound value set has no codes in a release, in the page's language (the snapshot says it in English, for vendors). */
function reasonWords(ctx: PageContext, reason: string): Fragment {
  const cs = /^code system (.+) is not imported yet$/.exec(reason);
  if (cs) return ctx.tf('reasonCsMissing', html`<code>${cs[1]}</code>`);
  if (/^value set \S+ is not in the store yet$/.test(reason)) return ctx.t('reasonVsMissingYet');
  if (/^value set \S+ is not in the store$/.test(reason)) return ctx.t('reasonVsMissing');
  if (reason === 'the value set has no codes yet') return ctx.t('reasonEmpty');
  const large = /^more than (\d+) codes/.exec(reason);
  if (large) return ctx.t('reasonTooLarge', ctx.n(Number(large[1])));
  return reason;
}

/** Most codes listed per value set and direction in a refresh on the release page (the API has all). */
const MAX_LISTED_CHANGES = 40;

function triggerWords(ctx: PageContext, t: RefreshTrigger): string {
  if (t.kind === 'import') return ctx.t('triggerImport', t.file, t.format);
  return ctx.t(t.kind === 'api' ? 'triggerApi' : t.kind === 'manual' ? 'triggerManual' : 'triggerStart');
}

/** One value set's change: "KSI – urval ÄOH: 0.1.0 → 2025, 890 tillagda". */
function valueSetChangeWords(ctx: PageContext, v: RefreshedValueSet): string {
  const parts: string[] = [];
  if (v.from?.version !== v.to?.version) parts.push(`${v.from?.version ?? '–'} → ${v.to?.version ?? '–'}`);
  // Swedish agrees in number: "1 tillagd", "2 tillagda"
  if (v.added) parts.push(v.added === 1 ? ctx.t('addedOne') : ctx.t('addedN', ctx.n(v.added)));
  if (v.removed) parts.push(v.removed === 1 ? ctx.t('removedOne') : ctx.t('removedN', ctx.n(v.removed)));
  if (v.renamed) parts.push(v.renamed === 1 ? ctx.t('renamedOne') : ctx.t('renamedN', ctx.n(v.renamed)));
  return `${v.title ?? v.url}: ${parts.join(', ')}`;
}

/** The codes a refresh added or removed in one value set, folded. */
function changedCodes(ctx: PageContext, site: Site, label: string, codes: { system: string; code: string; display?: string }[]): Fragment {
  if (codes.length === 0) return '';
  const shown = codes.slice(0, MAX_LISTED_CHANGES);
  return html`<details><summary>${label} (${ctx.n(codes.length)})</summary><ul class="codes">${shown.map((c) => html`<li>${linkIf(site.conceptHref(c.system, c.code), html`<code>${c.code}</code>`)} ${c.display ?? ''}</li>`)}${codes.length > shown.length ? html`<li>…</li>` : ''}</ul></details>`;
}

/** A release's events, newest first: lifecycle steps, and refreshes with what changed. */
function historyHtml(ctx: PageContext, site: Site, nim: Nim, r: NimReleaseRow): Html {
  const events = nim.releases.history(r);
  return html`<section aria-labelledby="handelser-rubrik"><h2 id="handelser-rubrik">${ctx.t('releaseHistory')}</h2>
<ol class="history">${events.map((e) => {
    const when = html`<time datetime="${e.at}">${e.at.slice(0, 16).replace('T', ' ')}</time>`;
    if (e.event !== 'uppdaterad') return html`<li>${when} ${badge(ctx, e.event)}</li>`;
    const note = e.note as RefreshNote;
    const diff = nim.releases.refreshDiff(e.id) as ReleaseDiff | undefined;
    return html`<li class="refresh">${when} ${badge(ctx, 'uppdaterad')} <span>${ctx.t('refreshedAfter', triggerWords(ctx, note.trigger))}</span>
${note.versionNeeded ? html`<p class="notice">${ctx.t('refreshVersionNeeded', note.versionNeeded)}</p>` : ''}
<ul>${note.valueSets.map((v) => {
      const change = diff?.valueSets.find((x) => x.url === v.url);
      return html`<li>${linkIf(site.canonicalHref('ValueSet', v.to?.version ? `${v.url}|${v.to.version}` : v.url), valueSetChangeWords(ctx, v))}
${change ? [changedCodes(ctx, site, ctx.t('added'), change.added), changedCodes(ctx, site, ctx.t('removed'), change.removed)] : ''}</li>`;
    })}</ul>
<p class="muted">${ctx.t('contentHash')}: <code>${note.contentHash}</code> (${ctx.t('before')}: <code>${note.from}</code>) · <a href="/releases/${seg(r.version)}/events/${e.id}">JSON</a></p></li>`;
  })}</ol></section>`;
}

function releasePage(ctx: PageContext, site: Site, nim: Nim, r: NimReleaseRow): Html {
  const snap: ReleaseSnapshot = nim.releases.snapshotOf(r);
  const previous = snap.previousVersion ?? nim.releases.previousAdopted(r)?.version;
  const body = html`${badge(ctx, r.status)}
${facts([
  [ctx.t('version'), r.version],
  [ctx.t('lifecycle'), ctx.w(r.status)],
  [ctx.t('effectiveFrom'), r.effectiveFrom],
  [ctx.t('effectiveTo'), r.effectiveTo],
  [ctx.t('changeClass'), snap.changeClass ? ctx.w(snap.changeClass) : ''],
  [ctx.t('previousRelease'), previous ? html`${previous} · <a href="/jamfor?vad=release&fran=${seg(previous)}&till=${seg(r.version)}">${ctx.t('diffTitle')} ${previous} → ${r.version}</a>` : ''],
])}
<p class="downloads"><span>${ctx.t('downloads')}:</span>
<a href="/releases/${seg(r.version)}/valuesets.csv" download>${ctx.t('csv')}</a>
<a href="/releases/${seg(r.version)}/valuesets.xlsx" download>${ctx.t('xlsx')}</a>
${r.snapshot ? html`<a href="/releases/${seg(r.version)}/package.tgz" download>${ctx.t('fhirPackage')}</a>` : ''}</p>
<section aria-labelledby="nims-rubrik"><h2 id="nims-rubrik">${ctx.t('nims')}</h2>
<ul>${snap.nims.map((n) => html`<li><a href="${nimHref(n.name, n.version)}">${n.title}</a> ${n.version} ${badge(ctx, n.status)}</li>`)}</ul></section>
<section aria-labelledby="vs-rubrik"><h2 id="vs-rubrik">${ctx.t('valueSets')}</h2>
<table class="list"><thead><tr><th scope="col">${ctx.t('title')}</th><th scope="col">${ctx.t('version')}</th><th scope="col" class="num">${ctx.t('concepts')}</th></tr></thead><tbody>
${snap.valueSets.map((v) => {
  const href = site.canonicalHref('ValueSet', v.version ? `${v.url}|${v.version}` : v.url);
  return html`<tr><td>${linkIf(href, v.title ?? v.url)}${v.reason ? html`<br><span class="muted">${reasonWords(ctx, v.reason)}</span>` : ''}</td><td>${v.version ?? ''} <span class="muted">${v.pinned ? ctx.t('pinned', v.version ?? '') : ctx.t('floating')}</span></td><td class="num">${ctx.n(v.total)}</td></tr>`;
})}</tbody></table></section>
${historyHtml(ctx, site, nim, r)}`;
  return layout(ctx, { title: `${ctx.t('release')} ${r.version}: ${r.title}`, crumbs: [{ label: ctx.t('navNim'), href: NIM_PATH }], body, fhir: [`/releases/${seg(r.version)}`] });
}

/** The start page's section: how many NIMs there are, and the utgåvor with their status. */
function startSection(ctx: PageContext, nim: Nim): Html {
  const nims = nim.models.list();
  return html`<section aria-labelledby="nim-start-rubrik">
<h2 id="nim-start-rubrik">${ctx.t('nimsAndReleases')}</h2>
<p>${ctx.t('nimsAbout')}</p>
<ul class="stats"><li><a href="${NIM_PATH}"><strong>${ctx.n(nims.length)}</strong> ${ctx.t('nims')}</a></li></ul>
${releaseTable(ctx, nim.releases.list().slice(0, 5))}
</section>`;
}

/** NIMs whose attributes bind one of these value sets (a floating binding matches any version). */
function nimUses(nim: Nim, valueSets: { url: string; version?: string }[]): ReturnType<NimUsesOf> {
  const out: ReturnType<NimUsesOf> = [];
  for (const summary of nim.models.list()) {
    const row = nim.models.get(summary.name);
    const def = nim.models.definition(row);
    for (const a of def.attributes) {
      const bindings = a.binding ? [{ valueSet: a.binding.valueSet, version: a.binding.version }, ...a.binding.contexts] : [];
      if (bindings.some((b) => valueSets.some((v) => v.url === b.valueSet && (!b.version || b.version === v.version)))) {
        out.push({ label: `${def.title}: ${a.name}`, href: `${nimHref(row.name, row.version)}#attr-${a.id}`, version: row.version, status: row.status });
      }
    }
  }
  return out;
}

/** "NIM title: attribute name" of a binding in a release snapshot. */
function attributeLabel(snap: ReleaseSnapshot, nim: string, attribute: string): string {
  const n = snap.nims.find((x) => x.url === nim || x.name === nim);
  if (!n) return `${nim}: ${attribute}`;
  const name = fromStructureDefinition(n.resource).attributes.find((a) => a.id === attribute)?.name ?? attribute;
  return `${n.title}: ${name}`;
}

/** Releases (with a stored snapshot) that hold a value set, the version each resolved, and the NIMs binding it. */
function pinnedBy(nim: Nim, url: string): ReturnType<PinnedBy> {
  const out: ReturnType<PinnedBy> = [];
  for (const r of nim.releases.list()) {
    if (!r.snapshot) continue;
    const snap: ReleaseSnapshot = JSON.parse(r.snapshot);
    for (const vs of snap.valueSets.filter((v) => v.url === url)) {
      const nims = [...new Set(snap.bindings.filter((b) => b.resolved === vs.key).map((b) => attributeLabel(snap, b.nim, b.attribute)))];
      out.push({ release: r.version, href: releaseHref(r.version), status: r.status, version: vs.version, pinned: vs.pinned, nims });
    }
  }
  return out;
}

/** The NIM part of the pages: list, NIM versions, releases, release diffs, catalogue entries. */
export function nimPages(nim: Nim): WebExtension {
  return {
    catalogue: () => {
      const list = nim.models.list();
      const entries: CatalogueEntry[] = list.map((n) => {
        const latest = n.versions[n.versions.length - 1];
        return { ref: `NIM/${n.name}`, kind: 'NIM', title: n.title, name: n.name, url: n.url, version: latest?.version, versions: n.versions.map((v) => v.version), status: latest?.status, href: nimHref(n.name) };
      });
      return { key: JSON.stringify(list.map((n) => [n.name, n.versions.map((v) => `${v.version}:${v.status}`)])), entries };
    },
    nimUses: (valueSets) => nimUses(nim, valueSets),
    start: (ctx) => startSection(ctx, nim),
    pinnedBy: (url) => pinnedBy(nim, url),
    routes: (r, site) => {
      r.get(NIM_PATH, (req, res) => res.type('html').send(nimListPage(new PageContext(req), nim).text));
      r.get(`${NIM_PATH}/:name{/:version}`, (req, res, next) => {
        const rows = nim.store.versionsOf(req.params.name);
        if (rows.length === 0) return next();
        const version = req.params.version;
        const row = version ? rows.find((x) => x.version === version) : nim.models.get(req.params.name);
        if (!row) return next();
        res.type('html').send(nimPage(new PageContext(req), site, nim, row).text);
      });
      r.get(RELEASE_PATH, (_req, res) => res.redirect(301, NIM_PATH + '#releaser-rubrik'));
      r.get(`${RELEASE_PATH}/:version`, (req, res, next) => {
        const row = nim.store.release(req.params.version);
        if (!row) return next();
        res.type('html').send(releasePage(new PageContext(req), site, nim, row).text);
      });
    },
  };
}
