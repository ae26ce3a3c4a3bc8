import crypto from 'node:crypto';
import type { NimModelRow, NimStatus } from '../store/nim-store';
import { BindingResolver, CodesState, ResolvedValueSet } from './binding-resolver';
import { AdditionalPurpose, BindingPurpose, NormativeStatus, extensionDefinitions } from './extensions';
import { ContextCondition, EffectivePeriod, Strength, fromStructureDefinition } from './nim-model';

/**
 * NimRelease content: the immutable snapshot vendors get. It holds the NIM versions as FHIR
 * StructureDefinitions, every bound value set as resolved at publication (version, code-system
 * versions, codes, or why there are none yet) and an index of every binding. It is stored and
 * hashed as canonical JSON (keys sorted), so the same content always has the same hash and the
 * same package bytes.
 */

export type ChangeClass = 'none' | 'patch' | 'minor' | 'major';
export const CHANGE_ORDER: ChangeClass[] = ['none', 'patch', 'minor', 'major'];
export const maxClass = (...classes: ChangeClass[]): ChangeClass => classes.reduce((a, b) => (CHANGE_ORDER.indexOf(b) > CHANGE_ORDER.indexOf(a) ? b : a), 'none');

export const SNAPSHOT_FORMAT = 'kodverk-nim-release/1';

export interface SnapshotNim {
  url: string;
  name: string;
  version: string;
  title: string;
  status: NimStatus;
  resource: any;
}

/**
 * One binding of one attribute, as a validator needs it: where it sits, when and in which
 * context it applies, and the resolved value set whose codes the release holds.
 */
export interface ResolvedBinding {
  nim: string;
  nimVersion: string;
  attribute: string;
  /** index among the attribute's context bindings (absent for the primary binding) */
  context?: number;
  strength?: Strength;
  /** a context binding's R5 purpose */
  contextPurpose?: AdditionalPurpose;
  when?: ContextCondition[];
  purpose: BindingPurpose[];
  normativeStatus?: NormativeStatus;
  effective?: EffectivePeriod;
  /** the canonical as bound (url or url|version) */
  valueSet: string;
  /** url|version resolved at publication: the key of its codes */
  resolved: string;
  state: CodesState;
}

export interface LeadTimeRecord {
  changeClass: ChangeClass;
  requiredMonths: number;
  /** earliest effective date the rule allows, from the adoption date */
  earliestEffective: string;
  satisfied: boolean;
  /** why the rule was set aside, when it was */
  override?: { reason: string };
}

export interface ReleaseSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: string;
  title: string;
  /** the state the snapshot was taken in */
  status: 'paseende' | 'faststalld';
  /** the day the snapshot was taken (publication), YYYY-MM-DD */
  date: string;
  effectiveFrom?: string;
  previousVersion?: string;
  changeClass: ChangeClass;
  leadTime?: LeadTimeRecord;
  nims: SnapshotNim[];
  valueSets: ResolvedValueSet[];
  codeSystems: { url: string; version?: string }[];
  bindings: ResolvedBinding[];
  /** the StructureDefinitions of the extensions the NIMs use */
  definitions: any[];
}

/** JSON with object keys sorted at every level: one text for one content. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
}

export function contentHash(snapshot: ReleaseSnapshot): string {
  return 'sha256:' + crypto.createHash('sha256').update(canonicalJson(snapshot)).digest('hex');
}

export const today = (): string => new Date().toISOString().slice(0, 10);

/** What a snapshot is taken of: the release's facts and its NIM versions. */
export type SnapshotInput = Pick<ReleaseSnapshot, 'version' | 'title' | 'status' | 'date' | 'effectiveFrom' | 'previousVersion' | 'leadTime'> & {
  changeClass?: ChangeClass;
  nims: NimModelRow[];
};

/** Takes a snapshot of NIM versions: resolves every binding and records the codes. */
export function buildSnapshot(input: SnapshotInput, resolver: BindingResolver): ReleaseSnapshot {
  const nims = [...input.nims].sort((a, b) => a.url.localeCompare(b.url));
  const valueSets = new Map<string, ResolvedValueSet>();
  const bindings: ResolvedBinding[] = [];
  for (const nim of nims) {
    const def = fromStructureDefinition(nim.resource);
    for (const a of def.attributes) {
      const b = a.binding;
      if (!b) continue;
      const add = (url: string, version: string | undefined, extra: Partial<ResolvedBinding>) => {
        const vs = resolver.resolve(url, version);
        valueSets.set(vs.requested, vs);
        const rb: ResolvedBinding = { nim: nim.url, nimVersion: nim.version, attribute: a.id, ...extra, purpose: b.purpose, valueSet: vs.requested, resolved: vs.key, state: vs.state };
        if (b.normativeStatus) rb.normativeStatus = b.normativeStatus;
        if (b.effective) rb.effective = b.effective;
        bindings.push(rb);
      };
      add(b.valueSet, b.version, { strength: b.strength });
      b.contexts.forEach((c, i) => add(c.valueSet, c.version, { context: i, contextPurpose: c.purpose, when: c.when }));
    }
  }
  const codeSystems = new Map<string, { url: string; version?: string }>();
  for (const vs of valueSets.values()) {
    for (const c of vs.codeSystems) {
      const bar = c.indexOf('|');
      codeSystems.set(c, bar < 0 ? { url: c } : { url: c.slice(0, bar), version: c.slice(bar + 1) });
    }
  }
  const snapshot: ReleaseSnapshot = {
    format: SNAPSHOT_FORMAT,
    version: input.version,
    title: input.title,
    status: input.status,
    date: input.date,
    changeClass: input.changeClass ?? 'none',
    nims: nims.map((n) => ({ url: n.url, name: n.name, version: n.version, title: n.title, status: n.status, resource: n.resource })),
    valueSets: [...valueSets.values()].sort((a, b) => a.requested.localeCompare(b.requested)),
    codeSystems: [...codeSystems.keys()].sort().map((k) => codeSystems.get(k)!),
    bindings,
    definitions: extensionDefinitions(),
  };
  if (input.effectiveFrom) snapshot.effectiveFrom = input.effectiveFrom;
  if (input.previousVersion) snapshot.previousVersion = input.previousVersion;
  if (input.leadTime) snapshot.leadTime = input.leadTime;
  // a round trip through canonical JSON drops undefined members, as storing it will
  return JSON.parse(canonicalJson(snapshot));
}

// ---- semantic versions -------------------------------------------------------------------

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

function parts(v: string): [number, number, number] {
  const m = SEMVER.exec(v);
  if (!m) throw new Error(`not a semantic version: ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function compareSemver(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/** The next version for a change class (a release without changes still needs a new patch number). */
export function bump(previous: string | undefined, change: ChangeClass): string {
  if (!previous) return '1.0.0';
  const [ma, mi, pa] = parts(previous);
  if (change === 'major') return `${ma + 1}.0.0`;
  if (change === 'minor') return `${ma}.${mi + 1}.0`;
  return `${ma}.${mi}.${pa + 1}`;
}

/** The change class a version announces relative to the one before it. */
export function announcedClass(previous: string | undefined, next: string): ChangeClass {
  if (!previous) return 'major';
  const [a, b] = [parts(previous), parts(next)];
  if (b[0] !== a[0]) return 'major';
  if (b[1] !== a[1]) return 'minor';
  return 'patch';
}
