import type { ResourceStore } from '../store/resource-store';
import type { ReleaseDiff } from './release-diff';
import type { ReleaseSnapshot } from './release-snapshot';

/**
 * Releases follow their content until adopted. A release on påseende holds a snapshot of what its
 * bindings resolve to; when a value set or code system it binds (directly, through a nested value
 * set, or through a floating binding to the latest version) gets a new version, is imported or is
 * removed, the snapshot is taken again. A refresh that changes the content is one event of the
 * release (status `uppdaterad`) with the diff; one that changes nothing records nothing. A
 * fastställd (or upphävd) release never changes.
 */

/** What set a refresh off. */
export type RefreshTrigger =
  | { kind: 'import'; format: string; file: string }
  | { kind: 'api' }
  | { kind: 'manual' }
  | { kind: 'start' }
  /** a follower took the release as its primary refreshed it */
  | { kind: 'primary'; feed: string };

/** A canonical resource that was written or removed (as the loader reports it). */
export interface ContentChange {
  resourceType: string;
  url: string;
  version?: string;
}

/** One value set's change in a refresh, as the feed and the release page show it. */
export interface RefreshedValueSet {
  url: string;
  title?: string;
  from?: { version?: string; state: string; total: number };
  to?: { version?: string; state: string; total: number };
  added: number;
  removed: number;
  renamed: number;
}

/** The note of a refresh event (the whole diff is kept as the event's detail). */
export interface RefreshNote {
  trigger: RefreshTrigger;
  /** content hashes before and after */
  from: string;
  contentHash: string;
  changeClass: string;
  valueSets: RefreshedValueSet[];
  /** when the content now needs a higher version than the release has (adoption will refuse it) */
  versionNeeded?: string;
}

export interface RefreshOutcome {
  version: string;
  status: string;
  refreshed: boolean;
  /** why nothing was refreshed: adopted, an utkast (always a live preview), not affected, unchanged */
  reason?: 'adopted' | 'utkast' | 'not-affected' | 'unchanged';
  note?: RefreshNote;
}

const bare = (canonical: string) => canonical.split('|')[0];

/**
 * Every canonical URL a snapshot's content depends on: the bound value sets, the code systems
 * their codes came from, and whatever their definitions (and the value sets they include, as the
 * store holds them now) name.
 */
export function dependenciesOf(snapshot: ReleaseSnapshot, store: ResourceStore): Set<string> {
  const urls = new Set<string>();
  const valueSetsSeen = new Set<string>();
  const visitDefinition = (definition: any) => {
    for (const part of [...(definition?.compose?.include ?? []), ...(definition?.compose?.exclude ?? [])]) {
      if (typeof part.system === 'string') urls.add(bare(part.system));
      for (const vs of part.valueSet ?? []) if (typeof vs === 'string') visitValueSet(bare(vs));
    }
  };
  const visitValueSet = (url: string) => {
    urls.add(url);
    if (valueSetsSeen.has(url)) return;
    valueSetsSeen.add(url);
    for (const stored of store.byUrl('ValueSet', url)) visitDefinition(stored.resource);
  };
  for (const vs of snapshot.valueSets) {
    visitValueSet(vs.url);
    visitDefinition(vs.definition);
    for (const cs of vs.codeSystems) urls.add(bare(cs));
  }
  return urls;
}

/** Does a change touch what the snapshot depends on? */
export function affects(changes: readonly ContentChange[], dependencies: Set<string>): boolean {
  return changes.some((c) => dependencies.has(c.url));
}

/** The per-value-set summary of a diff between two snapshots of one release. */
export function refreshedValueSets(diff: ReleaseDiff, after: ReleaseSnapshot, before: ReleaseSnapshot): RefreshedValueSet[] {
  const titleOf = (url: string) => after.valueSets.find((v) => v.url === url)?.title ?? before.valueSets.find((v) => v.url === url)?.title;
  return diff.valueSets.map((v) => ({
    url: v.url,
    ...(titleOf(v.url) ? { title: titleOf(v.url) } : {}),
    ...(v.from ? { from: v.from } : {}),
    ...(v.to ? { to: v.to } : {}),
    added: v.added.length,
    removed: v.removed.length,
    renamed: v.renamed.length,
  }));
}

/** What set a refresh off, in words (Swedish, as the feed and the pages speak). */
export function triggerText(t: RefreshTrigger): string {
  switch (t.kind) {
    case 'import':
      return `import av ${t.file} (${t.format})`;
    case 'api':
      return 'ändring genom API:t';
    case 'manual':
      return 'uppdatering på begäran';
    case 'primary':
      return `uppdatering hos primärservern (${t.feed})`;
    default:
      return 'serverns start (lagret har ändrats)';
  }
}

/** One value set's change in words: "KSI – urval ÄOH: 0.1.0 → 2025, 890 koder tillagda". */
export function valueSetChangeText(v: RefreshedValueSet): string {
  const name = v.title ?? v.url;
  const version = (x?: { version?: string }) => x?.version ?? '–';
  const parts: string[] = [];
  if (v.from?.version !== v.to?.version) parts.push(`${version(v.from)} → ${version(v.to)}`);
  if (v.added) parts.push(v.added === 1 ? '1 kod tillagd' : `${v.added} koder tillagda`);
  if (v.removed) parts.push(v.removed === 1 ? '1 kod borttagen' : `${v.removed} koder borttagna`);
  if (v.renamed) parts.push(v.renamed === 1 ? '1 ny benämning' : `${v.renamed} nya benämningar`);
  if (!parts.length && v.from?.state !== v.to?.state) parts.push(`${v.from?.state ?? '–'} → ${v.to?.state ?? '–'}`);
  return `${name}: ${parts.join(', ')}`;
}

/** Refresh outcomes as lines for an import summary or the command line (English, as those are). */
export function refreshLines(outcomes: readonly RefreshOutcome[]): string[] {
  return outcomes
    .filter((o) => o.refreshed && o.note)
    .map((o) => {
      const sets = o.note!.valueSets.map((v) => {
        const name = v.url.split('/').pop();
        const versions = v.from?.version !== v.to?.version ? ` ${v.from?.version ?? '–'} → ${v.to?.version ?? '–'}` : '';
        const counts = [v.added ? `+${v.added}` : '', v.removed ? `−${v.removed}` : '', v.renamed ? `${v.renamed} renamed` : ''].filter(Boolean).join(' ');
        return `${name}${versions}${counts ? ` (${counts} codes)` : ''}`;
      });
      const version = o.note!.versionNeeded ? `; the content now needs version ${o.note!.versionNeeded} before adoption` : '';
      return `release ${o.version} (på påseende) refreshed, content ${o.note!.contentHash}: ${sets.join(', ') || 'NIM texts'}${version}`;
    });
}
