import type express from 'express';
import type { ParametersParameter } from 'fhir/r4';
import type { Nim } from '../../nim';
import type { FieldChange, ReleaseDiff } from '../../nim/release-diff';
import type { ConceptSummary, ResourceHead } from '../../store/browse-queries';
import type { TextKey } from '../i18n';
import { Fragment, Html, html, linkIf } from '../html';
import { conceptLink } from '../properties';
import { PageContext, layout } from '../layout';
import type { Site } from '../site';
import { expandPage } from './valueset';
import { nimHref, releaseHref } from './nim';
import { codePageOf, pageOf } from '../catalogue';

/** Items of a change list shown open; longer lists are folded. */
const MAX_OPEN = 15;
/** Rows listed per change list (the summary counts them all). */
const MAX_LISTED = 300;
/** Most codes of a value set compared (the server's unpaged expansion limit applies too). */
const MAX_VS_CODES = 10000;

interface Choice {
  value: string;
  label: string;
  versions: string[];
}

/** What can be compared: releases, and every code system or value set with two or more versions. */
function choices(ctx: PageContext, site: Site, nim: Nim | undefined): Choice[] {
  const out: Choice[] = [];
  if (nim) out.push({ value: 'release', label: ctx.t('releases'), versions: nim.releases.list().map((r) => r.version).reverse() });
  const byUrl = new Map<string, ResourceHead[]>();
  for (const h of site.queries.heads().all) {
    if (h.resourceType === 'ConceptMap' || !h.url) continue;
    const k = `${h.resourceType}|${h.url}`;
    byUrl.set(k, [...(byUrl.get(k) ?? []), h]);
  }
  for (const [k, rows] of byUrl) {
    if (rows.length < 2) continue;
    const latest = site.head(rows[0].resourceType, rows[0].url)!;
    const kind = rows[0].resourceType === 'CodeSystem' ? ctx.t('kindCodeSystem') : ctx.t('kindValueSet');
    out.push({ value: k, label: `${kind}: ${latest.title ?? latest.name ?? latest.url}`, versions: site.versionsOf(rows[0].resourceType, rows[0].url).map((h) => h.version ?? h.id) });
  }
  return out;
}

function changeList(ctx: PageContext, id: string, title: string, items: Fragment[]): Html {
  if (items.length === 0) return html``;
  // a div, not a section: many lists share a heading text and must not become look-alike landmarks
  const list = html`<ul aria-labelledby="${id}">${items.slice(0, MAX_LISTED).map((i) => html`<li>${i}</li>`)}${items.length > MAX_LISTED ? html`<li>…</li>` : ''}</ul>`;
  // long lists are folded so the page stays a summary first
  return html`<div class="changes"><h3 id="${id}">${title} (${ctx.n(items.length)})</h3>
${items.length > MAX_OPEN ? html`<details><summary>${ctx.t('showAll', ctx.n(items.length))}</summary>${list}</details>` : list}</div>`;
}

function summaryCounts(ctx: PageContext, rows: [string, number, number, number][]): Html {
  return html`<section aria-labelledby="summering"><h2 id="summering">${ctx.t('diffSummary')}</h2>
<table class="list"><thead><tr><th scope="col"><span class="visually-hidden">${ctx.t('diffWhat')}</span></th><th scope="col" class="num">${ctx.t('added')}</th><th scope="col" class="num">${ctx.t('removed')}</th><th scope="col" class="num">${ctx.t('changed')}</th></tr></thead>
<tbody>${rows.map(([label, a, r, c]) => html`<tr><th scope="row">${label}</th><td class="num">${ctx.n(a)}</td><td class="num">${ctx.n(r)}</td><td class="num">${ctx.n(c)}</td></tr>`)}</tbody></table></section>`;
}

function fieldChanges(ctx: PageContext, changes: FieldChange[]): Html {
  const show = (v: unknown) => (v === undefined || v === null ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
  return html`<table class="list"><thead><tr><th scope="col">${ctx.t('field')}</th><th scope="col">${ctx.t('before')}</th><th scope="col">${ctx.t('after')}</th><th scope="col">${ctx.t('changeClass')}</th></tr></thead>
<tbody>${changes.map((c) => html`<tr><td>${c.field}</td><td class="diff-removed">${show(c.from)}</td><td class="diff-added">${show(c.to)}</td><td>${ctx.w(c.class)}</td></tr>`)}</tbody></table>`;
}

/** Release diff: NIMs, attributes, bindings and codes added, removed and changed. */
function releaseDiffHtml(ctx: PageContext, site: Site, d: ReleaseDiff, toNims: Map<string, string>): Html {
  const attrs = d.nims.changed.reduce((s, n) => [s[0] + n.attributes.added.length, s[1] + n.attributes.removed.length, s[2] + n.attributes.changed.length], [0, 0, 0]);
  const bindings = d.nims.changed.reduce((s, n) => s + n.bindings.length, 0);
  const codes = d.valueSets.reduce((s, v) => [s[0] + v.added.length, s[1] + v.removed.length, s[2] + v.renamed.length], [0, 0, 0]);
  const nimLink = (url: string, title: string, version: string) => {
    const name = toNims.get(url);
    return name ? html`<a href="${nimHref(name, version)}">${title}</a> ${version}` : html`${title} ${version}`;
  };
  return html`<p><strong>${ctx.t('changeClass')}:</strong> ${ctx.w(d.changeClass)}</p>
${summaryCounts(ctx, [
  [ctx.t('nims'), d.nims.added.length, d.nims.removed.length, d.nims.changed.length],
  [ctx.t('attributes'), attrs[0], attrs[1], attrs[2]],
  [ctx.t('binding'), 0, 0, bindings],
  [ctx.t('concepts'), codes[0], codes[1], codes[2]],
])}
${d.reasons.length === 0 ? html`<p>${ctx.t('noChanges')}</p>` : ''}
${changeList(ctx, 'nim-tillagda', `${ctx.t('nims')}: ${ctx.t('added').toLowerCase()}`, d.nims.added.map((n) => nimLink(n.url, n.title, n.version)))}
${changeList(ctx, 'nim-borttagna', `${ctx.t('nims')}: ${ctx.t('removed').toLowerCase()}`, d.nims.removed.map((n) => html`${n.title} ${n.version}`))}
${d.nims.changed.map(
  (n, i) => html`<section aria-labelledby="nim-${i}"><h2 id="nim-${i}">${nimLink(n.url, n.title, n.toVersion)} <span class="muted">(${n.fromVersion} → ${n.toVersion}, ${ctx.w(n.changeClass)})</span></h2>
${n.changes.length ? fieldChanges(ctx, n.changes) : ''}
${changeList(ctx, `nim-${i}-a`, `${ctx.t('attributes')}: ${ctx.t('added').toLowerCase()}`, n.attributes.added.map((a) => html`<span class="diff-added">${a.name}</span> <code>${a.type} ${a.min}..${a.max}</code>`))}
${changeList(ctx, `nim-${i}-r`, `${ctx.t('attributes')}: ${ctx.t('removed').toLowerCase()}`, n.attributes.removed.map((a) => html`<span class="diff-removed">${a.name}</span> <code>${a.type} ${a.min}..${a.max}</code>`))}
${n.attributes.changed.map((a) => html`<h3>${a.name}</h3>${fieldChanges(ctx, a.changes)}`)}
${n.bindings.map((b) => html`<h3>${ctx.t('binding')}: ${b.attribute}${b.context !== undefined ? ` (${ctx.t('context')} ${b.context + 1})` : ''}</h3>${fieldChanges(ctx, b.changes)}`)}
</section>`,
)}
${d.valueSets
  .filter((v) => v.added.length || v.removed.length || v.renamed.length)
  .map((v, i) => {
    const href = site.canonicalHref('ValueSet', v.to?.version ? `${v.url}|${v.to.version}` : v.url);
    return html`<section aria-labelledby="vs-${i}"><h2 id="vs-${i}">${linkIf(href, site.head('ValueSet', v.url)?.title ?? v.url)} <span class="muted">${v.from?.version ?? '–'} → ${v.to?.version ?? '–'}</span></h2>
${changeList(ctx, `vs-${i}-a`, ctx.t('added'), v.added.map((c) => html`<span class="diff-added"><code>${c.code}</code> ${c.display ?? ''}</span>`))}
${changeList(ctx, `vs-${i}-r`, ctx.t('removed'), v.removed.map((c) => html`<span class="diff-removed"><code>${c.code}</code> ${c.display ?? ''}</span>`))}
${changeList(ctx, `vs-${i}-c`, ctx.t('changed'), v.renamed.map((c) => html`<code>${c.code}</code> <span class="diff-removed">${c.from ?? ''}</span> → <span class="diff-added">${c.to ?? ''}</span>`))}
</section>`;
  })}`;
}

/** The fields compared, each also the key of its UI text. */
const SUMMARY_FIELDS = ['display', 'definition', 'status', 'parents', 'properties'] as const satisfies readonly (keyof ConceptSummary & TextKey)[];
type SummaryField = (typeof SUMMARY_FIELDS)[number];

/** Two versions of a code system: codes added, removed and changed (which fields). */
function codeSystemDiffHtml(ctx: PageContext, site: Site, a: ResourceHead, b: ResourceHead): Html {
  const [from, to] = [site.queries.conceptSummaries(a.pk), site.queries.conceptSummaries(b.pk)];
  const link = (h: ResourceHead, code: string) => codePageOf(h.id, code);
  const added = [...to.values()].filter((c) => !from.has(c.code));
  const removed = [...from.values()].filter((c) => !to.has(c.code));
  const changed = [...to.values()].flatMap((c) => {
    const old = from.get(c.code);
    const fields = old ? SUMMARY_FIELDS.filter((f) => old[f] !== c[f]) : [];
    return fields.length ? [{ c, old: old!, fields }] : [];
  });
  const field = (f: SummaryField) => ctx.t(f).toLocaleLowerCase(ctx.lang);
  // which fields changed how often: a new import format may change every property, a new release a few displays
  const perField = SUMMARY_FIELDS.map((f) => [f, changed.filter((c) => c.fields.includes(f)).length] as const).filter(([, n]) => n > 0);
  return html`${summaryCounts(ctx, [[ctx.t('concepts'), added.length, removed.length, changed.length]])}
${perField.length ? html`<p>${ctx.t('changedFields')}: ${perField.map(([f, n], i) => html`${i ? ', ' : ''}${field(f)} ${ctx.n(n)}`)}</p>` : ''}
${added.length + removed.length + changed.length === 0 ? html`<p>${ctx.t('noChanges')}</p>` : ''}
${changeList(ctx, 'tillagda', ctx.t('added'), added.map((c) => html`<a class="diff-added" href="${link(b, c.code)}"><code>${c.code}</code> ${c.display}</a>`))}
${changeList(ctx, 'borttagna', ctx.t('removed'), removed.map((c) => html`<a class="diff-removed" href="${link(a, c.code)}"><code>${c.code}</code> ${c.display}</a>`))}
${changeList(
  ctx,
  'andrade',
  ctx.t('changed'),
  changed.map(({ c, old, fields }) => html`<a href="${link(b, c.code)}"><code>${c.code}</code> ${c.display}</a>: ${fields.map((f, i) => html`${i ? '; ' : ''}${field(f)}${f === 'display' ? html` (<span class="diff-removed">${old.display}</span> → <span class="diff-added">${c.display}</span>)` : ''}`)}`),
)}`;
}

/** Two versions of a value set: codes of their expansions added, removed, renamed. */
async function valueSetDiffHtml(ctx: PageContext, site: Site, a: ResourceHead, b: ResourceHead): Promise<Html> {
  const [ea, eb] = await Promise.all([expandPage(site, a, '', 0, MAX_VS_CODES), expandPage(site, b, '', 0, MAX_VS_CODES)]);
  const err = ea.error ?? eb.error;
  if (err) return html`<p class="error" role="alert">${ctx.t('expansionError', err)}</p>`;
  const key = (r: { system?: string; code: string }) => `${r.system ?? ''}|${r.code}`;
  const [ma, mb] = [new Map(ea.rows.map((r) => [key(r), r])), new Map(eb.rows.map((r) => [key(r), r]))];
  const added = eb.rows.filter((r) => !ma.has(key(r)));
  const removed = ea.rows.filter((r) => !mb.has(key(r)));
  const renamed = eb.rows.filter((r) => ma.has(key(r)) && (ma.get(key(r))!.display ?? '') !== (r.display ?? ''));
  const row = (r: { system?: string; version?: string; code: string; display?: string }, cls: string) => conceptLink(site, r.system, r.code, r.display ?? '', r.version, cls);
  return html`${await relationHtml(ctx, site, a, b, added.length, removed.length)}
${summaryCounts(ctx, [[ctx.t('concepts'), added.length, removed.length, renamed.length]])}
${added.length + removed.length + renamed.length === 0 ? html`<p>${ctx.t('noChanges')}</p>` : ''}
${changeList(ctx, 'tillagda', ctx.t('added'), added.map((r) => row(r, 'diff-added')))}
${changeList(ctx, 'borttagna', ctx.t('removed'), removed.map((r) => row(r, 'diff-removed')))}
${changeList(ctx, 'andrade', ctx.t('changed'), renamed.map((r) => html`<code>${r.code}</code> <span class="diff-removed">${ma.get(key(r))!.display ?? ''}</span> → <span class="diff-added">${r.display ?? ''}</span>`))}`;
}

/** One sentence on how the newer version relates to the older ($compare): "2026 is a superset of 2025: 12 codes added". */
async function relationHtml(ctx: PageContext, site: Site, older: ResourceHead, newer: ResourceHead, added: number, removed: number): Promise<Html> {
  const parameters: ParametersParameter[] = [
    { name: 'thisUrl', valueUri: newer.url },
    { name: 'thisVersion', valueString: newer.version ?? '' },
    { name: 'otherUrl', valueUri: older.url },
    { name: 'otherVersion', valueString: older.version ?? '' },
  ];
  let out: ParametersParameter[];
  try {
    out = await site.terminology.call('compare', { parameters, txResources: [] });
  } catch {
    return html``;
  }
  const value = (n: string) => out.find((p) => p.name === n);
  const relation = value('result')?.valueCode;
  const [to, from] = [newer.version ?? newer.id, older.version ?? older.id];
  const sentence =
    relation === 'same' ? ctx.t('relationSame', to, from)
    : relation === 'superset' ? ctx.t('relationSuperset', to, from, ctx.n(added))
    : relation === 'subset' ? ctx.t('relationSubset', to, from, ctx.n(removed))
    : relation === 'overlapping' ? ctx.t('relationOverlapping', to, from, ctx.n(added), ctx.n(removed))
    : relation === 'disjoint' ? ctx.t('relationDisjoint', to, from)
    : ctx.t('relationUnknown', value('message')?.valueString ?? '');
  return html`<p class="relation"><strong>${sentence}</strong> <span class="muted">(${ctx.t(value('performed-expansion')?.valueBoolean ? 'relationByExpansion' : 'relationByDefinition')})</span></p>`;
}

/** The diff page: choose what to compare (a shareable GET form) and see the differences. */
async function diffPage(ctx: PageContext, site: Site, nim: Nim | undefined): Promise<Html> {
  const all = choices(ctx, site, nim);
  const chosen = all.find((c) => c.value === ctx.q('vad')) ?? all[0];
  const versions = chosen?.versions ?? [];
  const till = versions.includes(ctx.q('till')) ? ctx.q('till') : versions[0];
  const fran = versions.includes(ctx.q('fran')) ? ctx.q('fran') : versions.find((v) => v !== till);
  let result: Fragment = '';
  let fhir: string[] = [];
  let title = ctx.t('diffTitle');
  if (chosen && fran && till && ctx.q('vad')) {
    title = `${ctx.t('diffTitle')}: ${chosen.label} ${fran} → ${till}`;
    if (chosen.value === 'release' && nim) {
      const toNims = new Map(nim.models.list().map((n) => [n.url, n.name]));
      result = releaseDiffHtml(ctx, site, nim.releases.diff(fran, till), toNims);
      result = html`<p><a href="${releaseHref(fran)}">${ctx.t('release')} ${fran}</a> → <a href="${releaseHref(till)}">${ctx.t('release')} ${till}</a></p>${result}`;
      fhir = [`/releases/${encodeURIComponent(fran)}/diff/${encodeURIComponent(till)}`];
    } else {
      const [type, url] = [chosen.value.slice(0, chosen.value.indexOf('|')), chosen.value.slice(chosen.value.indexOf('|') + 1)];
      const [a, b] = [site.head(type, url, fran)!, site.head(type, url, till)!];
      result = html`<p><a href="${pageOf(a)}">${fran}</a> → <a href="${pageOf(b)}">${till}</a></p>${type === 'CodeSystem' ? codeSystemDiffHtml(ctx, site, a, b) : await valueSetDiffHtml(ctx, site, a, b)}`;
      fhir = [`${type}/${encodeURIComponent(a.id)}`, `${type}/${encodeURIComponent(b.id)}`];
    }
  }
  const select = (name: string, label: string, selected: string | undefined) =>
    html`<div class="field"><label for="d-${name}">${label}</label><select id="d-${name}" name="${name}">${versions.map((v) => html`<option${v === selected ? html` selected` : ''}>${v}</option>`)}</select></div>`;
  const body = html`<form method="get" action="/jamfor" class="filters" aria-label="${ctx.t('diffChoose')}">
<div class="field"><label for="d-vad">${ctx.t('diffWhich')}</label><select id="d-vad" name="vad" data-versions="${JSON.stringify(Object.fromEntries(all.map((c) => [c.value, c.versions])))}">${all.map((c) => html`<option value="${c.value}"${c === chosen ? html` selected` : ''}>${c.label}</option>`)}</select></div>
${select('fran', ctx.t('diffFrom'), fran)}
${select('till', ctx.t('diffTo'), till)}
<div class="field actions"><button type="submit">${ctx.t('diffShow')}</button></div>
</form>
${versions.length < 2 ? html`<p>${ctx.t('needTwo')}</p>` : ''}
${result ? html`<p class="hint">${ctx.t('shareLink')}</p>${result}` : ''}`;
  return layout(ctx, { title, crumbs: result ? [{ label: ctx.t('diffTitle'), href: '/jamfor' }] : [], body, fhir, scripts: ['jamfor.js'] });
}

export function diffRoutes(r: express.Router, site: Site, nim: Nim | undefined): void {
  r.get('/jamfor', (req, res, next) => {
    diffPage(new PageContext(req), site, nim)
      .then((page) => res.type('html').send(page.text))
      .catch(next);
  });
}

