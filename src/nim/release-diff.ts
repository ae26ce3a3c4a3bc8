import type { ResolvedCode, ResolvedValueSet } from './binding-resolver';
import { ContextBinding, NimAttribute, NimBinding, STRENGTHS, fromStructureDefinition } from './nim-model';
import { ChangeClass, ReleaseSnapshot, SnapshotNim, maxClass } from './release-snapshot';

/**
 * ReleaseDiff: what changed between two releases, and how much it matters to a vendor.
 *
 * The change class follows semantic versioning as vendors need it (001:L1737–1744):
 * major — something a vendor's data may no longer satisfy: a removed NIM or attribute, a new
 * required attribute, a narrower cardinality or datatype change, a stricter binding (strength,
 * normative status, a new context restriction) or codes removed from a bound value set;
 * minor — additions: NIMs, optional attributes, codes, looser bindings, changed flags;
 * patch — texts only: names, definitions, descriptions, displays of codes.
 */

export interface ClassifiedChange {
  class: ChangeClass;
  text: string;
}

export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
  class: ChangeClass;
}

export interface AttributeSummary {
  id: string;
  name: string;
  type: string;
  min: number;
  max: string;
}

export interface BindingChange {
  attribute: string;
  context?: number;
  changes: FieldChange[];
}

export interface NimChange {
  url: string;
  title: string;
  fromVersion: string;
  toVersion: string;
  changeClass: ChangeClass;
  changes: FieldChange[];
  attributes: { added: AttributeSummary[]; removed: AttributeSummary[]; changed: { id: string; name: string; changes: FieldChange[] }[] };
  bindings: BindingChange[];
}

export interface CodeRef {
  system: string;
  code: string;
  display?: string;
}

export interface ValueSetChange {
  url: string;
  from?: { version?: string; state: string; total: number };
  to?: { version?: string; state: string; total: number };
  added: CodeRef[];
  removed: CodeRef[];
  renamed: { system: string; code: string; from?: string; to?: string }[];
}

export interface ReleaseDiff {
  from?: string;
  to: string;
  changeClass: ChangeClass;
  /** every change that set the class, most significant first */
  reasons: ClassifiedChange[];
  nims: { added: { url: string; version: string; title: string }[]; removed: { url: string; version: string; title: string }[]; changed: NimChange[] };
  valueSets: ValueSetChange[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const card = (max: string) => (max === '*' ? Infinity : Number(max));
const codeKey = (c: { system: string; code: string }) => `${c.system}|${c.code}`;
const summary = (a: NimAttribute): AttributeSummary => ({ id: a.id, name: a.name, type: a.type, min: a.min, max: a.max });

/** Codes of a resolved value set by system|code. */
function codeMap(vs: ResolvedValueSet | undefined): Map<string, ResolvedCode> {
  return new Map((vs?.codes ?? []).map((c) => [codeKey(c), c]));
}

/** Codes added, removed and renamed between two resolutions of a value set. */
export function compareCodes(from: ResolvedValueSet | undefined, to: ResolvedValueSet | undefined): Pick<ValueSetChange, 'added' | 'removed' | 'renamed'> {
  const [a, b] = [codeMap(from), codeMap(to)];
  const ref = (c: ResolvedCode): CodeRef => ({ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) });
  return {
    added: [...b.values()].filter((c) => !a.has(codeKey(c))).map(ref),
    removed: [...a.values()].filter((c) => !b.has(codeKey(c))).map(ref),
    renamed: [...b.values()].filter((c) => a.has(codeKey(c)) && a.get(codeKey(c))!.display !== c.display).map((c) => ({ system: c.system, code: c.code, from: a.get(codeKey(c))!.display, to: c.display })),
  };
}

function codesClass(c: Pick<ValueSetChange, 'added' | 'removed' | 'renamed'>): ChangeClass {
  if (c.removed.length) return 'major';
  if (c.added.length) return 'minor';
  return c.renamed.length ? 'patch' : 'none';
}

/** Compares values and records a change of the given class when they differ. */
function field(out: FieldChange[], name: string, from: unknown, to: unknown, cls: ChangeClass | ((from: any, to: any) => ChangeClass)): void {
  if (same(from, to)) return;
  out.push({ field: name, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), class: typeof cls === 'function' ? cls(from, to) : cls });
}

const stricterWhen = (order: readonly string[]) => (from: string | undefined, to: string | undefined): ChangeClass => (order.indexOf(to ?? '') > order.indexOf(from ?? '') ? 'major' : 'minor');

class SnapshotPair {
  private readonly fromSets: Map<string, ResolvedValueSet>;
  private readonly toSets: Map<string, ResolvedValueSet>;

  constructor(
    readonly from: ReleaseSnapshot | undefined,
    readonly to: ReleaseSnapshot,
  ) {
    this.fromSets = new Map((from?.valueSets ?? []).map((v) => [v.requested, v]));
    this.toSets = new Map(to.valueSets.map((v) => [v.requested, v]));
  }

  /** The codes of what a binding pointed at in each release. */
  private codesChange(out: FieldChange[], fromVs: { valueSet: string; version?: string }, toVs: { valueSet: string; version?: string }): void {
    const key = (b: { valueSet: string; version?: string }) => (b.version ? `${b.valueSet}|${b.version}` : b.valueSet);
    const change = compareCodes(this.fromSets.get(key(fromVs)), this.toSets.get(key(toVs)));
    const cls = codesClass(change);
    if (cls !== 'none') out.push({ field: 'codes', from: { removed: change.removed.length, renamed: change.renamed.length }, to: { added: change.added.length }, class: cls });
  }

  private contextChanges(attribute: string, from: ContextBinding[], to: ContextBinding[]): BindingChange[] {
    // contexts are matched by their conditions: the same condition with another value set is a change
    const key = (c: ContextBinding) => JSON.stringify(c.when);
    const out: BindingChange[] = [];
    to.forEach((c, i) => {
      const before = from.find((f) => key(f) === key(c));
      const changes: FieldChange[] = [];
      if (!before) changes.push({ field: 'context', to: c.when, class: 'major' });
      else {
        field(changes, 'purpose', before.purpose, c.purpose, stricterWhen(['candidate', 'preferred', 'extensible', 'required']));
        field(changes, 'valueSet', before.valueSet, c.valueSet, 'minor');
        field(changes, 'version', before.version, c.version, 'minor');
        field(changes, 'documentation', before.documentation, c.documentation, 'patch');
        this.codesChange(changes, before, c);
      }
      if (changes.length) out.push({ attribute, context: i, changes });
    });
    for (const f of from) if (!to.some((c) => key(c) === key(f))) out.push({ attribute, changes: [{ field: 'context', from: f.when, class: 'minor' }] });
    return out;
  }

  private bindingChanges(attribute: string, from: NimBinding | undefined, to: NimBinding | undefined): BindingChange[] {
    if (!from && !to) return [];
    if (!from) return [{ attribute, changes: [{ field: 'binding', to: to!.valueSet, class: to!.strength === 'required' || to!.strength === 'extensible' ? 'major' : 'minor' }] }];
    if (!to) return [{ attribute, changes: [{ field: 'binding', from: from.valueSet, class: 'minor' }] }];
    const changes: FieldChange[] = [];
    field(changes, 'strength', from.strength, to.strength, stricterWhen(STRENGTHS));
    field(changes, 'normativeStatus', from.normativeStatus, to.normativeStatus, stricterWhen(['allmant-rad', 'foreskrift']));
    // another value set or version is judged by its codes below; the reference itself is a minor change
    field(changes, 'valueSet', from.valueSet, to.valueSet, 'minor');
    field(changes, 'version', from.version, to.version, 'minor');
    field(changes, 'purpose', from.purpose, to.purpose, 'minor');
    field(changes, 'effective', from.effective, to.effective, 'minor');
    field(changes, 'description', from.description, to.description, 'patch');
    this.codesChange(changes, from, to);
    return [...(changes.length ? [{ attribute, changes }] : []), ...this.contextChanges(attribute, from.contexts, to.contexts)];
  }

  private attributeChanges(from: NimAttribute, to: NimAttribute): FieldChange[] {
    const changes: FieldChange[] = [];
    field(changes, 'name', from.name, to.name, 'patch');
    field(changes, 'definition', from.definition, to.definition, 'patch');
    field(changes, 'comment', from.comment, to.comment, 'patch');
    field(changes, 'type', from.type, to.type, 'major');
    field(changes, 'min', from.min, to.min, (a: number, b: number) => (b > a ? 'major' : 'minor'));
    field(changes, 'max', from.max, to.max, (a: string, b: string) => (card(b) < card(a) ? 'major' : 'minor'));
    field(changes, 'registerRelevant', from.registerRelevant, to.registerRelevant, 'minor');
    field(changes, 'registerItem', from.registerItem, to.registerItem, 'minor');
    field(changes, 'derived', from.derived, to.derived, 'minor');
    field(changes, 'legalBasis', from.legalBasis, to.legalBasis, 'patch');
    return changes;
  }

  nimChange(a: SnapshotNim, b: SnapshotNim): NimChange | undefined {
    const [from, to] = [fromStructureDefinition(a.resource), fromStructureDefinition(b.resource)];
    const out: NimChange = { url: b.url, title: b.title, fromVersion: a.version, toVersion: b.version, changeClass: 'none', changes: [], attributes: { added: [], removed: [], changed: [] }, bindings: [] };
    field(out.changes, 'title', from.title, to.title, 'patch');
    field(out.changes, 'description', from.description, to.description, 'patch');
    field(out.changes, 'legalBasis', from.legalBasis, to.legalBasis, 'patch');
    const before = new Map(from.attributes.map((x) => [x.id, x]));
    const after = new Map(to.attributes.map((x) => [x.id, x]));
    for (const x of to.attributes) {
      const old = before.get(x.id);
      if (!old) {
        out.attributes.added.push(summary(x));
        continue;
      }
      const changes = this.attributeChanges(old, x);
      if (changes.length) out.attributes.changed.push({ id: x.id, name: x.name, changes });
      out.bindings.push(...this.bindingChanges(x.id, old.binding, x.binding));
    }
    out.attributes.removed = from.attributes.filter((x) => !after.has(x.id)).map(summary);
    out.changeClass = maxClass(
      ...out.changes.map((c) => c.class),
      ...out.attributes.added.map((x) => (x.min > 0 ? 'major' : 'minor') as ChangeClass),
      ...out.attributes.removed.map(() => 'major' as ChangeClass),
      ...out.attributes.changed.flatMap((x) => x.changes.map((c) => c.class)),
      ...out.bindings.flatMap((x) => x.changes.map((c) => c.class)),
    );
    return out.changeClass === 'none' && a.version === b.version ? undefined : out;
  }

  /** Per value-set URL: the codes in the first release against those in the second. */
  valueSetChanges(): ValueSetChange[] {
    const byUrl = (sets: Map<string, ResolvedValueSet>) => {
      const m = new Map<string, ResolvedValueSet>();
      // several resolutions of one url (pinned to different versions) count as their union
      for (const vs of sets.values()) {
        const had = m.get(vs.url);
        m.set(vs.url, had ? { ...vs, codes: [...had.codes, ...vs.codes.filter((c) => !codeMap(had).has(codeKey(c)))] } : vs);
      }
      return m;
    };
    const [a, b] = [byUrl(this.fromSets), byUrl(this.toSets)];
    const out: ValueSetChange[] = [];
    for (const url of [...new Set([...a.keys(), ...b.keys()])].sort()) {
      const [x, y] = [a.get(url), b.get(url)];
      const codes = compareCodes(x, y);
      const info = (v: ResolvedValueSet) => ({ ...(v.version ? { version: v.version } : {}), state: v.state, total: v.total });
      const changed = !x || !y || x.version !== y.version || x.state !== y.state || codesClass(codes) !== 'none';
      if (changed) out.push({ url, ...(x ? { from: info(x) } : {}), ...(y ? { to: info(y) } : {}), ...codes });
    }
    return out;
  }
}

function describe(n: NimChange): ClassifiedChange[] {
  const out: ClassifiedChange[] = [];
  for (const c of n.changes) out.push({ class: c.class, text: `${n.title}: ${c.field} changed` });
  for (const a of n.attributes.added) out.push({ class: a.min > 0 ? 'major' : 'minor', text: `${n.title}: ${a.min > 0 ? 'required' : 'optional'} attribute ${a.name} added` });
  for (const a of n.attributes.removed) out.push({ class: 'major', text: `${n.title}: attribute ${a.name} removed` });
  for (const a of n.attributes.changed) for (const c of a.changes) out.push({ class: c.class, text: `${n.title}: ${a.name}: ${c.field} changed` });
  for (const b of n.bindings) for (const c of b.changes) out.push({ class: c.class, text: `${n.title}: ${b.attribute}${b.context !== undefined ? ` (context ${b.context})` : ''}: binding ${c.field} changed` });
  return out;
}

/** The difference between two release snapshots (from may be absent: the first release). */
export function diffReleases(from: ReleaseSnapshot | undefined, to: ReleaseSnapshot): ReleaseDiff {
  const pair = new SnapshotPair(from, to);
  const before = new Map((from?.nims ?? []).map((n) => [n.url, n]));
  const after = new Map(to.nims.map((n) => [n.url, n]));
  const brief = (n: SnapshotNim) => ({ url: n.url, version: n.version, title: n.title });
  const added = to.nims.filter((n) => !before.has(n.url)).map(brief);
  const removed = (from?.nims ?? []).filter((n) => !after.has(n.url)).map(brief);
  const changed = to.nims.flatMap((n) => (before.has(n.url) ? [pair.nimChange(before.get(n.url)!, n)].filter((x): x is NimChange => !!x) : []));
  const reasons: ClassifiedChange[] = [
    ...removed.map((n) => ({ class: 'major' as ChangeClass, text: `NIM ${n.title} removed` })),
    ...added.map((n) => ({ class: 'minor' as ChangeClass, text: `NIM ${n.title} added` })),
    ...changed.flatMap(describe),
  ].filter((r) => r.class !== 'none');
  reasons.sort((x, y) => ['major', 'minor', 'patch'].indexOf(x.class) - ['major', 'minor', 'patch'].indexOf(y.class));
  const valueSets = pair.valueSetChanges();
  return {
    ...(from ? { from: from.version } : {}),
    to: to.version,
    changeClass: maxClass(...reasons.map((r) => r.class)),
    reasons,
    nims: { added, removed, changed },
    valueSets,
  };
}
