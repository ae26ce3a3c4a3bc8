import path from 'node:path';
import zlib from 'node:zlib';
import { compareVersions } from '../terminology/versions';
import type { ResourceHead, WebQueries } from '../store/browse-queries';
import { lunr } from './swedish';

/** One entry of the catalogue: a canonical resource (all its versions) or a NIM. */
export interface CatalogueEntry {
  /** key in the index */
  ref: string;
  kind: 'CodeSystem' | 'ValueSet' | 'ConceptMap' | 'NIM';
  title: string;
  name?: string;
  url?: string;
  /** the latest version */
  version?: string;
  versions: string[];
  status?: string;
  publisher?: string;
  href: string;
  /** number of codes (code systems) */
  count?: number;
}

/** Extra entries from other parts of the server (NIMs), asked for each time the catalogue is built. */
export type CatalogueSource = () => { key: string; entries: CatalogueEntry[] };

export const PAGE_PATH: Record<string, string> = { CodeSystem: '/kodsystem/', ValueSet: '/vardemangd/', ConceptMap: '/mappning/' };

/**
 * Swedish national content: what this server's content pack and Socialstyrelsen's releases hold
 * (kodverk.se URLs, or published by Socialstyrelsen), as opposed to HL7's and other
 * international terminology.
 */
export function isNational(e: Pick<CatalogueEntry, 'url' | 'publisher'>): boolean {
  return (e.url ?? '').startsWith('https://kodverk.se/') || /socialstyrelsen/i.test(e.publisher ?? '');
}

/** The page of a stored resource. */
export function pageOf(h: Pick<ResourceHead, 'resourceType' | 'id'>): string {
  return PAGE_PATH[h.resourceType] + encodeURIComponent(h.id);
}

/** The page of a code in a stored code system (by the code system's resource id). */
export function codePageOf(csId: string, code: string): string {
  return `${PAGE_PATH.CodeSystem}${encodeURIComponent(csId)}/kod/${encodeURIComponent(code)}`;
}

type Fraga = typeof import('./katalog-fraga');
// shared with the browser, so it lives with the public files (see public/katalog-fraga.js)
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fraga: Fraga = require(path.join(__dirname, 'public', 'katalog-fraga.js'));

/**
 * The catalogue of everything the server holds, with a lunr index (Swedish stemming) built once
 * per store change. The same serialized index is served to the browser for as-you-type search.
 */
export class Catalogue {
  private cache?: { key: string; entries: CatalogueEntry[]; byRef: Map<string, CatalogueEntry>; index: lunr.Index; json?: Buffer; gzip?: Buffer };

  constructor(
    private readonly queries: WebQueries,
    private readonly changeKey: () => string,
    private readonly extra: CatalogueSource[] = [],
  ) {}

  private build(): NonNullable<Catalogue['cache']> {
    const extras = this.extra.map((s) => s());
    const key = [this.changeKey(), ...extras.map((e) => e.key)].join('/');
    if (this.cache?.key === key) return this.cache;
    const counts = this.queries.conceptCounts();
    const byUrl = new Map<string, ResourceHead[]>();
    for (const h of this.queries.heads().all) {
      const k = `${h.resourceType} ${h.url ?? h.id}`;
      byUrl.set(k, [...(byUrl.get(k) ?? []), h]);
    }
    const entries: CatalogueEntry[] = [];
    for (const rows of byUrl.values()) {
      rows.sort((a, b) => compareVersions(a.version, b.version));
      const latest = rows[rows.length - 1];
      entries.push({
        ref: `${latest.resourceType}/${latest.id}`,
        kind: latest.resourceType as CatalogueEntry['kind'],
        title: latest.title ?? latest.name ?? latest.id,
        name: latest.name,
        url: latest.url,
        version: latest.version,
        versions: rows.map((r) => r.version ?? '').filter(Boolean),
        status: latest.status,
        publisher: latest.publisher,
        href: pageOf(latest),
        count: latest.resourceType === 'CodeSystem' ? counts.get(latest.pk) : undefined,
      });
    }
    for (const e of extras) entries.push(...e.entries);
    entries.sort((a, b) => a.title.localeCompare(b.title, 'sv'));
    const index = lunr(function () {
      this.use((lunr as any).sv);
      this.ref('ref');
      this.field('title', { boost: 10 });
      this.field('name', { boost: 3 });
      this.field('tail');
      this.field('publisher');
      for (const e of entries) this.add({ ref: e.ref, title: e.title, name: splitName(e.name ?? ''), tail: (e.url ?? '').split('/').pop()?.replace(/[-_]/g, ' '), publisher: e.publisher });
    });
    this.cache = { key, entries, byRef: new Map(entries.map((e) => [e.ref, e])), index };
    return this.cache;
  }

  entries(): CatalogueEntry[] {
    return this.build().entries;
  }

  search(q: string): CatalogueEntry[] {
    const c = this.build();
    return fraga.search(lunr, c.index, q).map((r) => c.byRef.get(r.ref)!);
  }

  /** The index and the entries' display fields, for the browser (about 1 MB: gzip is offered too). */
  json(gzip = false): Buffer {
    const c = this.build();
    c.json ??= Buffer.from(JSON.stringify({ index: c.index.toJSON(), docs: Object.fromEntries(c.entries.map((e) => [e.ref, [e.title, e.href, e.kind, e.version ?? '']])) }));
    if (!gzip) return c.json;
    c.gzip ??= zlib.gzipSync(c.json);
    return c.gzip;
  }

  /** A value that changes when the catalogue does (ETag of json()). */
  version(): string {
    return this.build().key;
  }
}

/** CamelCase names as words ("AdministrativeGender" → "Administrative Gender"). */
function splitName(name: string): string {
  return name.replace(/([a-zåäö])([A-ZÅÄÖ])/g, '$1 $2');
}
