import type { ParametersParameter } from 'fhir/r4';
import type { ConceptRow, PropertyRow } from '../../store/concept-store';
import type { StoredResource } from '../../store/resource-store';
import { codePageOf } from '../catalogue';
import { Fragment, Html, html, seg } from '../html';
import { PageContext, badge, facts, layout } from '../layout';
import type { MappingRef } from '../mappings';
import { conceptLink, declaredProperties, multiline, propertyHtml } from '../properties';
import type { Site } from '../site';
import { SAKOMRADE_FLAGS } from '../concept-search';
import { compareVersions } from '../../terminology/versions';
import { qualityNotice } from '../quality';
import { propertyLabel, sakomradeLabel } from '../labels';
import { designationUseWord } from '../i18n';

/** Properties shown in their own sections rather than in the property table. */
const OWN_SECTION = new Set(['innefattar', 'utesluter', 'inriktning', 'agerande', 'metod', 'parent', 'child']);

/** Mappings listed open; more are folded in a details element. */
const MAX_OPEN_MAPPINGS = 12;

/** Most candidate value sets checked for membership on one concept page. */
const MAX_VALUE_SETS = 40;

/** A value set that contains the concept, and the NIM attributes binding it (filled by the NIM part). */
export interface ValueSetUse {
  id: string;
  url: string;
  title: string;
  version?: string;
}

/** One value set (a canonical URL) and the versions of it that hold the concept, latest last. */
interface ValueSetListing {
  url: string;
  latest: ValueSetUse;
  versions: ValueSetUse[];
}

/** The value sets holding the concept, each listed once with its versions behind it. */
function byValueSet(uses: ValueSetUse[]): ValueSetListing[] {
  const out = new Map<string, ValueSetListing>();
  for (const u of uses) {
    const l = out.get(u.url);
    if (!l) out.set(u.url, { url: u.url, latest: u, versions: [u] });
    else {
      l.versions.push(u);
      l.versions.sort((a, b) => compareVersions(a.version, b.version));
      l.latest = l.versions[l.versions.length - 1];
    }
  }
  return [...out.values()].sort((a, b) => a.latest.title.localeCompare(b.latest.title, 'sv'));
}

export type NimUsesOf = (valueSets: { url: string; version?: string }[]) => { label: string; href: string; version: string; status: string }[];

/** Value sets whose definition names this code system; candidates for holding the concept. */
function candidateValueSets(site: Site, system: string): { id: string; url: string; version?: string; title: string }[] {
  const out: { id: string; url: string; version?: string; title: string }[] = [];
  for (const h of site.queries.heads().all) {
    if (h.resourceType !== 'ValueSet' || !h.url) continue;
    if (!site.valueSetSystems(h.pk).has(system)) continue;
    out.push({ id: h.id, url: h.url, version: h.version, title: h.title ?? h.name ?? h.id });
  }
  return out.slice(0, MAX_VALUE_SETS);
}

/** The candidate value sets that contain system|code, as the engine's $validate-code says. */
async function valueSetsWith(site: Site, system: string, version: string | undefined, code: string): Promise<ValueSetUse[]> {
  const found: ValueSetUse[] = [];
  for (const vs of candidateValueSets(site, system)) {
    const parameters: ParametersParameter[] = [
      { name: 'url', valueUri: vs.url },
      { name: 'system', valueUri: system },
      { name: 'code', valueCode: code },
    ];
    if (vs.version) parameters.push({ name: 'valueSetVersion', valueString: vs.version });
    if (version) parameters.push({ name: 'systemVersion', valueString: version });
    try {
      const out: ParametersParameter[] | { parameter?: ParametersParameter[] } = await site.terminology.call('validateValueSetCode', { parameters, txResources: [] });
      const params = Array.isArray(out) ? out : out.parameter ?? [];
      if (params.find((p) => p.name === 'result')?.valueBoolean) found.push({ id: vs.id, url: vs.url, title: vs.title, version: vs.version });
    } catch {
      // a value set that cannot be evaluated (e.g. a missing code system) holds nothing here
    }
  }
  return found;
}

function mappingList(ctx: PageContext, site: Site, refs: MappingRef[]): Fragment {
  if (refs.length === 0) return html`<p>${ctx.t('noMappings')}</p>`;
  const table = html`<table class="list"><thead><tr><th scope="col">${ctx.t('code')}</th><th scope="col">${ctx.t('system')}</th><th scope="col">${ctx.t('equivalence')}</th><th scope="col">${ctx.t('mapping')}</th></tr></thead><tbody>
${refs.map((r) => {
  return html`<tr><td>${conceptLink(site, r.system, r.code, r.display, r.version)}</td><td>${site.systemTitle(r.system)}</td><td>${ctx.w(r.equivalence)}${r.comment ? html`<br><span class="muted">${r.comment}</span>` : ''}</td><td><a href="/mappning/${seg(r.mapId)}">${r.mapTitle}</a></td></tr>`;
})}</tbody></table>`;
  // a KSI inriktning maps to a whole ICF range: long lists stay folded
  return refs.length > MAX_OPEN_MAPPINGS ? html`<details><summary>${ctx.t('showAll', ctx.n(refs.length))}</summary>${table}</details>` : table;
}

function conceptLinks(ctx: PageContext, base: string, rows: ConceptRow[], empty: string): Fragment {
  if (rows.length === 0) return html`<p>${empty}</p>`;
  return html`<ul class="concept-links">${rows.map((r) => html`<li><a href="${base}/kod/${seg(r.code)}"><code>${r.code}</code> ${r.display ?? ''}</a>${r.inactive ? html` ${badge(ctx, 'inactive')}` : ''}</li>`)}</ul>`;
}

/** The versions of a value set that hold the concept (each linked), after its title. */
function valueSetVersions(ctx: PageContext, l: ValueSetListing): Fragment {
  const versions = l.versions.filter((v) => v.version);
  if (versions.length === 0) return '';
  return html` <span class="muted">${ctx.t(versions.length === 1 ? 'version' : 'versions').toLowerCase()} ${versions.map((v, i) => [i ? ', ' : '', v === l.latest ? v.version : html`<a href="/vardemangd/${seg(v.id)}">${v.version}</a>`])}</span>`;
}

/** KSI's three axes (inriktning.agerande.metod), when the concept has them. */
function axes(ctx: PageContext, site: Site, props: PropertyRow[], cs: any): Fragment {
  const get = (code: string) => props.find((p) => p.code === code);
  const [inriktning, agerande, metod] = [get('inriktning'), get('agerande'), get('metod')];
  if (!inriktning && !agerande && !metod) return '';
  const value = (p: PropertyRow | undefined) => (p ? propertyHtml(ctx, site, p, cs.url, cs.version) : '');
  return html`<section aria-labelledby="axlar-rubrik"><h2 id="axlar-rubrik">${ctx.t('axes')}</h2>
${facts([
  [ctx.t('axisInriktning'), value(inriktning)],
  [ctx.t('axisAgerande'), value(agerande)],
  [ctx.t('axisMetod'), metod ? (metod.value_text === 'ZZ' ? html`<code>ZZ</code> ${ctx.t('axisUnused')}` : value(metod)) : ''],
])}</section>`;
}

/** Concept: title, terms, description, inclusions/exclusions, properties, hierarchy, mappings, use, history. */
export async function conceptPage(ctx: PageContext, site: Site, stored: StoredResource, row: ConceptRow, nimUses?: NimUsesOf): Promise<Html> {
  const cs = stored.resource;
  const base = `/kodsystem/${seg(cs.id)}`;
  const props = site.concepts.properties(row.pk);
  const designations = site.concepts.designations(row.pk).filter((d) => d.value !== row.display);
  const decls = new Map(declaredProperties(cs).map((d) => [d.code, d]));
  const text = (code: string) => props.filter((p) => p.code === code).map((p) => p.value_text ?? '');
  const others = props.filter((p) => !OWN_SECTION.has(p.code) && !SAKOMRADE_FLAGS.includes(p.code));
  const selections = props.filter((p) => SAKOMRADE_FLAGS.includes(p.code) && p.value_text === 'true').map((p) => p.code);
  const valueSets = await valueSetsWith(site, cs.url, cs.version, row.code);
  const nims = nimUses ? nimUses(valueSets.map((v) => ({ url: v.url, version: v.version }))) : [];
  const history = site.versionsOf('CodeSystem', cs.url).map((h) => ({ h, c: site.concepts.byCode(h.pk, row.code, true) }));
  const section = (id: string, title: string, content: Fragment) => html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${content}</section>`;
  const body = html`<p class="subtitle">${ctx.tf('inCodeSystem', html`<a href="${base}">${cs.title ?? cs.name}</a> ${cs.version ?? ''}`)}</p>
${row.inactive ? html`<p class="notice">${badge(ctx, 'inactive')} ${ctx.t('inactiveConcept')}</p>` : ''}
${row.abstract ? html`<p class="notice">${ctx.t('abstractConcept')}</p>` : ''}
${qualityNotice(ctx, site, stored, row.code)}
${row.definition ? section('beskrivning-rubrik', ctx.t('definition'), html`<p>${multiline(row.definition)}</p>`) : ''}
${designations.length ? section('termer-rubrik', ctx.t('alternativeTerms'), html`<ul>${designations.map((d) => html`<li lang="${d.language ?? ''}">${d.value}${d.use_code || d.use_display ? html` <span class="muted">(${designationUseWord(ctx.lang, d)})</span>` : ''}</li>`)}</ul>`) : ''}
${text('innefattar').length ? section('innefattar-rubrik', ctx.t('includes'), text('innefattar').map((t) => html`<p>${multiline(t)}</p>`)) : ''}
${text('utesluter').length ? section('utesluter-rubrik', ctx.t('excludes'), text('utesluter').map((t) => html`<p>${multiline(t)}</p>`)) : ''}
${axes(ctx, site, props, cs)}
${selections.length ? section('urval-rubrik', ctx.t('facetSakomrade'), html`<ul>${selections.map((f) => html`<li>${sakomradeLabel(ctx.lang, f)}</li>`)}</ul>`) : ''}
<div class="two-col">
${section('overordnade-rubrik', ctx.t('parents'), conceptLinks(ctx, base, site.concepts.parents(row.pk), ctx.t('noParents')))}
${section('underordnade-rubrik', ctx.t('children'), conceptLinks(ctx, base, site.concepts.children(row.pk), ctx.t('noChildren')))}
</div>
${section('mappning-ut-rubrik', ctx.t('mappingsOut'), mappingList(ctx, site, site.mappings.from(cs.url, row.code, cs.version)))}
${section('mappning-in-rubrik', ctx.t('mappingsIn'), mappingList(ctx, site, site.mappings.to(cs.url, row.code, cs.version)))}
${others.length ? section('egenskaper-rubrik', ctx.t('properties'), html`<table class="list"><thead><tr><th scope="col">${ctx.t('property')}</th><th scope="col">${ctx.t('value')}</th></tr></thead><tbody>
${others.map((p) => html`<tr><th scope="row">${propertyLabel(ctx, p.code, decls.get(p.code)?.description)}</th><td>${propertyHtml(ctx, site, p, cs.url, cs.version)}</td></tr>`)}
</tbody></table>`) : ''}
${section('vardemangder-rubrik', ctx.t('usedInValueSets'), valueSets.length ? html`<ul class="value-sets">${byValueSet(valueSets).map((l) => html`<li><a href="/vardemangd/${seg(l.latest.id)}">${l.latest.title}</a>${valueSetVersions(ctx, l)}</li>`)}</ul>` : html`<p>${ctx.t('none')}</p>`)}
${nimUses ? section('nim-rubrik', ctx.t('usedInNims'), nims.length ? html`<ul>${nims.map((n) => html`<li><a href="${n.href}">${n.label}</a> <span class="muted">${n.version} (${ctx.w(n.status)})</span></li>`)}</ul>` : html`<p>${ctx.t('none')}</p>`) : ''}
${history.length > 1 ? section('historik-rubrik', ctx.t('history'), html`<table class="list"><thead><tr><th scope="col">${ctx.t('version')}</th><th scope="col">${ctx.t('display')}</th><th scope="col">${ctx.t('status')}</th></tr></thead><tbody>
${history.map(({ h, c }) => html`<tr${h.id === cs.id ? html` aria-current="true"` : ''}><td>${c ? html`<a href="${codePageOf(h.id, row.code)}">${h.version ?? h.id}</a>` : h.version ?? h.id}${h.id === cs.id ? html` <span class="muted">(${ctx.t('thisVersion')})</span>` : ''}</td><td>${c ? c.display ?? '' : html`<em>${ctx.t('notInVersion')}</em>`}</td><td>${c ? ctx.w(c.inactive ? 'inactive' : 'active') : ''}</td></tr>`)}
</tbody></table>`) : ''}`;
  return layout(ctx, {
    title: `${row.code} ${row.display ?? ''}`.trim(),
    heading: html`<code class="code">${row.code}</code> ${row.display ?? ''}`,
    crumbs: [
      { label: ctx.t('navCatalogue'), href: '/katalog?typ=CodeSystem' },
      { label: `${cs.title ?? cs.name ?? cs.id}${cs.version ? ` ${cs.version}` : ''}`, href: base },
    ],
    body,
    fhir: [
      `CodeSystem/$lookup?system=${encodeURIComponent(cs.url)}${cs.version ? `&version=${encodeURIComponent(cs.version)}` : ''}&code=${encodeURIComponent(row.code)}`,
      `ConceptMap/$translate?system=${encodeURIComponent(cs.url)}&code=${encodeURIComponent(row.code)}`,
    ],
  });
}
