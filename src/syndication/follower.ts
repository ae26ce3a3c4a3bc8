import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Piscina from 'piscina';
import type { FollowConfig } from '../config';
import type { Logger } from '../logger';
import type { Db } from '../store/database';
import type { ResourceStore } from '../store/resource-store';
import { ArtefactMismatch } from '../store/artefact-store';
import type { SyndicationItem } from '../store/syndication-store';
import type { Nim } from '../nim';
import type { NimStatus } from '../store/nim-store';
import { PACKAGE_LIMITS, scanTgz } from '../importers/npm-package';
import { ResourceLoader } from '../importers/loader';
import { describeOrigin, feedOrigin, mayRetract } from '../store/resource-origin';
import { PACKAGE_NAME as NIM_PACKAGE, readPackage } from '../nim/release-package';
import { compiledBeside } from '../config';
import { ASF_SCHEME, NIM_STATUS_SCHEME, isRetraction } from './asf';
import { Feed, FeedEntry, FeedLink, readFeed } from './feed-reader';
import { asfTerm, errorsOf, primaryLink, validateFeed } from './feed-validator';
import type { SyndicationPublisher } from './publisher';
import { unpackZip } from './rf2-archive';
import type { ImportOutcome, ImportTask } from './import-worker';

/**
 * A follower (read replica): reads one or more syndication feeds (Kodverk's own or any
 * IG-conformant publisher's), downloads what it does not hold — in dependency order, each artefact
 * checked against the length and sha256 its entry announces — and takes each in through the
 * importers (one transaction each, in a worker thread so reads go on), a NIM release package as
 * the primary published it. Retractions remove what they name. It polls on an interval, backs off
 * when a feed cannot be read, and keeps serving what it holds meanwhile. What it took in it
 * publishes again in its own feed (a follower of a follower).
 */

export interface FollowerStatus {
  feeds: string[];
  primary: string;
  /** a sync completed since this process started */
  synced: boolean;
  /** serve traffic: synced, or a previous sync's content while the feeds cannot be reached */
  ready: boolean;
  lastSuccess?: string;
  lastAttempt?: string;
  lastError?: string;
  consecutiveFailures: number;
  failuresTotal: number;
  syncsTotal: number;
  entriesTaken: number;
  /** seconds since the follower last knew it held everything its feeds offered */
  lagSeconds?: number;
  /** the next poll, ISO time */
  nextPoll?: string;
}

export interface SyncReport {
  taken: string[];
  retracted: string[];
  skipped: { entry: string; reason: string }[];
  failed: { entry: string; reason: string }[];
}

interface Planned {
  entry: FeedEntry;
  feed: Feed;
  feedUrl: string;
  term: string;
  civ: string;
  link?: FeedLink;
  /** what decides whether the held copy is this one: announced hash and extra categories */
  key: string;
}

const LAST_SUCCESS_KEY = 'follow-last-success';
/** Which kinds are taken in first when entries name no dependencies. */
const RANK: Record<string, number> = { SCT_RF2_SNAPSHOT: 0, SCT_RF2_ALL: 0, FHIR_CodeSystem: 1, FHIR_ValueSet: 2, FHIR_ConceptMap: 3, FHIR_Bundle: 4, FHIR_Package: 5 };
const FEED_TIMEOUT_MS = 30_000;
const DOWNLOAD_TIMEOUT_MS = 60 * 60_000;
/** Redirects followed to an artefact (as browsers and curl bound them, fewer: a feed moves rarely). */
const MAX_ARTEFACT_REDIRECTS = 5;
// the largest Snomed CT release archive taken from a feed (an International Edition is under 1 GB)
const MAX_RF2_ARTEFACT_BYTES = 8 * 1024 ** 3;

/**
 * Is `u` under an allow-list entry: the same origin, and the entry's path or below it, segment by
 * segment (a text prefix let 'https://cdn.example.se' allow 'https://cdn.example.se.evil.net').
 */
export function underPrefix(u: URL, prefix: string): boolean {
  let p: URL;
  try {
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (p.origin !== u.origin) return false;
  const base = p.pathname.endsWith('/') ? p.pathname : p.pathname + '/';
  return u.pathname === p.pathname || u.pathname.startsWith(base);
}

export interface FollowerDeps {
  dbPath: string;
  db: Db;
  store: ResourceStore;
  nim: Nim;
  publisher: SyndicationPublisher;
  config: FollowConfig;
  logger: Logger;
}

/** Dependencies first (those in the same plan), then by kind, then oldest first. */
export function dependencyOrder<T extends { civ: string; term: string; entry: { updated?: string; dependencies: string[] } }>(plan: T[]): T[] {
  const byCiv = new Map(plan.map((p) => [p.civ, p]));
  const waiting = new Map(plan.map((p) => [p.civ, new Set(p.entry.dependencies.filter((d) => d !== p.civ && byCiv.has(d)))]));
  const out: T[] = [];
  const order = (a: T, b: T) => (RANK[a.term] ?? 9) - (RANK[b.term] ?? 9) || (a.entry.updated ?? '').localeCompare(b.entry.updated ?? '') || a.civ.localeCompare(b.civ);
  while (waiting.size) {
    let ready = plan.filter((p) => waiting.get(p.civ)?.size === 0);
    // a cycle: take the lowest-ranked of what is left rather than stall
    if (!ready.length) ready = plan.filter((p) => waiting.has(p.civ));
    const next = ready.sort(order)[0];
    out.push(next);
    waiting.delete(next.civ);
    for (const deps of waiting.values()) deps.delete(next.civ);
  }
  return out;
}

export class Follower {
  private readonly state: { etag?: string; feed?: Feed }[];
  private timer?: NodeJS.Timeout;
  private running?: Promise<SyncReport | undefined>;
  private stopped = false;
  private abort = new AbortController();
  private readonly warned = new Set<string>();
  private pool?: Piscina;
  readonly status: FollowerStatus;

  constructor(private readonly deps: FollowerDeps) {
    this.state = deps.config.feeds.map(() => ({}));
    this.status = { feeds: deps.config.feeds, primary: deps.config.primaryUrl, synced: false, ready: false, consecutiveFailures: 0, failuresTotal: 0, syncsTotal: 0, entriesTaken: 0 };
    const previous = deps.store.getMeta(LAST_SUCCESS_KEY);
    if (previous) this.status.lastSuccess = previous;
  }

  /** Starts polling: at once, then every interval (backing off after failures). */
  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
    await this.pool?.destroy();
    this.pool = undefined;
  }

  /** Seconds since the follower last held everything its feeds offered (undefined: never). */
  lagSeconds(now = Date.now()): number | undefined {
    return this.status.lastSuccess ? Math.max(0, (now - Date.parse(this.status.lastSuccess)) / 1000) : undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.status.nextPoll = new Date(Date.now() + ms).toISOString();
    this.timer = setTimeout(() => {
      this.running = this.syncOnce().finally(() => {
        this.running = undefined;
        this.schedule(this.nextDelay());
      });
    }, ms);
    this.timer.unref?.();
  }

  /** The interval when all is well; after failures it doubles up to the longest back-off (±10 %). */
  private nextDelay(): number {
    const { intervalMs, maxBackoffMs } = this.deps.config;
    const base = this.status.consecutiveFailures ? Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(20, this.status.consecutiveFailures)) : intervalMs;
    return Math.round(base * (0.9 + Math.random() * 0.2));
  }

  /** One pass over every feed: what is new is taken in. Never throws; the status says how it went. */
  async syncOnce(): Promise<SyncReport | undefined> {
    if (this.stopped) return undefined;
    const report: SyncReport = { taken: [], retracted: [], skipped: [], failed: [] };
    const started = new Date().toISOString();
    this.status.lastAttempt = started;
    try {
      const plans: Planned[] = [];
      for (let i = 0; i < this.deps.config.feeds.length; i++) plans.push(...(await this.plan(i, report)));
      await this.apply(plans, report);
      if (report.failed.length) throw new Error(report.failed.map((f) => `${f.entry}: ${f.reason}`).join('; '));
      this.status.synced = true;
      this.status.ready = true;
      this.status.lastSuccess = started;
      this.status.consecutiveFailures = 0;
      this.status.lastError = undefined;
      this.deps.store.setMeta(LAST_SUCCESS_KEY, started);
      if (report.taken.length || report.retracted.length) this.deps.logger.info({ taken: report.taken.length, retracted: report.retracted.length, skipped: report.skipped.length }, 'follower: synchronised with the feed');
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.status.consecutiveFailures++;
      this.status.failuresTotal++;
      this.status.lastError = message;
      // content from an earlier sync is served while the feed cannot be read
      if (!this.status.synced && this.status.lastSuccess) this.status.ready = true;
      this.deps.logger.warn({ failures: this.status.consecutiveFailures, error: message }, 'follower: synchronisation failed; serving what is held');
    } finally {
      this.status.syncsTotal++;
      this.status.lagSeconds = this.lagSeconds();
      await this.idlePool();
    }
    return report;
  }

  // ---- reading the feed ----

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.deps.config.token ? { Authorization: `Bearer ${this.deps.config.token}` } : {}), ...extra };
  }

  private async plan(index: number, report: SyncReport): Promise<Planned[]> {
    const url = this.deps.config.feeds[index];
    const state = this.state[index];
    const res = await fetch(url, { headers: this.headers({ Accept: 'application/atom+xml, application/xml;q=0.9', ...(state.etag && state.feed ? { 'If-None-Match': state.etag } : {}) }), signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(FEED_TIMEOUT_MS)]) });
    let feed: Feed;
    if (res.status === 304 && state.feed) {
      feed = state.feed;
    } else {
      if (!res.ok) throw new Error(`the feed ${url} answered ${res.status}`);
      feed = readFeed(await res.text());
      const problems = errorsOf(validateFeed(feed)).filter((p) => p.where === 'feed');
      if (problems.length) throw new Error(`the feed ${url} does not conform: ${problems.map((p) => p.text).join('; ')}`);
      state.feed = feed;
      state.etag = res.headers.get('etag') ?? undefined;
    }
    const badEntries = new Map<string, string>();
    for (const p of errorsOf(validateFeed(feed))) if (p.where !== 'feed') badEntries.set(p.where, p.text);
    const plans: Planned[] = [];
    feed.entries.forEach((entry, i) => {
      const where = entry.id || `entry ${i + 1}`;
      const term = asfTerm(entry) ?? '';
      const civ = entry.contentItemVersion ?? '';
      const skip = (reason: string) => {
        report.skipped.push({ entry: civ || where, reason });
        if (!this.warned.has(`${where} ${reason}`)) {
          this.warned.add(`${where} ${reason}`);
          this.deps.logger.warn({ feed: url, entry: civ || where, reason }, 'follower: entry left out');
        }
      };
      if (badEntries.has(where)) return skip(`does not conform: ${badEntries.get(where)}`);
      if (!this.accepts(term)) return; // a kind this follower does not take (allow-list)
      const link = isRetraction(term) ? undefined : primaryLink(entry);
      if (!isRetraction(term)) {
        if (!link?.href) return skip('no link rel="alternate"');
        if (!link.sha256 && !link.md5) return skip('no hash to check the artefact against');
        if (!this.allowed(link.href, url)) return skip(`the artefact ${link.href} is not on an allowed origin (KODVERK_FOLLOW_ALLOW)`);
      }
      const extras = entry.categories.filter((c) => c.scheme !== ASF_SCHEME).map((c) => `${c.scheme}#${c.term}`).sort();
      const key = [link?.sha256 ? `sha256:${link.sha256}` : link?.md5 ? `md5:${link.md5}` : 'retracted', ...extras].join(' ');
      plans.push({ entry, feed, feedUrl: url, term, civ, link, key });
    });
    return plans;
  }

  /** The allow-list of kinds: the configured terms; retractions of FHIR kinds when any FHIR kind is taken. */
  private accepts(term: string): boolean {
    const kinds = this.deps.config.categories;
    if (isRetraction(term)) return term.startsWith('FHIR_') && kinds.some((k) => k.startsWith('FHIR_'));
    return kinds.includes(term);
  }

  private allowed(href: string, feedUrl: string): boolean {
    let u: URL;
    try {
      u = new URL(href);
    } catch {
      return false;
    }
    if (!['http:', 'https:'].includes(u.protocol)) return false;
    return u.origin === new URL(feedUrl).origin || this.deps.config.allow.some((prefix) => underPrefix(u, prefix));
  }

  // ---- taking entries in ----

  private held(p: Planned): SyndicationItem | undefined {
    return this.deps.publisher.items.get(p.civ);
  }

  private async apply(plans: Planned[], report: SyncReport): Promise<void> {
    // the first feed to offer a content item version is the one it is taken from
    const unique = new Map<string, Planned>();
    for (const p of plans) if (!unique.has(p.civ)) unique.set(p.civ, p);
    const needed = [...unique.values()].filter((p) => {
      const held = this.held(p);
      if (isRetraction(p.term)) return !held || !isRetraction(held.category);
      return !held || isRetraction(held.category) || held.originKey !== p.key || !this.deps.publisher.artefacts.has(held.artefact?.sha256 ?? '');
    });
    if (!needed.length) return;
    const failed = new Set<string>();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-follow-'));
    try {
      for (const p of dependencyOrder(needed.filter((x) => !isRetraction(x.term)))) {
        if (this.stopped) throw new Error('stopping');
        const missing = p.entry.dependencies.find((d) => failed.has(d));
        if (missing) {
          failed.add(p.civ);
          report.failed.push({ entry: p.civ, reason: `needs ${missing}, which could not be taken in` });
          continue;
        }
        try {
          await this.takeIn(p, work);
          report.taken.push(p.civ);
          this.status.entriesTaken++;
        } catch (e) {
          failed.add(p.civ);
          report.failed.push({ entry: p.civ, reason: e instanceof Error ? e.message : String(e) });
        }
      }
      // withdrawals after additions: a reader never finds a gap where a replacement is coming
      for (const p of needed.filter((x) => isRetraction(x.term))) {
        try {
          this.retract(p, report);
          report.retracted.push(p.civ);
        } catch (e) {
          report.failed.push({ entry: p.civ, reason: e instanceof Error ? e.message : String(e) });
        }
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }

  /**
   * The artefact's response. Redirects are followed here, at most MAX_ARTEFACT_REDIRECTS, each to
   * an address this follower may fetch from (the feed's origin or KODVERK_FOLLOW_ALLOW), and the
   * token goes only to the origin the feed named: a redirect must not reach the inside network
   * (SSRF).
   */
  private async fetchArtefact(p: Planned): Promise<Response> {
    const first = new URL(p.link!.href!);
    let url = first;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS)]);
    for (let hop = 0; ; hop++) {
      const res = await fetch(url, { headers: url.origin === first.origin ? this.headers() : {}, redirect: 'manual', signal });
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (!location) return res;
      await res.body?.cancel();
      const next = new URL(location, url);
      if (hop >= MAX_ARTEFACT_REDIRECTS) throw new Error(`the artefact ${first.href} redirects more than ${MAX_ARTEFACT_REDIRECTS} times`);
      if (!this.allowed(next.href, p.feedUrl)) throw new Error(`the artefact ${first.href} redirects to ${next.origin}, not an allowed origin (KODVERK_FOLLOW_ALLOW)`);
      url = next;
    }
  }

  /** Downloads the entry's artefact into the artefact store, checked against what the entry announces. */
  private async download(p: Planned): Promise<{ sha256: string; length: number }> {
    const link = p.link!;
    const res = await this.fetchArtefact(p);
    if (!res.ok || !res.body) throw new Error(`the artefact ${link.href} answered ${res.status}`);
    const expected = { length: link.length !== undefined ? Number(link.length) : undefined, sha256: link.sha256 };
    // a package is unpacked within PACKAGE_LIMITS anyway; a Snomed CT release is large, but not endless
    const maxLength = p.term.startsWith('SCT_RF2_') ? MAX_RF2_ARTEFACT_BYTES : PACKAGE_LIMITS.bytes;
    try {
      const ref = await this.deps.publisher.artefacts.putStream(Readable.fromWeb(res.body as any), expected, maxLength);
      if (!link.sha256 && link.md5) {
        const md5 = crypto.createHash('md5').update(this.deps.publisher.artefacts.read(ref.sha256)).digest('hex');
        if (md5 !== link.md5.toLowerCase()) throw new ArtefactMismatch(`md5 ${md5}, ${link.md5} announced`);
      }
      return ref;
    } catch (e) {
      if (e instanceof ArtefactMismatch) throw new Error(`the artefact of ${p.civ} is not what the feed announced (${e.message}); not taken in`);
      throw e;
    }
  }

  private async takeIn(p: Planned, work: string): Promise<void> {
    const ref = await this.download(p);
    const file = this.deps.publisher.artefacts.pathOf(ref.sha256);
    const fileName = path.basename(new URL(p.link!.href!).pathname) || `${ref.sha256}`;
    if (p.term.startsWith('SCT_RF2_')) {
      const dir = path.join(work, ref.sha256);
      await unpackZip(file, dir);
      const uri: Record<string, string> = /^http:\/\/snomed\.info\/x?sct\/\d+\/version\/\d{8}$/.test(p.civ) ? { uri: p.civ } : {};
      await this.importFile({ format: 'rf2', input: dir, options: uri, origin: feedOrigin(p.feedUrl) });
    } else if (p.term === 'FHIR_Package' && (await this.isNimRelease(file))) {
      const snapshot = await readPackage(fs.readFileSync(file));
      const status = (p.entry.categories.find((c) => c.scheme === NIM_STATUS_SCHEME)?.term ?? snapshot.status) as NimStatus;
      this.deps.nim.releases.mirrorSnapshot(snapshot, status, p.entry.updated ?? new Date().toISOString(), p.feedUrl);
    } else {
      // the FHIR importer reads a package by its .tgz name, a resource or Bundle by .json
      const link = path.join(work, `${ref.sha256}-${fileName.replace(/\.(tgz|tar\.gz|json)$/, '')}${p.term === 'FHIR_Package' ? '.tgz' : '.json'}`);
      fs.symlinkSync(file, link);
      await this.importFile({ format: 'fhir', input: link, options: {}, origin: feedOrigin(p.feedUrl) });
    }
    this.record(p, { mediaType: p.link!.type ?? 'application/octet-stream', fileName, ...ref });
  }

  private async isNimRelease(file: string): Promise<boolean> {
    let manifest: Buffer | undefined;
    // only the manifest is kept; the rest is read within the package limits and let go
    await scanTgz(fs.createReadStream(file), (p) => (p === 'package/package.json' ? (b) => (manifest = b) : undefined));
    try {
      return !!manifest && JSON.parse(manifest.toString('utf8')).name === NIM_PACKAGE;
    } catch {
      return false;
    }
  }

  private async importFile(task: Omit<ImportTask, 'dbPath'>): Promise<void> {
    this.pool ??= new Piscina({ filename: compiledBeside(__filename, 'import-worker'), minThreads: 0, maxThreads: 1, idleTimeout: 5_000 });
    const outcome: ImportOutcome = await this.pool.run({ ...task, dbPath: this.deps.dbPath });
    if (!outcome.ok) throw new Error(`${outcome.refused ? 'refused by the importer' : 'import failed'}: ${outcome.message}`);
    this.deps.store.touch();
  }

  private async idlePool(): Promise<void> {
    // the import thread (and a Snomed CT import's memory) goes away between syncs
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  /**
   * A retraction removes the resource(s) of that url|version, when the same feed delivered them;
   * what this instance or another feed put here stays (named in the report). It is published on.
   */
  private retract(p: Planned, report: SyncReport): void {
    const type = /^FHIR_(\w+)_RETRACT$/.exec(p.term)?.[1];
    const cut = p.civ.lastIndexOf('|');
    if (type && cut > 0) {
      const url = p.civ.slice(0, cut);
      const version = p.civ.slice(cut + 1);
      const origin = feedOrigin(p.feedUrl);
      const held = this.deps.store.byUrl(type, url).filter((x) => x.version === version);
      const others = held.find((r) => !mayRetract(origin, r.origin));
      // not recorded either: the catalogue keeps the entry of the source that holds it
      if (others) return void report.skipped.push({ entry: p.civ, reason: `${type}/${others.id} is held here from ${describeOrigin(others.origin)}, not withdrawn by ${describeOrigin(origin)}` });
      const loader = new ResourceLoader(this.deps.db, this.deps.store);
      for (const r of held) loader.remove(type, r.id);
    }
    this.record(p, undefined);
  }

  /** What was taken in enters this follower's own catalogue, with the feed it came from. */
  private record(p: Planned, artefact: SyndicationItem['artefact']): void {
    const e = p.entry;
    this.deps.publisher.items.put({
      contentItemVersion: p.civ,
      contentItemIdentifier: e.contentItemIdentifier ?? p.civ,
      category: p.term,
      entryId: e.id ?? `urn:uuid:${crypto.randomUUID()}`,
      title: e.title ?? p.civ,
      summary: e.summary,
      rights: e.rights,
      author: e.author,
      published: e.published,
      updated: e.updated ?? new Date().toISOString(),
      fhirVersion: e.fhirVersion,
      artefact,
      permissions: this.deps.publisher.permissionsFor(e.contentItemIdentifier ?? p.civ, e.permissions),
      dependencies: e.dependencies,
      extraCategories: e.categories.filter((c) => c.scheme !== ASF_SCHEME && c.scheme && c.term).map((c) => ({ scheme: c.scheme!, term: c.term!, label: c.label })),
      origin: 'mirror',
      originKey: p.key,
      // an entry keeps the feed it was first published in
      source: e.source?.id ? { id: e.source.id, title: e.source.title, updated: e.source.updated, link: e.source.link } : { id: p.feed.id ?? p.feedUrl, title: p.feed.title, updated: p.feed.updated, link: p.feed.selfLink ?? p.feedUrl },
    });
  }
}

