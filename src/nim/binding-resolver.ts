import type { ParametersParameter, ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import type { ResourceStore } from '../store/resource-store';
import { TerminologyEngine } from '../terminology/engine';
import { TerminologyError } from '../terminology/issues';
import { StoreResourceSource } from '../terminology/store-source';

/**
 * Resolves the value sets NIM bindings point at, as the store holds them now: which version a
 * floating binding means (the latest), which code-system versions the value set draws from, and
 * its codes. A release records this at publication, so validation later is fast (an index
 * lookup) and gives the same answer whatever was imported since.
 */

/** Whether a bound value set could be enumerated at publication. */
export type CodesState = 'expanded' | 'no-codes-yet' | 'too-large';

export interface ResolvedCode {
  system: string;
  version?: string;
  code: string;
  display?: string;
  /** other Swedish designations (candidates for a short display) */
  designations?: string[];
  inactive?: boolean;
}

export interface ResolvedValueSet {
  /** the canonical as bound: url (floating) or url|version (pinned) */
  requested: string;
  url: string;
  pinned: boolean;
  /** the resolved version; absent when the value set is not in the store or has no version */
  version?: string;
  /** url|version as resolved: the key of its codes in the release */
  key: string;
  title?: string;
  state: CodesState;
  /** why there are no codes (value set or code system missing, empty, too large) */
  reason?: string;
  /** url|version of each code system the codes come from */
  codeSystems: string[];
  total: number;
  codes: ResolvedCode[];
  /** the ValueSet resource (without expansion), when stored */
  definition?: ValueSet;
}

/** Most codes one bound value set may have in a release (larger ones are validated by the API). */
export const RELEASE_MAX_CODES = 50_000;

export const canonical = (url: string, version?: string): string => (version ? `${url}|${version}` : url);

function flatten(contains: ValueSetExpansionContains[] | undefined, out: ValueSetExpansionContains[] = []): ValueSetExpansionContains[] {
  for (const c of contains ?? []) {
    if (c.code !== undefined && !c.abstract) out.push(c);
    flatten(c.contains, out);
  }
  return out;
}

function codeOf(c: ValueSetExpansionContains): ResolvedCode {
  const out: ResolvedCode = { system: c.system!, code: c.code! };
  if (c.version) out.version = c.version;
  if (c.display) out.display = c.display;
  const designations = [...new Set((c.designation ?? []).filter((d) => (!d.language || d.language.startsWith('sv')) && d.value && d.value !== c.display).map((d) => d.value))].sort();
  if (designations.length) out.designations = designations;
  if (c.inactive) out.inactive = true;
  return out;
}

export class BindingResolver {
  private readonly engine: TerminologyEngine;
  private readonly cache = new Map<string, ResolvedValueSet>();

  constructor(store: ResourceStore, private readonly maxCodes = RELEASE_MAX_CODES) {
    this.engine = new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes: maxCodes, maxAssembledCodes: maxCodes });
  }

  /** The value set a binding names (url, pinned to version when given), with its codes. */
  resolve(url: string, version?: string): ResolvedValueSet {
    const requested = canonical(url, version);
    let found = this.cache.get(requested);
    if (!found) {
      found = this.resolveNow(url, version);
      this.cache.set(requested, found);
    }
    return found;
  }

  private resolveNow(url: string, version: string | undefined): ResolvedValueSet {
    const requested = canonical(url, version);
    const base = { requested, url, pinned: version !== undefined, codeSystems: [] as string[], total: 0, codes: [] as ResolvedCode[] };
    const vs = this.engine.context().findValueSet(url, version);
    if (!vs) {
      return { ...base, version, key: requested, state: 'no-codes-yet', reason: version ? `value set ${requested} is not in the store` : `value set ${url} is not in the store yet` };
    }
    const { expansion: _e, meta: _m, text: _t, ...definition } = vs as ValueSet & { meta?: unknown };
    const resolved = { ...base, version: vs.version, key: canonical(url, vs.version), title: vs.title ?? vs.name, definition: definition as ValueSet };
    const parameters: ParametersParameter[] = [
      { name: 'url', valueUri: url },
      { name: 'excludeNested', valueBoolean: true },
      { name: 'includeDesignations', valueBoolean: true },
      // a release is for Swedish case systems: the display in Swedish where the code system has
      // one (ISO 3166 countries, languages), else the code system's own
      { name: 'displayLanguage', valueCode: 'sv' },
    ];
    if (vs.version) parameters.push({ name: 'valueSetVersion', valueString: vs.version });
    let expanded: ValueSet;
    try {
      expanded = this.engine.expand({ parameters, txResources: [] });
    } catch (e) {
      if (!(e instanceof TerminologyError)) throw e;
      const tooLarge = e.issues.some((i) => i.code === 'too-costly');
      const missing = e.unknownSystems.length ? `code system ${e.unknownSystems.join(', ')} is not imported yet` : e.message;
      return { ...resolved, state: tooLarge ? 'too-large' : 'no-codes-yet', reason: tooLarge ? `more than ${this.maxCodes} codes: validate with $validate-code` : missing };
    }
    const codes = flatten(expanded.expansion?.contains).map(codeOf);
    const codeSystems = (expanded.expansion?.parameter ?? []).filter((p) => p.name === 'used-codesystem').map((p) => String(p.valueUri));
    const out = { ...resolved, codeSystems: [...new Set(codeSystems)].sort(), total: codes.length, codes };
    if (codes.length === 0) return { ...out, state: 'no-codes-yet', reason: 'the value set has no codes yet' };
    return { ...out, state: 'expanded' };
  }
}
