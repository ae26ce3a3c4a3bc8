import type { NimEventRow, NimReleaseRow } from '../store/nim-store';
import { RefreshNote, RefreshedValueSet, triggerText, valueSetChangeText } from './release-refresh';
import { xmlText as xml } from '../xml-text';

/**
 * The release feed vendors poll (Atom and JSON Feed 1.1): one entry per event of a release — on
 * påseende, uppdaterad (its content refreshed while on påseende, with what changed), fastställd
 * (with effective date and change class), upphävd. Drafts are not announced.
 */

const LABEL: Record<string, string> = { paseende: 'på påseende', uppdaterad: 'uppdaterad', faststalld: 'fastställd', upphavd: 'upphävd' };

/** A refresh in words: what set it off and each value set that changed. */
export function refreshSummary(release: string, note: RefreshNote): string {
  const sets = note.valueSets.map(valueSetChangeText);
  const parts = [`Utgåva ${release} (på påseende) har uppdaterats efter ${triggerText(note.trigger)}.`];
  parts.push(sets.length ? `${sets.join('; ')}.` : 'Texterna i informationsmängderna har ändrats.');
  if (note.versionNeeded) parts.push(`Innehållet kräver nu version ${note.versionNeeded} före fastställelse.`);
  return parts.join(' ');
}

export interface FeedEntry {
  id: string;
  version: string;
  status: string;
  at: string;
  title: string;
  summary: string;
  url: string;
  packageUrl: string;
  changeClass?: string;
  effectiveFrom?: string;
  effectiveTo?: string;
  contentHash?: string;
  /** a refresh: the value sets that changed */
  valueSets?: RefreshedValueSet[];
}

export function feedEntries(events: NimEventRow[], releases: NimReleaseRow[], base: string): FeedEntry[] {
  const byVersion = new Map(releases.map((r) => [r.version, r]));
  return events
    .filter((e) => LABEL[e.status] && byVersion.has(e.release))
    .map((e) => {
      const r = byVersion.get(e.release)!;
      const note = e.note ?? {};
      const parts = e.status === 'uppdaterad' ? [refreshSummary(e.release, note)] : [`Utgåva ${e.release} är ${LABEL[e.status]}.`];
      if (note.changeClass) parts.push(`Ändringsklass: ${note.changeClass}.`);
      if (note.effectiveFrom) parts.push(`Gäller från ${note.effectiveFrom}.`);
      if (note.effectiveTo) parts.push(`Gäller till och med ${note.effectiveTo}.`);
      if (note.leadTime?.override) parts.push(`Ledtidskravet (${note.leadTime.requiredMonths} månader) åsidosattes: ${note.leadTime.override.reason}`);
      const entry: FeedEntry = {
        id: `urn:kodverk:nim-release:${e.release}:event:${e.pk}`,
        version: e.release,
        status: e.status,
        at: e.at,
        title: `${r.title}: ${LABEL[e.status]}`,
        summary: parts.join(' '),
        url: `${base}/releases/${e.release}`,
        packageUrl: `${base}/releases/${e.release}/package.tgz`,
      };
      if (note.changeClass) entry.changeClass = note.changeClass;
      if (note.effectiveFrom ?? r.effectiveFrom) entry.effectiveFrom = note.effectiveFrom ?? r.effectiveFrom;
      if (note.effectiveTo) entry.effectiveTo = note.effectiveTo;
      if (note.contentHash) entry.contentHash = note.contentHash;
      if (e.status === 'uppdaterad') entry.valueSets = note.valueSets;
      return entry;
    });
}

export function atomFeed(entries: FeedEntry[], base: string): string {
  const updated = entries[0]?.at ?? '1970-01-01T00:00:00.000Z';
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    '  <id>urn:kodverk:nim-releases</id>',
    '  <title>Kodverk: utgåvor av nationella informationsmängder</title>',
    '  <subtitle>Nationella informationsmängder med terminologibindningar: påseende, uppdatering av innehållet, fastställelse och upphävande</subtitle>',
    `  <updated>${updated}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${xml(`${base}/releases/feed.atom`)}"/>`,
    `  <link rel="alternate" type="application/json" href="${xml(`${base}/releases`)}"/>`,
    '  <author><name>Kodverk</name></author>',
  ];
  for (const e of entries) {
    lines.push(
      '  <entry>',
      `    <id>${xml(e.id)}</id>`,
      `    <title>${xml(e.title)}</title>`,
      `    <updated>${e.at}</updated>`,
      `    <link rel="alternate" type="application/json" href="${xml(e.url)}"/>`,
      `    <link rel="enclosure" type="application/gzip" href="${xml(e.packageUrl)}"/>`,
      `    <category term="${xml(e.status)}"/>`,
      `    <summary>${xml(e.summary)}</summary>`,
      '  </entry>',
    );
  }
  lines.push('</feed>');
  return lines.join('\n') + '\n';
}

export function jsonFeed(entries: FeedEntry[], base: string): unknown {
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: 'Kodverk: utgåvor av nationella informationsmängder',
    home_page_url: `${base}/releases`,
    feed_url: `${base}/releases/feed.json`,
    items: entries.map((e) => ({
      id: e.id,
      url: e.url,
      title: e.title,
      content_text: e.summary,
      date_published: e.at,
      tags: [e.status],
      attachments: [{ url: e.packageUrl, mime_type: 'application/gzip' }],
      _kodverk: { version: e.version, status: e.status, changeClass: e.changeClass, effectiveFrom: e.effectiveFrom, effectiveTo: e.effectiveTo, contentHash: e.contentHash, valueSets: e.valueSets },
    })),
  };
}
