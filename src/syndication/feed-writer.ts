import type { SyndicationItem } from '../store/syndication-store';
import { compareVersions } from '../terminology/versions';
import { ASF_PROFILE, ASF_SCHEME, ASF_TERMS, ATOM_NS, KODVERK_NS, NCTS_NS, ONTO_NS, SCT_NS, isRetraction } from './asf';
import { xmlText as xml } from '../xml-text';

/** The feed's own metadata. */
export interface FeedHead {
  /** urn:uuid:..., the same for as long as this instance publishes */
  id: string;
  title: string;
  subtitle?: string;
  /** the feed's own address */
  selfUrl: string;
  generator: string;
}

const SCT_VERSION_URI = /^http:\/\/snomed\.info\/x?sct\/\d+\/version\/\d{8}$/;

/** The part of a contentItemVersion that orders the releases of one content item. */
export function versionPart(contentItemVersion: string): string {
  const sct = /\/version\/(\d{8})$/.exec(contentItemVersion);
  if (sct) return sct[1];
  const cut = Math.max(contentItemVersion.lastIndexOf('|'), contentItemVersion.lastIndexOf('#'));
  return cut >= 0 ? contentItemVersion.slice(cut + 1) : contentItemVersion;
}

/**
 * Which release each published item supersedes: the next lower version of the same content item
 * still in the catalogue (retractions take no part).
 */
export function supersededBy(items: SyndicationItem[]): Map<string, string> {
  const groups = new Map<string, SyndicationItem[]>();
  for (const i of items) {
    if (isRetraction(i.category)) continue;
    groups.set(i.contentItemIdentifier, [...(groups.get(i.contentItemIdentifier) ?? []), i]);
  }
  const out = new Map<string, string>();
  for (const group of groups.values()) {
    group.sort((a, b) => compareVersions(versionPart(a.contentItemVersion), versionPart(b.contentItemVersion)));
    for (let k = 1; k < group.length; k++) out.set(group[k].contentItemVersion, group[k - 1].contentItemVersion);
  }
  return out;
}

/** The download address of an item's artefact on this server. */
export function artefactUrl(root: string, item: SyndicationItem): string {
  return `${root}/syndication/artefacts/${item.artefact!.sha256}/${encodeURIComponent(item.artefact!.fileName)}`;
}

function entryXml(item: SyndicationItem, root: string, supersedes: string | undefined): string[] {
  const lines = ['  <entry>', `    <id>${xml(item.entryId)}</id>`, `    <title>${xml(item.title)}</title>`];
  if (item.summary) lines.push(`    <summary>${xml(item.summary)}</summary>`);
  if (item.rights) lines.push(`    <rights>${xml(item.rights)}</rights>`);
  if (item.published) lines.push(`    <published>${xml(item.published)}</published>`);
  lines.push(`    <updated>${xml(item.updated)}</updated>`);
  if (item.author) lines.push(`    <author><name>${xml(item.author)}</name></author>`);
  lines.push(`    <category scheme="${ASF_SCHEME}" term="${xml(item.category)}" label="${xml(ASF_TERMS[item.category] ?? item.category)}"/>`);
  for (const c of item.extraCategories) lines.push(`    <category scheme="${xml(c.scheme)}" term="${xml(c.term)}"${c.label ? ` label="${xml(c.label)}"` : ''}/>`);
  if (item.artefact && !isRetraction(item.category)) {
    const a = item.artefact;
    lines.push(`    <link rel="alternate" type="${xml(a.mediaType)}" href="${xml(artefactUrl(root, item))}" length="${a.length}" ncts:sha256Hash="${a.sha256}"/>`);
  }
  if (item.source) {
    const s = item.source;
    lines.push('    <source>', `      <id>${xml(s.id)}</id>`);
    if (s.title) lines.push(`      <title>${xml(s.title)}</title>`);
    if (s.updated) lines.push(`      <updated>${xml(s.updated)}</updated>`);
    if (s.link) lines.push(`      <link rel="self" type="application/atom+xml" href="${xml(s.link)}"/>`);
    lines.push('    </source>');
  }
  lines.push(`    <ncts:contentItemIdentifier>${xml(item.contentItemIdentifier)}</ncts:contentItemIdentifier>`);
  lines.push(`    <ncts:contentItemVersion>${xml(item.contentItemVersion)}</ncts:contentItemVersion>`);
  if (item.fhirVersion) lines.push(`    <ncts:fhirVersion>${xml(item.fhirVersion)}</ncts:fhirVersion>`);
  for (const p of item.permissions) lines.push(`    <onto:permission code="${xml(p)}"/>`);
  if (supersedes) lines.push(`    <kv:supersedes>${xml(supersedes)}</kv:supersedes>`);
  // a Snomed CT package names the editions it needs the IG's way; anything else in Kodverk's namespace
  const sct = item.category.startsWith('SCT_') ? item.dependencies.filter((d) => SCT_VERSION_URI.test(d)) : [];
  if (sct.length) lines.push('    <sct:packageDependency>', ...sct.map((d) => `      <sct:editionDependency>${xml(d)}</sct:editionDependency>`), '    </sct:packageDependency>');
  for (const d of item.dependencies.filter((x) => !sct.includes(x))) lines.push(`    <kv:dependency>${xml(d)}</kv:dependency>`);
  lines.push('  </entry>');
  return lines;
}

/**
 * The Atom feed (NCTS ASF profile 1.0.0) of the given items, newest first; `root` is the
 * server's address as the client sees it (artefact links are absolute).
 */
export function feedXml(head: FeedHead, items: SyndicationItem[], root: string): string {
  const sorted = [...items].sort((a, b) => (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : a.contentItemVersion.localeCompare(b.contentItemVersion)));
  const supersedes = supersededBy(items);
  const updated = sorted[0]?.updated ?? '1970-01-01T00:00:00.000Z';
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<feed xmlns="${ATOM_NS}" xmlns:ncts="${NCTS_NS}" xmlns:sct="${SCT_NS}" xmlns:onto="${ONTO_NS}" xmlns:kv="${KODVERK_NS}">`,
    `  <id>${xml(head.id)}</id>`,
    `  <title>${xml(head.title)}</title>`,
    ...(head.subtitle ? [`  <subtitle>${xml(head.subtitle)}</subtitle>`] : []),
    `  <updated>${updated}</updated>`,
    `  <generator>${xml(head.generator)}</generator>`,
    `  <link rel="self" type="application/atom+xml" href="${xml(head.selfUrl)}"/>`,
    `  <ncts:atomSyndicationFormatProfile>${ASF_PROFILE}</ncts:atomSyndicationFormatProfile>`,
  ];
  for (const item of sorted) lines.push(...entryXml(item, root, supersedes.get(item.contentItemVersion)));
  lines.push('</feed>');
  return lines.join('\n') + '\n';
}
