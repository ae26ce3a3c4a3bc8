import type { NimCommentRow, NimModelRow, NimReleaseRow, NimStatus, NimStore } from '../store/nim-store';
import type { ResourceStore } from '../store/resource-store';
import { LOCAL, Origin, describeOrigin, feedOrigin, heldElsewhere, mayReplace } from '../store/resource-origin';
import { BindingResolver } from './binding-resolver';
import { conflict, invalid, notFound, refusePersonalData, ruleBroken } from './errors';
import { EXT } from './extensions';
import { checkLeadTime, dayBefore } from './lead-time';
import { fromStructureDefinition } from './nim-model';
import type { NimModels } from './nim-models';
import { ReleaseDiff, diffReleases } from './release-diff';
import { ContentChange, RefreshNote, RefreshOutcome, RefreshTrigger, affects, dependenciesOf, refreshedValueSets } from './release-refresh';
import {
  ChangeClass,
  LeadTimeRecord,
  ReleaseSnapshot,
  announcedClass,
  buildSnapshot,
  bump,
  canonicalJson,
  compareSemver,
  contentHash,
  isSemver,
  maxClass,
  today,
} from './release-snapshot';

/** What a release is, as listed and as its manifest shows it. */
export type ReleaseSummary = Pick<NimReleaseRow, 'version' | 'title' | 'status' | 'effectiveFrom' | 'effectiveTo' | 'contentHash'> & {
  changeClass?: ChangeClass;
  previousVersion?: string;
  nims: { url: string; version: string; title: string; status: NimStatus }[];
};

export interface TransitionOptions {
  effectiveFrom?: string;
  effectiveTo?: string;
  /** sets the lead-time rule aside; the reason is recorded with the release */
  overrideLeadTime?: string;
  /** the adoption date (today unless given; the seed and tests set it) */
  on?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ADOPTED: readonly NimStatus[] = ['faststalld', 'upphavd'];

/** A calendar day, YYYY-MM-DD, that exists. */
export function isDay(v: unknown): v is string {
  if (typeof v !== 'string' || !DATE.test(v)) return false;
  // Date.parse rolls 2027-02-30 over to March rather than refusing it: the day exists only
  // when the calendar gives back the same year, month and day.
  const [y, m, d] = v.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

function checkDate(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isDay(v)) throw invalid(`${where} must be a date (YYYY-MM-DD)`, where);
  return v;
}

/**
 * NimRelease workflows: drafts (utkast) name the NIM versions they will hold; påseende takes a
 * snapshot for review and comments; fastställd takes the final, immutable snapshot (after the
 * version and lead-time rules); upphävd repeals it. Every step is one transaction.
 */
export class NimReleases {
  constructor(
    private readonly store: NimStore,
    private readonly models: NimModels,
    private readonly resources: ResourceStore,
  ) {}

  /** Every release, newest version first. */
  list(): NimReleaseRow[] {
    return this.store.releases().sort((a, b) => compareSemver(b.version, a.version));
  }

  get(version: string): NimReleaseRow {
    const r = this.store.release(version);
    if (!r) throw notFound(`No release ${version}`);
    return r;
  }

  /** The latest adopted release other than `except` (the one a new release is compared with). */
  previousAdopted(except?: NimReleaseRow): NimReleaseRow | undefined {
    return this.list().find((r) => ADOPTED.includes(r.status) && r.pk !== except?.pk && (!except || compareSemver(r.version, except.version) < 0));
  }

  /** The stored snapshot, or (for an utkast) a preview of what it would publish now. */
  snapshotOf(release: NimReleaseRow): ReleaseSnapshot {
    if (release.snapshot) return JSON.parse(release.snapshot);
    const previous = this.previousAdopted(release);
    return buildSnapshot(
      { version: release.version, title: release.title, status: 'paseende', date: today(), effectiveFrom: release.effectiveFrom, previousVersion: previous?.version, nims: this.store.members(release.pk) },
      new BindingResolver(this.resources),
    );
  }

  summary(release: NimReleaseRow): ReleaseSummary {
    const snap = release.snapshot ? (JSON.parse(release.snapshot) as ReleaseSnapshot) : undefined;
    const nims = snap ? snap.nims : this.store.members(release.pk);
    const out: ReleaseSummary = {
      version: release.version,
      title: release.title,
      status: release.status,
      nims: nims.map((n) => ({ url: n.url, version: n.version, title: n.title, status: n.status })),
    };
    if (release.effectiveFrom) out.effectiveFrom = release.effectiveFrom;
    if (release.effectiveTo) out.effectiveTo = release.effectiveTo;
    if (release.contentHash) out.contentHash = release.contentHash;
    if (snap) out.changeClass = snap.changeClass;
    if (snap?.previousVersion) out.previousVersion = snap.previousVersion;
    return out;
  }

  /**
   * The manifest vendors read: status and dates, content hash, the NIM versions, every bound
   * value set with its resolved version and state (codes, or why none yet), the code-system
   * versions and the binding index. An utkast shows a preview resolved now.
   */
  manifest(release: NimReleaseRow): Record<string, unknown> {
    const snap = this.snapshotOf(release);
    return {
      ...this.summary(release),
      ...(release.snapshot ? {} : { preview: true, changeClass: this.previewClass(release, snap) }),
      date: snap.date,
      ...(snap.leadTime ? { leadTime: snap.leadTime } : {}),
      nims: snap.nims.map((n) => ({ url: n.url, version: n.version, title: n.title, status: n.status, resource: `StructureDefinition/${n.resource.id}` })),
      valueSets: snap.valueSets.map(({ codes: _c, definition: _d, ...vs }) => vs),
      codeSystems: snap.codeSystems,
      bindings: snap.bindings,
      comments: this.store.comments(release.pk).length,
      history: this.history(release),
    };
  }

  /** The release's events, newest first: lifecycle steps and refreshes (with what changed). */
  history(release: NimReleaseRow): { id: number; at: string; event: string; note?: unknown }[] {
    return this.store.events(1000, release.pk).map((e) => ({ id: e.pk, at: e.at, event: e.status, ...(e.note !== undefined ? { note: e.note } : {}) }));
  }

  private previewClass(release: NimReleaseRow, snap: ReleaseSnapshot): ChangeClass {
    return this.classAgainst(this.previousAdopted(release), snap);
  }

  /** The change class of a snapshot against an adopted release (everything is new without one). */
  private classAgainst(previous: NimReleaseRow | undefined, snap: ReleaseSnapshot): ChangeClass {
    return diffReleases(previous ? JSON.parse(previous.snapshot!) : undefined, snap).changeClass;
  }

  // ---- drafts ----

  /** Members by name (the NIM's working version, else its latest adopted) or name|version. */
  private resolveMembers(nims: unknown): NimModelRow[] {
    if (nims === undefined) {
      return this.models
        .list()
        .map((n) => this.models.get(n.name))
        .filter((m) => m.status !== 'upphavd');
    }
    if (!Array.isArray(nims) || nims.some((n) => typeof n !== 'string')) throw invalid('nims must be a list of NIM names (name or name|version)', 'nims');
    const rows = nims.map((n: string) => {
      const [name, version] = n.replace(/^nim-/, '').split('|');
      return this.models.get(name, version);
    });
    const names = rows.map((r) => r.name);
    if (new Set(names).size !== names.length) throw invalid('A release holds one version of each NIM', 'nims');
    return rows;
  }

  create(input: { version?: unknown; title?: unknown; effectiveFrom?: unknown; effectiveTo?: unknown; nims?: unknown }): NimReleaseRow {
    const members = this.resolveMembers(input.nims);
    const effectiveFrom = checkDate(input.effectiveFrom, 'effectiveFrom');
    const effectiveTo = checkDate(input.effectiveTo, 'effectiveTo');
    return this.store.transaction(() => {
      let version = input.version;
      if (version === undefined) {
        // propose the version the content needs now; påseende checks it again
        const previous = this.previousAdopted();
        const preview = buildSnapshot({ version: '0.0.0', title: '', status: 'paseende', date: today(), nims: members }, new BindingResolver(this.resources));
        version = bump(previous?.version, this.classAgainst(previous, preview));
      }
      if (typeof version !== 'string' || !isSemver(version)) throw invalid(`version must be a semantic version (e.g. 1.2.0), not '${String(version)}'`, 'version');
      if (this.store.release(version)) throw conflict(`Release ${version} exists`);
      const title = input.title === undefined ? `Utgåva ${version}` : String(input.title);
      const row = this.store.insertRelease({ version, title, effectiveFrom, effectiveTo });
      this.store.setMembers(row.pk, members.map((m) => m.pk));
      return row;
    });
  }

  /** Changes a draft: title, version, effective dates, members. */
  update(version: string, input: { version?: unknown; title?: unknown; effectiveFrom?: unknown; effectiveTo?: unknown; nims?: unknown }): NimReleaseRow {
    const row = this.get(version);
    this.requireDraft(row);
    return this.store.transaction(() => {
      if (input.nims !== undefined) this.store.setMembers(row.pk, this.resolveMembers(input.nims).map((m) => m.pk));
      const changes: Parameters<NimStore['updateRelease']>[1] = {};
      if (input.version !== undefined && input.version !== version) {
        if (typeof input.version !== 'string' || !isSemver(input.version)) throw invalid(`version must be a semantic version, not '${String(input.version)}'`, 'version');
        if (this.store.release(input.version)) throw conflict(`Release ${input.version} exists`);
        changes.version = input.version;
      }
      if (input.title !== undefined) changes.title = String(input.title);
      if (input.effectiveFrom !== undefined) changes.effectiveFrom = checkDate(input.effectiveFrom, 'effectiveFrom') ?? null;
      if (input.effectiveTo !== undefined) changes.effectiveTo = checkDate(input.effectiveTo, 'effectiveTo') ?? null;
      return this.store.updateRelease(row.pk, changes);
    });
  }

  delete(version: string): void {
    const row = this.get(version);
    this.requireDraft(row);
    this.store.deleteRelease(row.pk);
  }

  private requireDraft(row: NimReleaseRow): void {
    if (row.status === 'utkast') return;
    if (ADOPTED.includes(row.status)) throw conflict(`Release ${row.version} is ${row.status}: an adopted release cannot be changed`);
    throw conflict(`Release ${row.version} is on påseende; move it back to utkast to change it`);
  }

  // ---- lifecycle ----

  transition(version: string, to: unknown, options: TransitionOptions = {}): NimReleaseRow {
    const row = this.get(version);
    const from = row.status;
    const allowed: Record<NimStatus, NimStatus[]> = { utkast: ['paseende'], paseende: ['utkast', 'faststalld'], faststalld: ['upphavd'], upphavd: [] };
    if (typeof to !== 'string' || !allowed[from].includes(to as NimStatus)) {
      const next = allowed[from];
      throw conflict(`Release ${version} is ${from}; it can move to ${next.length ? next.join(' or ') : 'no other state'}, not ${String(to)}`);
    }
    if (options.overrideLeadTime !== undefined) refusePersonalData(options.overrideLeadTime, 'overrideLeadTime');
    return this.store.transaction(() => {
      switch (to as NimStatus) {
        case 'paseende':
          return this.toReview(row);
        case 'utkast':
          return this.backToDraft(row);
        case 'faststalld':
          return this.adopt(row, options);
        default:
          return this.repeal(row, options);
      }
    });
  }

  /**
   * The change class of a snapshot against the previous adopted release, and the check that the
   * release's version (and each changed NIM's) announces at least that much.
   */
  private classify(row: NimReleaseRow, snapshot: ReleaseSnapshot): { diff: ReleaseDiff; previous?: NimReleaseRow } {
    const previous = this.previousAdopted(row);
    const diff = diffReleases(previous ? JSON.parse(previous.snapshot!) : undefined, snapshot);
    if (previous) {
      if (compareSemver(row.version, previous.version) <= 0) throw ruleBroken(`Release ${row.version} must have a version after the adopted ${previous.version}`, 'version');
      const required = bump(previous.version, diff.changeClass);
      if (compareSemver(row.version, required) < 0) {
        throw ruleBroken(
          `Release ${row.version} makes a ${diff.changeClass} change against ${previous.version} (${diff.reasons.slice(0, 3).map((r) => r.text).join('; ')}) and needs version ${required} or later; renumber it while it is an utkast`,
          'version',
        );
      }
    }
    for (const n of diff.nims.changed) {
      if (n.fromVersion === n.toVersion) throw ruleBroken(`NIM ${n.title} changed (${n.changeClass}) but kept version ${n.toVersion}; give it a new version`);
      if (compareSemver(n.toVersion, bump(n.fromVersion, n.changeClass)) < 0) {
        throw ruleBroken(`NIM ${n.title} makes a ${n.changeClass} change and needs version ${bump(n.fromVersion, n.changeClass)} or later, not ${n.toVersion}`);
      }
    }
    return { diff, previous };
  }

  private storeSnapshot(row: NimReleaseRow, snapshot: ReleaseSnapshot, changes: Parameters<NimStore['updateRelease']>[1]): NimReleaseRow {
    const updated = this.store.updateRelease(row.pk, { ...changes, snapshot: canonicalJson(snapshot), contentHash: contentHash(snapshot) });
    this.store.replaceCodes(
      row.pk,
      snapshot.valueSets.flatMap((vs) => vs.codes.map((c) => ({ valueSet: vs.key, system: c.system, code: c.code, display: c.display, inactive: !!c.inactive }))),
    );
    return updated;
  }

  private toReview(row: NimReleaseRow): NimReleaseRow {
    const members = this.store.members(row.pk);
    if (members.length === 0) throw ruleBroken(`Release ${row.version} holds no NIM`);
    for (const m of members) {
      if (m.status === 'upphavd') throw ruleBroken(`NIM ${m.name} ${m.version} is upphävd and cannot be released again`);
      const other = this.store.releasesWith(m.pk).find((r) => r.pk !== row.pk && r.status === 'paseende');
      if (m.status === 'paseende' || other) throw conflict(`NIM ${m.name} ${m.version} is already on påseende in release ${other?.version ?? '?'}`);
    }
    const reviewed = members.map((m) => (m.status === 'utkast' ? this.models.setLifecycle(m, 'paseende') : m));
    const resolver = new BindingResolver(this.resources);
    const input = { version: row.version, title: row.title, status: 'paseende' as const, date: today(), effectiveFrom: row.effectiveFrom, nims: reviewed };
    const { diff, previous } = this.classify(row, buildSnapshot(input, resolver));
    const snapshot = buildSnapshot({ ...input, previousVersion: previous?.version, changeClass: diff.changeClass }, resolver);
    const updated = this.storeSnapshot(row, snapshot, { status: 'paseende' });
    this.store.addEvent(row.pk, 'paseende', { changeClass: diff.changeClass, contentHash: updated.contentHash });
    return updated;
  }

  private backToDraft(row: NimReleaseRow): NimReleaseRow {
    for (const m of this.store.members(row.pk)) if (m.status === 'paseende') this.models.setLifecycle(m, 'utkast');
    this.store.replaceCodes(row.pk, []);
    const updated = this.store.updateRelease(row.pk, { status: 'utkast', snapshot: null, contentHash: null });
    this.store.addEvent(row.pk, 'utkast', { note: 'tillbaka till utkast för revidering' });
    return updated;
  }

  private adopt(row: NimReleaseRow, options: TransitionOptions): NimReleaseRow {
    const effectiveFrom = checkDate(options.effectiveFrom, 'effectiveFrom') ?? row.effectiveFrom;
    if (!effectiveFrom) throw ruleBroken(`Release ${row.version} needs an effective date (effectiveFrom) to be adopted`, 'effectiveFrom');
    const on = checkDate(options.on, 'on') ?? today();
    const members = this.store.members(row.pk);
    const resolver = new BindingResolver(this.resources);
    // classify with the content as it will be adopted (floating bindings resolved now)
    const preview = buildSnapshot({ version: row.version, title: row.title, status: 'faststalld', date: on, effectiveFrom, nims: members }, resolver);
    const { diff, previous } = this.classify(row, preview);
    // the lead time a vendor gets follows what the version announces, never less than the diff
    const changeClass = previous ? maxClass(diff.changeClass, announcedClass(previous.version, row.version)) : diff.changeClass;
    const leadTime: LeadTimeRecord = checkLeadTime(changeClass, on, effectiveFrom);
    if (!leadTime.satisfied) {
      if (!options.overrideLeadTime?.trim()) {
        throw ruleBroken(
          `Release ${row.version} is a ${changeClass} change: vendors need ${leadTime.requiredMonths} months, so it can take effect ${leadTime.earliestEffective} at the earliest, not ${effectiveFrom}. Give a reason (overrideLeadTime) to adopt it anyway`,
          'effectiveFrom',
        );
      }
      leadTime.override = { reason: options.overrideLeadTime.trim() };
    }
    const adopted = members.map((m) => {
      if (m.status === 'faststalld') return m;
      // the version it replaces stays in force until the day before
      const replaced = this.models.latestAdopted(m.name);
      if (replaced && replaced.status === 'faststalld' && !replaced.effectiveTo) this.models.setLifecycle(replaced, 'faststalld', { start: replaced.effectiveFrom, end: dayBefore(effectiveFrom) });
      return this.models.setLifecycle(m, 'faststalld', { start: effectiveFrom });
    });
    const snapshot = buildSnapshot(
      { version: row.version, title: row.title, status: 'faststalld', date: on, effectiveFrom, previousVersion: previous?.version, changeClass, leadTime, nims: adopted },
      resolver,
    );
    const updated = this.storeSnapshot(row, snapshot, { status: 'faststalld', effectiveFrom });
    this.store.addEvent(row.pk, 'faststalld', { changeClass, contentHash: updated.contentHash, effectiveFrom, leadTime });
    return updated;
  }

  private repeal(row: NimReleaseRow, options: TransitionOptions): NimReleaseRow {
    const effectiveTo = checkDate(options.effectiveTo, 'effectiveTo') ?? today();
    if (row.effectiveFrom && effectiveTo < row.effectiveFrom) throw invalid(`effectiveTo ${effectiveTo} is before the release takes effect (${row.effectiveFrom})`, 'effectiveTo');
    for (const m of this.store.members(row.pk)) {
      const stillAdopted = this.store.releasesWith(m.pk).some((r) => r.pk !== row.pk && r.status === 'faststalld');
      if (!stillAdopted && m.status === 'faststalld') this.models.setLifecycle(m, 'upphavd', { start: m.effectiveFrom, end: effectiveTo });
    }
    const updated = this.store.updateRelease(row.pk, { status: 'upphavd', effectiveTo });
    this.store.addEvent(row.pk, 'upphavd', { effectiveTo });
    return updated;
  }

  // ---- following the content until adoption ----

  /**
   * Takes the snapshot of releases on påseende again, so what they publish is what the store
   * holds now. `version` names one release (an adopted one is refused: it never changes); without
   * it, every release on påseende. With `changes`, only releases whose content depends on one of
   * them. A refresh that changes the content is recorded as one event (`uppdaterad`) with the
   * diff; one that changes nothing records nothing. One transaction.
   */
  refresh(options: { version?: string; trigger: RefreshTrigger; changes?: readonly ContentChange[] }): RefreshOutcome[] {
    const rows = options.version !== undefined ? [this.get(options.version)] : this.list().filter((r) => r.status === 'paseende');
    return this.store.transaction(() => rows.map((r) => this.refreshOne(r, options.trigger, options.changes, options.version !== undefined)));
  }

  private refreshOne(row: NimReleaseRow, trigger: RefreshTrigger, changes: readonly ContentChange[] | undefined, named: boolean): RefreshOutcome {
    const base = { version: row.version, status: row.status, refreshed: false };
    if (ADOPTED.includes(row.status)) {
      if (named) throw conflict(`Release ${row.version} is ${row.status}: an adopted release never changes`);
      return { ...base, reason: 'adopted' };
    }
    // an utkast has no snapshot: its manifest is resolved anew on every request
    if (!row.snapshot) return { ...base, reason: 'utkast' };
    const before: ReleaseSnapshot = JSON.parse(row.snapshot);
    if (changes && !affects(changes, dependenciesOf(before, this.resources))) return { ...base, reason: 'not-affected' };
    const previous = this.previousAdopted(row);
    const resolver = new BindingResolver(this.resources);
    const input = { version: row.version, title: row.title, status: 'paseende' as const, date: before.date, effectiveFrom: row.effectiveFrom, previousVersion: previous?.version, nims: this.store.members(row.pk) };
    const draft = buildSnapshot(input, resolver);
    const same = buildSnapshot({ ...input, changeClass: this.classAgainst(previous, draft) }, resolver);
    if (contentHash(same) === row.contentHash) return { ...base, reason: 'unchanged' };
    const after = buildSnapshot({ ...input, date: today(), changeClass: same.changeClass }, resolver);
    const diff = diffReleases(before, after);
    const note: RefreshNote = {
      trigger,
      from: row.contentHash ?? contentHash(before),
      contentHash: contentHash(after),
      changeClass: after.changeClass,
      valueSets: refreshedValueSets(diff, after, before),
    };
    const needed = previous ? bump(previous.version, after.changeClass) : undefined;
    if (needed && compareSemver(row.version, needed) < 0) note.versionNeeded = needed;
    this.storeSnapshot(row, after, {});
    this.store.addEvent(row.pk, 'uppdaterad', note, undefined, diff);
    return { ...base, refreshed: true, note };
  }

  /** The diff a refresh event recorded (undefined for other events). */
  refreshDiff(eventPk: number): ReleaseDiff | undefined {
    return this.store.eventDetail(eventPk) as ReleaseDiff | undefined;
  }

  // ---- packages from another instance ----

  /**
   * Takes in a release published elsewhere (from its package): its NIM versions as they were
   * and its snapshot unchanged, so it has the same content hash and package bytes here.
   * Importing the same release again changes nothing.
   */
  importSnapshot(snapshot: ReleaseSnapshot): { release: NimReleaseRow; created: boolean } {
    const hash = contentHash(snapshot);
    const existing = this.store.release(snapshot.version);
    if (existing) {
      if (existing.contentHash === hash) return { release: existing, created: false };
      throw conflict(`Release ${snapshot.version} exists here with other content`);
    }
    return this.store.transaction(() => ({ release: this.insertSnapshot(snapshot, hash), created: true }));
  }

  /**
   * A follower (read replica) takes a release as its primary published it: the snapshot, added or
   * replacing the one held (the primary refreshed or adopted it), and the lifecycle state, with an
   * event dated as the primary's feed dated it. The primary's snapshot is the release: nothing is
   * resolved or refreshed here.
   */
  mirrorSnapshot(snapshot: ReleaseSnapshot, status: NimStatus, at: string, feed: string): { release: NimReleaseRow; changed: boolean } {
    const hash = contentHash(snapshot);
    const origin = feedOrigin(feed);
    return this.store.transaction(() => {
      let row = this.store.release(snapshot.version);
      // a feed replaces only the releases it delivered itself, never one made here or mirrored from another feed
      if (row && !mayReplace(origin, row.origin)) throw conflict(heldElsewhere(`Release ${snapshot.version}`, row.origin, origin));
      if (row && row.contentHash === hash && row.status === status) return { release: row, changed: false };
      if (row && row.origin !== origin) row = this.store.updateRelease(row.pk, { origin });
      const before: ReleaseSnapshot | undefined = row?.snapshot && row.contentHash !== hash ? JSON.parse(row.snapshot) : undefined;
      if (!row) row = this.insertSnapshot(snapshot, hash, origin, at);
      else if (before) {
        this.store.setMembers(row.pk, this.modelsOf(snapshot, origin).map((m) => m.pk));
        row = this.storeSnapshot(row, snapshot, { title: snapshot.title, effectiveFrom: snapshot.effectiveFrom ?? null });
      }
      if (row.status !== status) {
        row = this.store.updateRelease(row.pk, { status });
        this.store.addEvent(row.pk, status, { changeClass: snapshot.changeClass, contentHash: hash, effectiveFrom: snapshot.effectiveFrom }, at);
      } else if (before) {
        // the primary refreshed it on påseende: the same event, with what changed
        const diff = diffReleases(before, snapshot);
        const note: RefreshNote = { trigger: { kind: 'primary', feed }, from: contentHash(before), contentHash: hash, changeClass: snapshot.changeClass, valueSets: refreshedValueSets(diff, snapshot, before) };
        this.store.addEvent(row.pk, 'uppdaterad', note, at, diff);
      }
      return { release: row, changed: true };
    });
  }

  /**
   * The NIM versions of a snapshot, added where missing. Made here (`origin` LOCAL), a version held
   * with other content is a conflict; mirrored from a feed, it is overwritten, unless a release that
   * feed may not replace holds it.
   */
  private modelsOf(snapshot: ReleaseSnapshot, origin: Origin = LOCAL): NimModelRow[] {
    return snapshot.nims.map((n) => {
      const have = this.store.model(n.name, n.version);
      const same = have && canonicalJson(fromStructureDefinition(have.resource)) === canonicalJson(fromStructureDefinition(n.resource));
      if (have && same) return have;
      if (have && origin === LOCAL) throw conflict(`NIM ${n.name} ${n.version} exists here with other content`);
      const holder = have && this.store.releasesWith(have.pk).find((r) => !mayReplace(origin, r.origin));
      if (holder) throw conflict(`NIM ${n.name} ${n.version} is held here with other content by release ${holder.version}, from ${describeOrigin(holder.origin)}`);
      // a NIM has one working version at a time (nim_model_one_working): a package's version in
      // utkast or påseende cannot sit beside another one here
      const working = n.status === 'utkast' || n.status === 'paseende' ? this.models.working(n.name) : undefined;
      if (working && working.version !== n.version) {
        throw conflict(
          `NIM ${n.name} ${n.version} is ${n.status} in the package, but ${n.name} ${working.version} is ${working.status} here, and a NIM has one version in utkast or påseende at a time: adopt or delete ${n.name} ${working.version} here first, or import the release once it is adopted`,
        );
      }
      const sd = n.resource;
      const period = sd.extension?.find((e: any) => e.url === EXT.effectivePeriod)?.valuePeriod;
      return this.store.saveModel({ name: n.name, version: n.version, url: n.url, resourceId: sd.id, title: n.title, status: n.status, effectiveFrom: period?.start, effectiveTo: period?.end, resource: sd });
    });
  }

  private insertSnapshot(snapshot: ReleaseSnapshot, hash: string, origin: Origin = LOCAL, at?: string): NimReleaseRow {
    const members = this.modelsOf(snapshot, origin);
    let row = this.store.insertRelease({ version: snapshot.version, title: snapshot.title, effectiveFrom: snapshot.effectiveFrom, origin });
    this.store.setMembers(row.pk, members.map((m) => m.pk));
    row = this.storeSnapshot(row, snapshot, { status: snapshot.status });
    this.store.addEvent(row.pk, snapshot.status, { imported: true, changeClass: snapshot.changeClass, contentHash: hash }, at);
    return row;
  }

  // ---- comments (påseende) ----

  comment(version: string, input: { text?: unknown; organisation?: unknown; nim?: unknown; attribute?: unknown }): NimCommentRow {
    const row = this.get(version);
    if (row.status !== 'paseende') throw conflict(`Comments are recorded while a release is on påseende; ${version} is ${row.status}`);
    if (typeof input.text !== 'string' || !input.text.trim()) throw invalid('text is required', 'text');
    const opt = (v: unknown, where: string) => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw invalid(`${where} must be a string`, where);
      return v;
    };
    const c = { text: input.text.trim(), organisation: opt(input.organisation, 'organisation'), nim: opt(input.nim, 'nim'), attribute: opt(input.attribute, 'attribute') };
    refusePersonalData(c.text, 'text');
    if (c.nim && !this.store.members(row.pk).some((m) => m.name === c.nim?.replace(/^nim-/, ''))) throw invalid(`Release ${version} holds no NIM ${c.nim}`, 'nim');
    return this.store.addComment(row.pk, c);
  }

  comments(version: string): NimCommentRow[] {
    return this.store.comments(this.get(version).pk);
  }

  // ---- questions vendors ask ----

  diff(from: string, to: string): ReleaseDiff {
    return diffReleases(this.snapshotOf(this.get(from)), this.snapshotOf(this.get(to)));
  }

  /** The adopted release in force on a date (what a record of that date is validated against). */
  inForce(date: string): NimReleaseRow | undefined {
    checkDate(date, 'date');
    return this.list().find((r) => ADOPTED.includes(r.status) && r.effectiveFrom !== undefined && r.effectiveFrom <= date && (!r.effectiveTo || date <= r.effectiveTo));
  }

  /**
   * What takes effect, or stops, between two dates (inclusive): adopted releases and their
   * bindings whose own effective periods start or end in the window.
   */
  effectiveBetween(fromDate: unknown, toDate: unknown): { from: string; to: string; releases: { version: string; title: string; status: NimStatus; event: 'takes-effect' | 'ends'; date: string }[]; bindings: { release: string; nim: string; attribute: string; valueSet: string; event: 'takes-effect' | 'ends'; date: string }[] } {
    const a = checkDate(fromDate, 'from');
    const b = checkDate(toDate, 'to');
    if (!a || !b) throw invalid('from and to are required dates (YYYY-MM-DD)');
    if (b < a) throw invalid('to is before from', 'to');
    const within = (d?: string): d is string => !!d && a <= d && d <= b;
    const releases: ReturnType<NimReleases['effectiveBetween']>['releases'] = [];
    const bindings: ReturnType<NimReleases['effectiveBetween']>['bindings'] = [];
    for (const r of this.list().filter((x) => x.status !== 'utkast').reverse()) {
      if (within(r.effectiveFrom)) releases.push({ version: r.version, title: r.title, status: r.status, event: 'takes-effect', date: r.effectiveFrom });
      if (within(r.effectiveTo)) releases.push({ version: r.version, title: r.title, status: r.status, event: 'ends', date: r.effectiveTo });
      for (const x of (JSON.parse(r.snapshot!) as ReleaseSnapshot).bindings) {
        const base = { release: r.version, nim: x.nim, attribute: x.attribute, valueSet: x.valueSet };
        if (within(x.effective?.start)) bindings.push({ ...base, event: 'takes-effect', date: x.effective.start });
        if (within(x.effective?.end)) bindings.push({ ...base, event: 'ends', date: x.effective.end });
      }
    }
    return { from: a, to: b, releases, bindings };
  }
}
