import type { NimModelRow, NimStatus, NimStore } from '../store/nim-store';
import { conflict, invalid, notFound } from './errors';
import type { Lifecycle } from './extensions';
import { EffectivePeriod, NimDefinition, checkDefinition, fromStructureDefinition, nimResourceId, nimUrl, toStructureDefinition } from './nim-model';
import { bump, compareSemver, isSemver, today } from './release-snapshot';

export const PUBLISHER = 'Kodverk (efter Socialstyrelsens nationella informationsmängder)';

export interface NimVersionSummary {
  version: string;
  status: NimStatus;
  effectiveFrom?: string;
  effectiveTo?: string;
  resource: string;
}

export interface NimSummary {
  name: string;
  url: string;
  title: string;
  versions: NimVersionSummary[];
}

const WORKING: readonly NimStatus[] = ['utkast', 'paseende'];
const ADOPTED: readonly NimStatus[] = ['faststalld', 'upphavd'];
const byVersion = (a: NimModelRow, b: NimModelRow) => compareSemver(a.version, b.version);

/**
 * The NIM versions and their authoring workflow. A NIM has at most one working version
 * (utkast, or påseende while a release holding it is reviewed); only an utkast is edited.
 * Adopted versions (fastställd) keep their content for ever; their lifecycle moves with the
 * releases they belong to (NimReleases).
 */
export class NimModels {
  constructor(private readonly store: NimStore) {}

  list(): NimSummary[] {
    const byName = new Map<string, NimModelRow[]>();
    for (const m of this.store.allModels()) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
    return [...byName.entries()].map(([name, rows]) => {
      rows.sort(byVersion);
      return {
        name,
        url: nimUrl(name),
        title: rows[rows.length - 1].title,
        versions: rows.map((r) => ({ version: r.version, status: r.status, effectiveFrom: r.effectiveFrom, effectiveTo: r.effectiveTo, resource: `StructureDefinition/${r.resourceId}` })),
      };
    });
  }

  /** A NIM version; without a version, the working version, else the latest adopted one. */
  get(name: string, version?: string): NimModelRow {
    const rows = this.store.versionsOf(name).sort(byVersion);
    if (rows.length === 0) throw notFound(`No NIM named '${name}'`);
    if (version === undefined) return rows.find((r) => WORKING.includes(r.status)) ?? rows[rows.length - 1];
    const row = rows.find((r) => r.version === version);
    if (!row) throw notFound(`NIM ${name} has no version ${version} (it has ${rows.map((r) => r.version).join(', ')})`);
    return row;
  }

  /** The latest adopted version of a NIM, if any. */
  latestAdopted(name: string): NimModelRow | undefined {
    return this.store
      .versionsOf(name)
      .filter((r) => ADOPTED.includes(r.status))
      .sort(byVersion)
      .pop();
  }

  definition(row: NimModelRow): NimDefinition {
    return fromStructureDefinition(row.resource);
  }

  /** Writes a version's row and StructureDefinition from a definition and lifecycle. */
  private write(def: NimDefinition, version: string, status: Lifecycle, effective: EffectivePeriod | undefined, previousVersion?: string): NimModelRow {
    const resource = toStructureDefinition(def, { version, lifecycle: status, effective, date: today(), publisher: PUBLISHER });
    return this.store.saveModel(
      { name: def.name, version, url: nimUrl(def.name), resourceId: nimResourceId(def.name, version), title: def.title, status, effectiveFrom: effective?.start, effectiveTo: effective?.end, resource },
      previousVersion,
    );
  }

  private checkVersion(version: unknown): string {
    if (typeof version !== 'string' || !isSemver(version)) throw invalid(`version must be a semantic version (e.g. 1.2.0), not '${String(version)}'`, 'version');
    return version;
  }

  /** A new NIM: its first version, an utkast (1.0.0 unless given). */
  create(input: unknown, version = '1.0.0'): NimModelRow {
    const def = checkDefinition(input);
    if (this.store.versionsOf(def.name).length) throw conflict(`A NIM named '${def.name}' exists; create a new version of it instead`);
    return this.write(def, this.checkVersion(version), 'utkast', undefined);
  }

  /** The version of a NIM in utkast or påseende, if any: there is one at most (nim_model_one_working). */
  working(name: string): NimModelRow | undefined {
    return this.store.versionsOf(name).find((r) => WORKING.includes(r.status));
  }

  /** A new working version of an adopted NIM, starting from the latest adopted content. */
  newVersion(name: string, version?: string): NimModelRow {
    const working = this.working(name);
    if (working) throw conflict(`NIM ${name} already has a working version ${working.version} (${working.status})`);
    const base = this.latestAdopted(name);
    if (!base) throw notFound(`No NIM named '${name}'`);
    const next = this.checkVersion(version ?? bump(base.version, 'minor'));
    if (compareSemver(next, base.version) <= 0) throw invalid(`version ${next} must be after ${base.version}`, 'version');
    return this.write(this.definition(base), next, 'utkast', undefined);
  }

  /** Replaces an utkast's content (and, when `version` is given, its version number). */
  update(name: string, version: string, input: unknown, newVersion?: string): NimModelRow {
    const row = this.get(name, version);
    this.requireDraft(row);
    const def = checkDefinition(input);
    if (def.name !== name) throw invalid(`The definition's name '${def.name}' does not match the NIM '${name}'`, 'name');
    const target = newVersion === undefined ? version : this.checkVersion(newVersion);
    if (target !== version) {
      if (this.store.model(name, target)) throw conflict(`NIM ${name} already has a version ${target}`);
      const adopted = this.latestAdopted(name);
      if (adopted && compareSemver(target, adopted.version) <= 0) throw invalid(`version ${target} must be after the adopted ${adopted.version}`, 'version');
    }
    return this.write(def, target, 'utkast', undefined, version);
  }

  delete(name: string, version: string): void {
    const row = this.get(name, version);
    this.requireDraft(row);
    if (this.store.releasesWith(row.pk).length) throw conflict(`NIM ${name} ${version} belongs to a release; remove it from the release first`);
    this.store.deleteModel(row.pk);
  }

  private requireDraft(row: NimModelRow): void {
    if (row.status === 'utkast') return;
    if (row.status === 'paseende') throw conflict(`NIM ${row.name} ${row.version} is on påseende; move its release back to utkast to revise it`);
    throw conflict(`NIM ${row.name} ${row.version} is ${row.status} and cannot be changed; create a new version`);
  }

  /** Moves a version through its lifecycle (on behalf of a release), rewriting its StructureDefinition. */
  setLifecycle(row: NimModelRow, status: Lifecycle, effective?: EffectivePeriod): NimModelRow {
    const period = effective ?? (row.effectiveFrom || row.effectiveTo ? { start: row.effectiveFrom, end: row.effectiveTo } : undefined);
    return this.write(this.definition(row), row.version, status, period);
  }
}
