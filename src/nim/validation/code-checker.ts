import type { ParametersParameter } from 'fhir/r4';
import type { ResourceStore } from '../../store/resource-store';
import { TerminologyEngine } from '../../terminology/engine';
import { TerminologyError } from '../../terminology/issues';
import { ICF_URL } from '../../terminology/providers/icf';
import { StoreResourceSource } from '../../terminology/store-source';
import type { IndexedValueSet } from './release-index';
import { memberKey } from './release-index';
import type { CodingValue } from './values';

/**
 * CodeChecker: is a coded value in a bound value set? For value sets whose codes the release
 * captured, the answer is a lookup in the release index. For the others (no codes yet at
 * publication, or too many to capture) the terminology engine validates against the value set
 * as the store holds it now; those answers are cached until the store changes. When a code is
 * not in a value set, the checker also finds out whether it exists in its code system at all,
 * which tells an unknown code (a typing error, or something that is not a code) from a real
 * code outside the selection — and decides whether the code may be quoted back.
 */

export type Known = 'yes' | 'no' | 'no-system' | 'unsure';

export type Verdict =
  | { kind: 'member'; system: string; inactive: boolean }
  /** not in the value set; `known` says whether the code exists in `system` */
  | { kind: 'outside'; system?: string; known: Known; inferred: boolean }
  /** a code without a system that the value set has under several systems */
  | { kind: 'ambiguous'; systems: string[] }
  | { kind: 'not-checked'; reason: string };

/** Most slow-path answers kept (a file may hold any number of distinct wrong codes). */
const CACHE_LIMIT = 100_000;
/** Code-system content for which a missing code says nothing (the system lists only some codes). */
const PARTIAL_CONTENT = new Set(['not-present', 'example', 'fragment']);

function param(out: ParametersParameter[], name: string): ParametersParameter[] {
  return out.filter((p) => p.name === name);
}

export class CodeChecker {
  private readonly engine: TerminologyEngine;
  private readonly verdicts = new Map<string, Verdict>();
  private readonly existence = new Map<string, Known>();
  private readonly canonicals = new Map<string, string>();
  private seenChange = '';

  constructor(private readonly store: ResourceStore) {
    this.engine = new TerminologyEngine(new StoreResourceSource(store));
  }

  /** Forgets slow-path answers when the store has changed (a code system imported, say). */
  private fresh(): void {
    const now = this.store.changeCounter;
    if (now === this.seenChange) return;
    this.seenChange = now;
    this.verdicts.clear();
    this.existence.clear();
    this.canonicals.clear();
  }

  private remember<K, V>(map: Map<K, V>, key: K, value: V): V {
    if (map.size >= CACHE_LIMIT) map.clear();
    map.set(key, value);
    return value;
  }

  /** The canonical URL of a system written as urn:oid: (Socialstyrelsen's OIDs name KSI, ICF, KVÅ). */
  canonical(system: string): string {
    if (!system.startsWith('urn:oid:')) return system;
    this.fresh();
    return this.canonicals.get(system) ?? this.remember(this.canonicals, system, this.engine.context().canonicalSystem(system));
  }

  /**
   * The version of a bound value set to use now: the one resolved at publication, except that a
   * floating binding whose version is gone (a placeholder an import replaced) means the value set
   * as it is now (undefined).
   */
  boundVersion(vs: IndexedValueSet): string | undefined {
    const gone = !vs.pinned && vs.version !== undefined && !this.engine.context().findValueSet(vs.url, vs.version);
    return gone ? undefined : vs.version;
  }

  /** url|version of each code system a release drew a value set's captured codes from, where still held. */
  capturedSystemVersions(vs: IndexedValueSet): string[] {
    if (vs.state !== 'expanded') return [];
    const ctx = this.engine.context();
    return [...vs.systems].filter(([url, v]) => v !== undefined && ctx.codeSystemVersions(url).includes(v)).map(([url, v]) => `${url}|${v}`);
  }

  check(vs: IndexedValueSet, coding: CodingValue): Verdict {
    const system = coding.system === undefined ? undefined : this.canonical(coding.system);
    return vs.state === 'expanded' ? this.fromCodes(vs, system, coding.code) : this.fromEngine(vs, system, coding.code);
  }

  /** The one code system a value set draws on, for a code given without a system. */
  private onlySystem(vs: IndexedValueSet): string | undefined {
    return vs.systems.size === 1 ? vs.systems.keys().next().value : undefined;
  }

  private fromCodes(vs: IndexedValueSet, system: string | undefined, code: string): Verdict {
    if (system !== undefined) {
      const key = memberKey(system, code);
      if (vs.members.has(key)) return { kind: 'member', system, inactive: vs.inactive.has(key) };
      // a code system that is not case-sensitive (BCP-47): the code in another case is the member
      const normal = this.normalForm(system, code, vs.systems.get(system));
      const normalKey = normal !== undefined && normal !== code ? memberKey(system, normal) : undefined;
      if (normalKey && vs.members.has(normalKey)) return { kind: 'member', system, inactive: vs.inactive.has(normalKey) };
      return this.qualified(vs, system, code) ?? { kind: 'outside', system, known: this.exists(system, code, vs.systems.get(system)), inferred: false };
    }
    const systems = vs.systemsOf.get(code);
    if (systems && systems.length === 1) return { kind: 'member', system: systems[0], inactive: vs.inactive.has(memberKey(systems[0], code)) };
    if (systems) return { kind: 'ambiguous', systems };
    const only = this.onlySystem(vs);
    if (only === undefined) return { kind: 'outside', known: 'unsure', inferred: true };
    return this.qualified(vs, only, code) ?? { kind: 'outside', system: only, known: this.exists(only, code, vs.systems.get(only)), inferred: true };
  }

  /**
   * An ICF code with qualifiers (d4500.2, e310+3) is in a value set when its category is; the
   * qualifiers themselves are checked by the ICF code system (ranges per component).
   */
  private qualified(vs: IndexedValueSet, system: string, code: string): Verdict | undefined {
    if (system !== ICF_URL) return undefined;
    const base = /^([^.+]+)[.+]/.exec(code)?.[1];
    if (!base || !vs.members.has(memberKey(system, base))) return undefined;
    const known = this.exists(system, code, vs.systems.get(system));
    return known === 'yes' ? { kind: 'member', system, inactive: vs.inactive.has(memberKey(system, base)) } : { kind: 'outside', system, known, inferred: false };
  }

  /** The code as a code system that is not case-sensitive writes it; undefined for the others. */
  private normalForm(system: string, code: string, version?: string): string | undefined {
    const provider = this.providerOf(system, version);
    return provider && !provider.info.caseSensitive ? provider.locate(code).concept?.code : undefined;
  }

  /** The code system a value set drew on: the version it used, else any held. */
  private providerOf(system: string, version?: string) {
    const ctx = this.engine.context();
    return (version !== undefined ? ctx.findCodeSystem(system, version) : undefined) ?? ctx.findCodeSystem(system);
  }

  /** Does the code exist in its code system (the version the value set drew on, else any)? */
  exists(system: string, code: string, version?: string): Known {
    this.fresh();
    const key = `${system}\u0000${version ?? ''}\u0000${code}`;
    const had = this.existence.get(key);
    if (had) return had;
    const provider = this.providerOf(system, version);
    let known: Known;
    if (!provider) known = 'no-system';
    else if (provider.locate(code).concept) known = 'yes';
    else known = PARTIAL_CONTENT.has(provider.info.content) ? 'unsure' : 'no';
    return this.remember(this.existence, key, known);
  }

  /**
   * An integer property of a code (ISO 4217's `decimals`: the currency's minor unit), or
   * undefined when the code or the property is not there.
   */
  integerProperty(system: string, code: string, property: string): number | undefined {
    const concept = this.engine.context().findCodeSystem(system)?.locate(code).concept;
    const value = concept?.properties.find((p) => p.code === property)?.value;
    return typeof value === 'number' ? value : undefined;
  }

  /** Validation against the value set as stored now, for one the release has no codes of. */
  private fromEngine(vs: IndexedValueSet, given: string | undefined, code: string): Verdict {
    // a bare code takes the value set's one code system; else the engine infers it (inferSystem)
    const system = given ?? this.onlySystem(vs);
    this.fresh();
    const key = `${vs.key}\u0000${system ?? ''}\u0000${code}`;
    const had = this.verdicts.get(key);
    if (had) return had;
    return this.remember(this.verdicts, key, this.engineVerdict(vs, system, code, given === undefined));
  }

  private engineVerdict(vs: IndexedValueSet, system: string | undefined, code: string, inferred: boolean): Verdict {
    const parameters: ParametersParameter[] = [{ name: 'url', valueUri: vs.url }];
    const version = this.boundVersion(vs);
    if (version) parameters.push({ name: 'valueSetVersion', valueString: version });
    parameters.push({ name: 'code', valueCode: code });
    parameters.push(system === undefined ? { name: 'inferSystem', valueBoolean: true } : { name: 'system', valueUri: system });
    let out: ParametersParameter[];
    try {
      out = this.engine.validateValueSetCode({ parameters, txResources: [] });
    } catch (e) {
      if (!(e instanceof TerminologyError)) throw e;
      // the engine's text may quote the code; the snapshot's reason does not
      return { kind: 'not-checked', reason: vs.reason ?? `value set ${vs.key} cannot be used for validation` };
    }
    const found = param(out, 'system')[0]?.valueUri ?? system;
    if (param(out, 'result')[0]?.valueBoolean === true && found) return { kind: 'member', system: found, inactive: param(out, 'inactive')[0]?.valueBoolean === true };
    const missing = param(out, 'x-caused-by-unknown-system').map((p) => String(p.valueCanonical ?? p.valueUri ?? '').split('|')[0]);
    const drawnOn = missing.find((m) => vs.systems.has(m) || vs.systems.size === 0);
    if (drawnOn) return { kind: 'not-checked', reason: `code system ${drawnOn} is not imported yet` };
    if (system === undefined) return { kind: 'outside', known: 'unsure', inferred };
    return { kind: 'outside', system, known: this.exists(system, code, vs.systems.get(system)), inferred };
  }
}
