import type { ValueSet, ValueSetCompose, ValueSetComposeInclude, ValueSetExpansionContains, ValueSetExpansionParameter, Extension, Coding } from 'fhir/r4';
import { randomUUID } from 'node:crypto';
import type { TerminologyContext } from './context';
import type { CodeSystemProvider, Concept, EnumerationBasis } from './providers/provider';
import { TerminologyError, TxIssue, txIssue } from './issues';
import { formatMessage } from './messages';
import type { TxParameters } from './params';
import { DesignationSet, DesignationEntry } from './designations';
import { canonicalOf, compareVersions } from './versions';
import { circularReference, containedValueSet, missingSupplements, noteSupplements, pinValueSet, resolveCodeSystemVersion, statusWarning, valueSetKey } from './resolution';
import { TextFilter } from './text-filter';
import { PagedExpansion, PagedSelection } from './paged-expansion';
import { CONCEPT_PROPERTIES, EXT_VS_SUPPLEMENT, Entry, ExpansionProperties, renderEntry } from './expansion-entry';

export const EXT_EXPANSION_PARAMETER = [
  'http://hl7.org/fhir/StructureDefinition/valueset-expansion-parameter',
  'http://hl7.org/fhir/tools/StructureDefinition/valueset-expansion-parameter',
];

/**
 * Does a compose name one code system with more than one version (an unversioned entry counts as
 * one)? Its members are then told apart by version, and exclusions match by version (or by code,
 * with versionsMatch), so membership is what the expansion says.
 */
export function namesSeveralVersions(compose: ValueSetCompose): boolean {
  const versions = new Map<string, Set<string>>();
  for (const entry of [...(compose.include ?? []), ...(compose.exclude ?? [])]) {
    if (!entry.system) continue;
    const set = versions.get(entry.system) ?? new Set<string>();
    set.add(entry.version ?? '');
    if (set.size > 1) return true;
    versions.set(entry.system, set);
  }
  return false;
}

const EXT_R5_COMPOSE_PROPERTY = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.property';
const EXT = 'http://hl7.org/fhir/StructureDefinition/';

export interface ExpansionLimits {
  /** most codes an unpaged expansion may hold */
  maxCodes: number;
  /** deadline (epoch ms) after which the expansion is refused as too costly */
  deadline?: number;
  /** false: never the streamed path (paged-expansion.ts) */
  paged?: boolean;
}

/** Thrown inside the expander to stop once the requested page is full. */
class PageFull extends Error {}

/**
 * Expands a ValueSet (compose → expansion) against the code systems visible in a context.
 * The rules follow the FHIR R4 specification and the HL7 terminology ecosystem's conformance
 * suite (parameter echoes, used-codesystem, hierarchy, paging, designations, properties).
 */
export class ValueSetExpander {
  private readonly entries: Entry[] = [];
  private readonly roots: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private readonly excludedKeys = new Set<string>();
  private readonly excludedSystems = new Set<string>();
  private readonly outParams: ValueSetExpansionParameter[] = [];
  private readonly properties = new ExpansionProperties();
  private readonly supplementsUsed = new Set<string>();
  private readonly supplementCanonicals = new Set<string>();
  private canBeHierarchy = true;
  private totalKnown = true;
  private doingVersion = false;
  private hasExclusions = false;
  private textFilter?: TextFilter;
  /** the expansion draws on a code-system fragment: it says so (unclosed, with the reason), its codes and total stay as found */
  private fragmentReason?: string;
  /** an include of a code system with a grammar selected an open set (expressions): flagged, flat, total kept */
  private openSelection?: { reason?: string };
  private requiredSupplements: string[] = [];
  private rootVs?: ValueSet;
  /** the include being listed takes a whole code system (no concept list, filter or text filter) */
  private listingWholeSystem = false;
  /** the streamed path (paged in SQL), when the definition qualifies; `paged` is the page it gave */
  private pager?: PagedExpansion;
  private paged?: PagedSelection;

  constructor(
    private readonly ctx: TerminologyContext,
    private readonly params: TxParameters,
    private readonly limits: ExpansionLimits,
    /** the chain of value sets being expanded, for circularity detection */
    private readonly chain: string[] = [],
    /** nested expansions (imports) are never paged and report no echoes of their own */
    private readonly nested = false,
  ) {}

  /** Applies a value set's expansion-parameter extensions and language (request values win). */
  static seeValueSet(vs: ValueSet, params: TxParameters): void {
    for (const ext of vs.compose?.extension ?? []) {
      if (!EXT_EXPANSION_PARAMETER.includes(ext.url)) continue;
      const name = ext.extension?.find((e) => e.url === 'name');
      const value = ext.extension?.find((e) => e.url === 'value');
      const n = name?.valueCode ?? name?.valueString;
      if (n && value) params.see(n, { name: n, ...valueOnly(value) }, false);
    }
    params.seeValueSetLanguage(vs.language);
  }

  expand(vs: ValueSet): ValueSet {
    const key = valueSetKey(vs);
    if (key && this.chain.includes(key)) {
      throw circularReference(key, this.chain);
    }
    this.rootVs = vs;
    ValueSetExpander.seeValueSet(vs, this.params);
    // the properties the value set asks to return (R5 compose.property; in R4 its extension),
    // when the client asked for none ('*': all of them); an import's own list is not consulted
    if (!this.nested && this.params.properties.length === 0) {
      for (const want of composeProperties(vs)) this.params.see('property', { name: 'property', valueString: want }, false);
    }
    this.requiredSupplements = [
      ...this.params.useSupplements,
      ...(vs.extension ?? []).filter((e) => e.url === EXT_VS_SUPPLEMENT).map((e) => e.valueCanonical ?? e.valueUri ?? ''),
    ].filter(Boolean);
    if (!this.nested && this.params.filter !== undefined) {
      const tf = new TextFilter(this.params.filter);
      if (!tf.isEmpty) this.textFilter = tf;
    }
    if (this.params.excludeNested) this.canBeHierarchy = false;
    const offset = this.nested ? undefined : this.params.offset;
    const count = this.nested ? undefined : this.params.count;
    if (offset !== undefined && offset > 0) this.canBeHierarchy = false;

    this.echoParameters(vs, offset, count);
    if (!this.nested && this.limits.paged !== false) this.pager = PagedExpansion.forRequest(this.params, vs, this.limits.maxCodes, this.textFilter);

    const chain = [...this.chain, key];
    try {
      if (vs.compose) {
        if (vs.compose.lockedDate) {
          // a locked date would need the code-system versions as of that date, which we cannot honour
          throw TerminologyError.of(
            { severity: 'error', code: 'business-rule', txType: 'business-rule', text: `Cannot process ValueSet ${vs.url} due to the presence of a lockedDate on the compose` },
            422,
          );
        }
        this.handleCompose(vs, chain, offset, count);
      } else if (vs.expansion) {
        for (const c of flattenContains(vs.expansion.contains ?? [])) if (!c.system || !this.params.excludesSystem(c.system, c.version)) this.addImported(c, undefined);
        this.canBeHierarchy = false;
      }
    } catch (e) {
      if (!(e instanceof PageFull)) throw e;
      this.totalKnown = false;
    }

    const missing = missingSupplements(this.requiredSupplements, this.supplementsUsed);
    if (missing) throw missing;
    return this.buildResult(vs, offset, count);
  }

  private echoParameters(vs: ValueSet, offset?: number, count?: number): void {
    if (this.nested) return;
    const p = this.params;
    if (p.context) this.addParam({ name: 'context', valueUri: p.context });
    if (p.context && p.contextDirection) this.addParam({ name: 'contextDirection', valueCode: p.contextDirection });
    if (this.textFilter) this.addParam({ name: 'filter', valueString: this.params.filter!.toLowerCase() });
    for (const x of p.excludedSystems) this.addParam({ name: 'exclude-system', valueUri: canonicalOf(x.url, x.version) });
    const lang = p.displayLanguage ?? p.httpLanguage;
    if (lang && !lang.isEmpty()) this.addParam({ name: 'displayLanguage', valueCode: lang.asParameter() });
    for (const d of p.designations) this.addParam({ name: 'designation', valueString: d });
    for (const b of ['excludeNested', 'activeOnly', 'includeDesignations', 'includeDefinition', 'excludeNotForUI', 'excludePostCoordinated'] as const) {
      if (p.isSet(b)) this.addParam({ name: b, valueBoolean: p.bool(b) });
    }
    // the day whose definitions were used (a date is a valid dateTime)
    if (p.asOf) this.addParam({ name: 'date', valueDateTime: p.asOf });
    const w = statusWarning(vs, vs);
    if (w) this.addParam({ name: w, valueUri: canonicalOf(vs.url ?? '', vs.version) });
    if (offset !== undefined) this.addParam({ name: 'offset', valueInteger: offset });
    if (count !== undefined) this.addParam({ name: 'count', valueInteger: count });
  }

  private addParam(p: ValueSetExpansionParameter): void {
    const v = primitiveOf(p);
    if (this.outParams.some((x) => x.name === p.name && primitiveOf(x) === v)) return;
    this.outParams.push(p);
  }

  private checkTime(): void {
    if (this.limits.deadline !== undefined && Date.now() > this.limits.deadline) {
      throw TerminologyError.of(
        txIssue('error', 'too-costly', undefined, 'VALUESET_TOO_COSTLY_TIME', [this.rootVsName(), Math.round((this.limits.deadline - Date.now()) / 1000), 'expansion']),
        422,
      );
    }
  }

  /** The value set a refusal names: its url, or '??' for one sent without a url (as tx.fhir.org writes it). */
  private rootVsName(): string {
    return this.rootVs?.url || '??';
  }

  /**
   * The refusal of an expansion past the limit. As the reference servers word it, a limit reached
   * listing a whole code system names the value set with its version (url|version); one reached
   * listing a concept list, a filter's or a text search's matches names its url alone.
   */
  private tooCostly(wholeSystem = this.listingWholeSystem): TerminologyError {
    const name = wholeSystem && this.rootVs?.url ? canonicalOf(this.rootVs.url, this.rootVs.version) : this.rootVsName();
    return TerminologyError.of(txIssue('error', 'too-costly', undefined, 'VALUESET_TOO_COSTLY', [name, '>' + this.limits.maxCodes]), 422);
  }

  private handleCompose(vs: ValueSet, chain: string[], offset?: number, count?: number): void {
    const compose = vs.compose!;
    const includes = compose.include ?? [];
    const excludes = compose.exclude ?? [];
    // the same system named with different versions: entries carry their version
    if (namesSeveralVersions(compose)) this.doingVersion = true;
    this.hasExclusions = excludes.length > 0;
    // a whole code system is counted without listing it only when nothing can take codes away or repeat them
    const systems = includes.map((inc) => inc.system);
    this.countsWithoutListing = !this.hasExclusions && !this.doingVersion && new Set(systems).size === systems.length;
    this.versionsMatch = this.params.bool('versionsMatch');
    if (!this.params.isSet('versionsMatch') && this.isExclusionVersionSpecialCase(includes, excludes)) {
      // "all of version 2 except what version 1 had": matched by code, whatever the version
      this.versionsMatch = true;
      this.excludeByCode = true;
    }
    if (this.versionsMatch && !this.nested) this.addParam({ name: 'versionsMatch', valueBoolean: true });

    // check every import and code system up front: a bad reference anywhere fails the whole expansion
    for (const inc of [...includes, ...excludes]) this.checkSource(inc, offset, count);

    for (const exc of excludes) this.excludeCodes(vs, exc, chain);

    const ordered = [...includes];
    ordered.sort((a, b) => (a.system && a.system === b.system && a.version && b.version ? -compareVersions(a.version, b.version) : 0));
    ordered.forEach((inc, i) => this.includeCodes(vs, inc, includes.indexOf(inc) >= 0 ? includes.indexOf(inc) : i, chain, offset, count));
  }

  private versionsMatch = false;
  private excludeByCode = false;

  /** Every include and exclude names the same system with a version, and no exclude version is an include version. */
  private isExclusionVersionSpecialCase(includes: ValueSetComposeInclude[], excludes: ValueSetComposeInclude[]): boolean {
    if (excludes.length === 0) return false;
    const all = [...includes, ...excludes];
    const system = all[0].system;
    if (!system || !all.every((x) => x.system === system && x.version && !x.valueSet)) return false;
    const incVersions = new Set(includes.map((x) => x.version));
    return excludes.every((x) => !incVersions.has(x.version));
  }

  private checkSource(inc: ValueSetComposeInclude, offset?: number, count?: number): void {
    for (const u of inc.valueSet ?? []) {
      const { url, version } = pinValueSet(this.params, u);
      if (url.startsWith('#')) continue;
      if (!this.ctx.findValueSet(url, version)) {
        throw TerminologyError.of(
          version
            ? txIssue('error', 'not-found', 'not-found', 'VS_EXP_IMPORT_UNK_PINNED', [url, version])
            : txIssue('error', 'not-found', 'not-found', 'VS_EXP_IMPORT_UNK', [url]),
          422,
        );
      }
    }
    if (!inc.system) return;
    const resolved = resolveCodeSystemVersion(this.params, inc.system, inc.version);
    const cs = this.ctx.codeSystemResource(inc.system, resolved.version);
    if (!cs) return; // reported by includeCodes (excludes of unknown systems are ignored)
    // a stub whose codes a provider serves (UCUM, BCP-47, ...) has content after all
    if (cs.content === 'not-present' && this.ctx.findCodeSystem(inc.system, resolved.version)?.info.content !== 'complete') {
      throw TerminologyError.of(
        { severity: 'error', code: 'business-rule', txType: 'business-rule', text: `The code system definition for ${inc.system} has no content, so this expansion cannot be performed` },
        422,
      );
    }
    if (!inc.concept && !inc.filter && !this.textFilter && !inc.valueSet && count !== 0 && this.limits.maxCodes > 0 && !this.hasExclusions) {
      const pagedWithin = count !== undefined && count > 0 && count + Math.max(offset ?? 0, 0) <= this.limits.maxCodes;
      if (!pagedWithin) {
        const provider = this.ctx.findCodeSystem(inc.system, resolved.version, this.supplementsFor(inc));
        if (provider && provider.totalCount() > this.limits.maxCodes) throw this.tooCostly(true);
      }
    }
  }

  private supplementsFor(inc: ValueSetComposeInclude): string[] {
    const own = (inc.extension ?? []).filter((e) => e.url === EXT_VS_SUPPLEMENT).map((e) => e.valueCanonical ?? '');
    return [...this.requiredSupplements, ...own].filter(Boolean);
  }

  /** Resolves the code system of an include (applying version rules), or fails the expansion. */
  private providerFor(inc: ValueSetComposeInclude, mustExist: boolean): CodeSystemProvider | undefined {
    const system = inc.system!;
    const resolved = resolveCodeSystemVersion(this.params, system, inc.version);
    for (const r of resolved.applied) this.recordVersionRule(r);
    const provider = this.ctx.findCodeSystem(system, resolved.version, this.supplementsFor(inc));
    if (!provider) {
      if (!mustExist) return undefined;
      const supplement = this.ctx.findSupplement(system, resolved.version);
      if (supplement) {
        throw TerminologyError.of(
          { severity: 'error', code: 'business-rule', txType: 'business-rule', text: `The code system definition for ${system} defines a supplement, so this expansion cannot be performed` },
          422,
        );
      }
      const known = this.ctx.codeSystemVersions(system);
      const issue = !resolved.version
        ? txIssue('error', 'not-found', 'not-found', 'UNKNOWN_CODESYSTEM_EXP', [system])
        : known.length === 0
          ? txIssue('error', 'not-found', 'not-found', 'UNKNOWN_CODESYSTEM_VERSION_EXP_NONE', [system, resolved.version])
          : txIssue('error', 'not-found', 'not-found', 'UNKNOWN_CODESYSTEM_VERSION_EXP', [system, resolved.version, presentVersions(known)]);
      throw new TerminologyError([issue], 422, [canonicalOf(system, resolved.version)]);
    }
    resolved.check(provider.info.version);
    for (const s of provider.info.supplements) this.supplementCanonicals.add(s);
    noteSupplements(this.supplementsUsed, provider.info.supplements);
    return provider;
  }

  private recordVersionRule(r: { parameter: string; system: string; version: string }): void {
    this.pendingRuleEchoes.push({ name: r.parameter, valueUri: canonicalOf(r.system, r.version) });
  }
  private readonly pendingRuleEchoes: ValueSetExpansionParameter[] = [];

  private usedCodeSystem(p: CodeSystemProvider): void {
    const c = canonicalOf(p.info.url, p.info.version);
    this.addParam({ name: 'used-codesystem', valueUri: c });
    const w = statusWarning(
      { status: p.info.status, experimental: p.info.experimental, extension: p.info.standardsStatus ? [{ url: EXT + 'structuredefinition-standards-status', valueCode: p.info.standardsStatus }] : undefined },
      this.rootVs!,
    );
    if (w) this.addParam({ name: w, valueUri: c });
    if (p.info.content === 'fragment') {
      // a fragment is reported as 'used-fragment', right after its used-codesystem (the
      // reference server's expander: the content-mode-named parameter is for other partial modes)
      this.addParam({ name: 'used-fragment', valueUri: c });
      this.fragmentReason ??= formatMessage('VALUESET_UNCLOSED_FRAGMENT', [p.info.url]);
    }
  }

  /** Expands an imported value set with the same options (no paging), following the chain. */
  private importValueSet(vs: ValueSet, ref: string, chain: string[]): { expansion: ValueSet; contains: ValueSetExpansionContains[] } {
    const pinned = pinValueSet(this.params, ref);
    const { url, version } = pinned;
    let target: ValueSet | undefined;
    if (url.startsWith('#')) target = containedValueSet(vs, url);
    else target = this.ctx.findValueSet(url, version);
    if (!target) {
      throw TerminologyError.of(
        version ? txIssue('error', 'not-found', 'not-found', 'VS_EXP_IMPORT_UNK_PINNED', [url, version]) : txIssue('error', 'not-found', 'not-found', 'VS_EXP_IMPORT_UNK', [url]),
        422,
      );
    }
    pinned.check(target.version);
    for (const r of pinned.applied) this.recordVersionRule(r);
    const nested = new ValueSetExpander(this.ctx, this.params.forImport(), { ...this.limits, maxCodes: Math.max(this.limits.maxCodes, 10000) }, chain, true);
    const expansion = nested.expand(target);
    if (!url.startsWith('#')) this.addParam({ name: 'used-valueset', valueUri: canonicalOf(target.url ?? url, target.version) });
    const w = statusWarning(target, this.rootVs!);
    if (w) this.addParam({ name: w, valueUri: canonicalOf(target.url ?? url, target.version) });
    return { expansion, contains: flattenContains(expansion.expansion?.contains ?? []) };
  }

  private includeCodes(vs: ValueSet, inc: ValueSetComposeInclude, index: number, chain: string[], offset?: number, count?: number): void {
    this.listingWholeSystem = !!inc.system && !inc.concept && !inc.filter && !this.textFilter;
    try {
      this.includeCodesOf(vs, inc, index, chain, offset, count);
    } finally {
      this.listingWholeSystem = false;
    }
  }

  private includeCodesOf(vs: ValueSet, inc: ValueSetComposeInclude, index: number, chain: string[], offset?: number, count?: number): void {
    this.checkTime();
    if (inc.valueSet?.length || inc.concept?.length || (inc.filter?.length ?? 0) > 1) this.canBeHierarchy = false;
    const imports = (inc.valueSet ?? []).map((u) => this.importValueSet(vs, u, chain));
    const importKeys = imports.map((i) => new Set(i.contains.map((c) => `${c.system}|${c.code}`)));
    const passesImports = (system: string, code: string, from = 0) => importKeys.slice(from).every((s) => s.has(`${system}|${code}`));

    if (!inc.system) {
      if (imports.length === 0) return;
      const [first] = imports;
      if (inc.valueSet!.length === 1 || true) {
        for (const p of first.expansion.expansion?.parameter ?? []) this.addParam(p);
        this.properties.declareFrom(first.expansion);
      }
      for (const c of first.contains) {
        if (!c.system || !c.code) continue;
        if (!passesImports(c.system, c.code, 1)) continue;
        if (this.textFilter && !this.textFilter.passes([c.display, c.code, ...(c.designation ?? []).map((d) => d.value)])) continue;
        this.addImported(c, undefined);
      }
      return;
    }

    const provider = this.providerFor(inc, true)!;
    // exclude-system: the request leaves this code system (or this version of it) out, so none of
    // the include's codes are listed, counted or paged, and it is not among those used
    if (this.params.excludesSystem(provider.info.url, provider.info.version)) return;
    this.usedCodeSystem(provider);
    provider.assertEnumerable?.(inc);
    const open = provider.openSelection?.(inc, this.params.bool('excludePostCoordinated'));
    if (open !== undefined) this.openSelection = { reason: open || this.openSelection?.reason };
    const excludeInactive = vs.compose?.inactive === false;

    const mayNest = this.canBeHierarchy && !this.openSelection && !(this.textFilter && !inc.filter);
    const paged = this.pager?.select(provider, inc, excludeInactive, mayNest);
    if (paged) {
      this.canBeHierarchy = false;
      this.paged = paged;
      for (const c of paged.concepts) this.includeConcept(provider, c, undefined, undefined, excludeInactive);
      if (paged.statusBeyondPage) this.properties.declare('status', CONCEPT_PROPERTIES + '#status');
      return;
    }

    if (!inc.concept && !inc.filter) {
      // the whole code system
      if (provider.enumerationBasis) this.listBasis(provider.enumerationBasis);
      if (count === 0 && imports.length === 0 && !this.textFilter && this.countsWithoutListing && !excludeInactive && !this.params.bool('excludeNotForUI')) {
        // count=0 asks only for the total: count, do not build the concepts
        let n = provider.totalCount();
        if (this.params.activeOnly) for (const c of provider.all()) if (provider.status(c).inactive) n--;
        this.zeroCountTotal += n;
        return;
      }
      if (this.textFilter) this.canBeHierarchy = false;
      if (this.textFilter && provider.search) {
        // an indexed code system: find the matches instead of walking every concept
        for (const c of provider.search(this.params.filter!).concepts()) {
          this.checkTime();
          if (this.leftOutByRequest(provider.status(c))) continue;
          if (passesImports(provider.info.url, c.code) && this.passesText(c)) this.includeConcept(provider, c, undefined, undefined, excludeInactive, offset, count);
        }
        return;
      }
      const visited = new Set<Concept>();
      const walk = (c: Concept, parent: Entry | undefined) => {
        if (visited.has(c)) {
          this.canBeHierarchy = false;
          return;
        }
        visited.add(c);
        const st = provider.status(c);
        const skip = this.leftOutByRequest(st);
        let here = parent;
        if (!skip && passesImports(provider.info.url, c.code) && this.passesText(c)) {
          const e = this.includeConcept(provider, c, undefined, parent, excludeInactive, offset, count);
          here = e ?? (excludeInactive && st.inactive ? undefined : parent);
        }
        for (const child of c.children) walk(child, here);
      };
      for (const r of provider.roots()) walk(r, undefined);
      return;
    }

    if (inc.concept) {
      for (const cc of inc.concept) {
        this.checkTime();
        const c = provider.locate(cc.code).concept;
        if (!c) continue;
        if (this.leftOutByRequest(provider.status(c))) continue;
        if (!passesImports(provider.info.url, cc.code)) continue;
        if (this.textFilter) {
          const texts = [cc.code, cc.display, c.display, ...c.designations.map((d) => d.value), ...(cc.designation ?? []).map((d) => d.value)];
          if (!this.textFilter.passes(texts)) continue;
        }
        this.includeConcept(provider, c, cc, undefined, excludeInactive, offset, count);
      }
    }

    if (inc.filter?.length) {
      const prepared = inc.filter.map((f, j) => {
        if (f.value === undefined || f.value === null || f.value === '') {
          throw TerminologyError.of(
            txIssue('error', 'invalid', 'vs-invalid', 'UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE', [provider.info.url, f.property, f.op], `ValueSet.compose.include[${index}].filter[${j}]`),
            400,
          );
        }
        return provider.filter(f.property, opOf(f), f.value);
      });
      // enumerate what the filters select together (a grammar's), else the most selective filter; test the others
      const joint = provider.enumerateFilters?.(inc.filter.map((f) => ({ property: f.property, op: opOf(f), value: f.value })));
      const [first, ...rest] = joint ? [joint, ...prepared] : [...prepared].sort((a, b) => a.estimate - b.estimate);
      // an open (grammar) selection is never shown as a hierarchy: do not read parents for it
      const hierarchical = prepared.length === 1 && !this.openSelection;
      const added = new Map<Concept, Entry>();
      for (const c of first.concepts()) {
        this.checkTime();
        if (!rest.every((f) => f.includes(c))) continue;
        if (this.leftOutByRequest(provider.status(c))) continue;
        if (!passesImports(provider.info.url, c.code)) continue;
        if (!this.passesText(c)) continue;
        const parentEntry = hierarchical ? c.parents.map((p) => added.get(p)).find((e) => e) : undefined;
        const e = this.includeConcept(provider, c, undefined, parentEntry, excludeInactive, offset, count);
        if (e) added.set(c, e);
      }
    }
  }

  /**
   * A code the request leaves out however the value set selects it (whole system, listed codes or
   * filters): an inactive one with activeOnly, an abstract (not selectable) one with excludeNotForUI.
   */
  private leftOutByRequest(st: { abstract?: boolean; inactive?: boolean }): boolean {
    return (this.params.bool('excludeNotForUI') && !!st.abstract) || (this.params.activeOnly && !!st.inactive);
  }

  private zeroCountTotal = 0;
  private countsWithoutListing = false;

  /**
   * A system with a grammar is listed by its basis value set: incomplete (its openSelection says
   * why), with no total (the system has none), and warned about as an import would be.
   */
  private listBasis(basis: EnumerationBasis): void {
    this.totalKnown = false;
    const w = statusWarning(basis, this.rootVs!);
    if (w) this.addParam({ name: w, valueUri: canonicalOf(basis.url, basis.version) });
  }

  private passesText(c: Concept): boolean {
    if (!this.textFilter) return true;
    // inactive descriptions are kept for display checks, not found by text search (as in the text index)
    return this.textFilter.passes([c.code, c.display, ...c.designations.filter((d) => d.status !== 'inactive').map((d) => d.value)]);
  }

  private excludeCodes(vs: ValueSet, exc: ValueSetComposeInclude, chain: string[]): void {
    if (!exc.system) {
      const imports = (exc.valueSet ?? []).map((u) => this.importValueSet(vs, u, chain));
      if (imports.length === 0) return;
      // what an excluded value set takes away leaves the count open, as the reference servers
      // report it: an expansion less an imported value set has no total (and is listed flat)
      this.totalKnown = false;
      this.canBeHierarchy = false;
      const others = imports.slice(1).map((i) => new Set(i.contains.map((c) => `${c.system}|${c.code}`)));
      for (const c of imports[0].contains) {
        if (c.system && c.code && others.every((s) => s.has(`${c.system}|${c.code}`))) this.excludedKeys.add(this.key(c.system, c.version, c.code));
      }
      return;
    }
    const provider = this.providerFor(exc, false);
    if (!provider) return;
    this.addParam({ name: 'used-codesystem', valueUri: canonicalOf(provider.info.url, provider.info.version) });
    const imports = (exc.valueSet ?? []).map((u) => this.importValueSet(vs, u, chain));
    const inImports = (code: string) => imports.every((i) => i.contains.some((c) => c.system === provider.info.url && c.code === code));
    const version = this.doingVersion ? provider.info.version : undefined;
    if (!exc.concept && !exc.filter) {
      if (imports.length === 0 && !this.excludeByCode) {
        this.excludedSystems.add(this.doingVersion && exc.version ? canonicalOf(provider.info.url, provider.info.version) : provider.info.url);
      } else {
        for (const c of provider.all()) if (inImports(c.code)) this.excludedKeys.add(this.key(provider.info.url, version, c.code));
      }
      return;
    }
    for (const cc of exc.concept ?? []) {
      const c = provider.locate(cc.code).concept;
      this.excludedKeys.add(this.key(provider.info.url, version, c?.code ?? cc.code));
    }
    if (exc.filter?.length) {
      const prepared = exc.filter.map((f) => provider.filter(f.property, opOf(f), f.value ?? ''));
      const [first, ...rest] = prepared;
      for (const c of first.concepts()) {
        if (rest.every((f) => f.includes(c)) && inImports(c.code)) this.excludedKeys.add(this.key(provider.info.url, version, c.code));
      }
    }
  }

  private key(system: string, version: string | undefined, code: string): string {
    return this.doingVersion && !this.versionsMatch && version ? `${system}|${version}#${code}` : `${system}#${code}`;
  }

  private isExcluded(system: string, version: string | undefined, code: string): boolean {
    if (this.excludedSystems.has(system) || (version && this.excludedSystems.has(canonicalOf(system, version)))) return true;
    return this.excludedKeys.has(this.key(system, version, code)) || this.excludedKeys.has(`${system}#${code}`);
  }

  private guardSize(offset?: number, count?: number): void {
    if (this.limits.maxCodes > 0 && this.entries.length >= this.limits.maxCodes && !this.hasExclusions) {
      if (count !== undefined && count >= 0 && this.entries.length >= count + Math.max(offset ?? 0, 0)) throw new PageFull();
      throw this.tooCostly();
    }
  }

  /** Adds a concept of a code system to the expansion (undefined when it is left out). */
  private includeConcept(
    provider: CodeSystemProvider,
    c: Concept,
    vsConcept: { code: string; display?: string; designation?: any[]; extension?: Extension[] } | undefined,
    parent: Entry | undefined,
    excludeInactive: boolean,
    offset?: number,
    count?: number,
  ): Entry | undefined {
    const info = provider.info;
    const st = provider.status(c);
    if (st.inactive && excludeInactive) return undefined;
    const version = this.doingVersion ? info.version : undefined;
    const code = vsConcept?.code ?? c.code;
    if (this.isExcluded(info.url, info.version, code)) return undefined;
    this.guardSize(offset, count);
    const key = this.key(info.url, version, code);
    if (this.byKey.has(key)) {
      this.canBeHierarchy = false;
      return undefined;
    }

    // every term decides the display; a kind that shows fewer designations (Snomed CT) lists those,
    // its display being one of its descriptions rather than a designation of its own
    const termsOf = (designations: typeof c.designations, withDisplay = true) => {
      const s = new DesignationSet();
      s.addConcept({ display: withDisplay ? c.display : undefined, designations }, info.language);
      if (vsConcept?.display) s.addDisplay(vsConcept.display, this.rootVs?.language);
      for (const d of vsConcept?.designation ?? []) s.addDesignation(d);
      return s;
    };
    const set = termsOf(c.designations);
    const shown = provider.expansionDesignations ? termsOf(provider.expansionDesignations(c), false) : set;

    const langs = this.params.workingLanguages();
    // a display given by the value set for this concept wins when no language was asked for
    let chosen: DesignationEntry | undefined;
    if (vsConcept?.display && (!langs || langs.isEmpty())) chosen = set.items.find((d) => d.isDisplay && d.value === vsConcept.display);
    chosen = chosen ?? set.preferred(langs);

    const entry: Entry = {
      system: info.url,
      version,
      code,
      display: chosen?.value,
      abstract: st.abstract || undefined,
      inactive: st.inactive || undefined,
      designations: [],
      properties: [],
      extensions: [],
      children: [],
    };
    if (this.params.includeDesignations) {
      const isChosen = (d: DesignationEntry) => d === chosen || (!!chosen && d.value === chosen.value && d.language === chosen.language && d.isDisplay === chosen.isDisplay && d.use?.code === chosen.use?.code);
      entry.designations = shown.items.filter((d) => !isChosen(d) && d.value && this.wantDesignation(d));
    }
    const status = st.status && st.status.toLowerCase() !== 'active' ? st.status : undefined;
    if (status) this.properties.set(entry, 'status', 'valueCode', status, CONCEPT_PROPERTIES + '#status');
    this.properties.fromExtensions(entry, c.extensions, vsConcept?.extension ?? []);
    for (const want of this.params.properties) this.properties.addRequested(provider, c, entry, want);

    if (this.textFilter) entry.rank = this.textFilter.rank(code, c.display);

    this.byKey.set(key, entry);
    this.entries.push(entry);
    if (parent) parent.children.push(entry);
    else this.roots.push(entry);
    return entry;
  }

  /**
   * Whether a designation is one `designation` asks for: a token, [system]|[code] or a bare code
   * (of any system), naming a language (urn:ietf:bcp:47) or a use.
   */
  private wantDesignation(d: DesignationEntry): boolean {
    const wanted = this.params.designations;
    if (wanted.length === 0) return true;
    return wanted.some((w) => {
      const bar = w.indexOf('|');
      const system = bar < 0 ? undefined : w.slice(0, bar);
      const code = bar < 0 ? w : w.slice(bar + 1);
      if ((system === undefined || system === 'urn:ietf:bcp:47') && !!d.language && d.language.toLowerCase() === code.toLowerCase()) return true;
      return !!d.use && (system === undefined || d.use.system === system) && d.use.code === code;
    });
  }

  /** Adds a code copied from another expansion (imports). */
  private addImported(c: ValueSetExpansionContains, parent: Entry | undefined): void {
    if (!c.system || !c.code) return;
    if (this.isExcluded(c.system, c.version, c.code)) return;
    this.guardSize(this.params.offset, this.params.count);
    const key = this.key(c.system, c.version, c.code);
    if (this.byKey.has(key)) return;
    const { contains: _children, ...copy } = c;
    const entry: Entry = {
      system: c.system,
      version: c.version,
      code: c.code,
      display: c.display,
      rank: this.textFilter?.rank(c.code, c.display),
      designations: [],
      properties: [],
      extensions: [],
      children: [],
      imported: copy,
    };
    this.byKey.set(key, entry);
    this.entries.push(entry);
    if (parent) parent.children.push(entry);
    else this.roots.push(entry);
    this.canBeHierarchy = false;
  }

  private buildResult(vs: ValueSet, offset?: number, count?: number): ValueSet {
    // the expansion is about codes: narrative, definition texts and extensions of the definition
    // stay with the definition, unless the client asked for the definition too
    const { id: _id, text: _text, expansion: _old, meta: _meta, ...all } = vs as any;
    const { compose: _compose, extension: _ext, contained: _contained, description: _d, purpose: _p, copyright: _c, ...rest } = all;
    const result: ValueSet = this.params.includeDefinition ? all : rest;

    for (const s of this.supplementCanonicals) this.addParam({ name: 'used-supplement', valueUri: s });
    for (const p of this.pendingRuleEchoes) this.addParam(p);

    const hierarchy = this.canBeHierarchy && (count === undefined || count < 0 || count > this.entries.length) && !this.openSelection;
    // the best text matches first (the code, then the display exactly), each group in expansion order
    if (this.textFilter && !hierarchy && !this.paged) this.entries.sort((a, b) => (a.rank ?? 2) - (b.rank ?? 2));
    const top = hierarchy ? this.roots : this.entries;
    // a streamed page is the page already
    const from = this.paged ? 0 : Math.max(offset ?? 0, 0);
    const page = count !== undefined && count >= 0 ? top.slice(from, from + count) : top.slice(from);

    const expansion: NonNullable<ValueSet['expansion']> = {
      identifier: 'urn:uuid:' + randomUUID(),
      timestamp: new Date().toISOString(),
    };
    if (this.outParams.length) expansion.parameter = this.outParams;
    if (offset !== undefined && !this.nested) expansion.offset = offset;
    const extensions: Extension[] = [];
    if (this.fragmentReason || this.openSelection) extensions.push({ url: EXT + 'valueset-unclosed', valueBoolean: true });
    const reason = this.openSelection?.reason || this.fragmentReason;
    if (reason) extensions.push({ url: EXT + 'valueset-unclosed-reason', valueString: reason });
    extensions.push(...this.properties.declarations());
    if (extensions.length) expansion.extension = extensions;
    if (this.paged) {
      if (this.paged.total !== undefined) expansion.total = this.paged.total;
    } else if (this.totalKnown) expansion.total = count === 0 ? this.zeroCountTotal + this.entries.length : this.entries.length;
    const contains = page.map((e) => renderEntry(e, hierarchy));
    if (contains.length) expansion.contains = contains;
    result.expansion = expansion;
    return result;
  }

}

function opOf(f: { op?: string; _op?: any }): string {
  if (f.op) return f.op;
  // R4 carries R5-only operators (child-of, descendent-leaf) in an extension on _op
  const ext = (f._op?.extension ?? []).find((e: Extension) => e.url === 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.include.filter.op');
  return ext?.valueCode ?? '';
}

function valueOnly(ext: Extension): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(ext)) if (k.startsWith('value')) out[k] = v;
  return out;
}

function primitiveOf(p: ValueSetExpansionParameter): unknown {
  for (const [k, v] of Object.entries(p)) if (k.startsWith('value')) return v;
  return undefined;
}

function flattenContains(list: ValueSetExpansionContains[]): ValueSetExpansionContains[] {
  const out: ValueSetExpansionContains[] = [];
  const walk = (l: ValueSetExpansionContains[]) => {
    for (const c of l) {
      out.push(c);
      if (c.contains) walk(c.contains);
    }
  };
  walk(list);
  return out;
}

/** "a", "a or b", "a, b and c": version lists in messages. */
export function presentVersions(versions: string[]): string {
  const v = [...versions].sort();
  if (v.length <= 1) return v[0] ?? '';
  if (v.length === 2) return `${v[0]} or ${v[1]}`;
  return v.slice(0, -1).join(', ') + ' and ' + v[v.length - 1];
}

export type { Coding, TxIssue };

/**
 * ValueSet.compose.property (R5): the properties an expansion returns when the client names none,
 * each a property code or URI of the code system, or '*' for all. An R4 value set carries them as
 * the R5 cross-version extension on compose; an R5-shaped compose carries them as the element.
 */
export function composeProperties(vs: ValueSet): string[] {
  const compose = vs.compose as (ValueSet['compose'] & { property?: unknown }) | undefined;
  if (!compose) return [];
  const out: string[] = [];
  if (Array.isArray(compose.property)) for (const p of compose.property) if (typeof p === 'string' && p) out.push(p);
  for (const e of compose.extension ?? []) {
    if (e.url !== EXT_R5_COMPOSE_PROPERTY) continue;
    const v = e.valueCode ?? e.valueString ?? e.valueUri;
    if (v) out.push(v);
  }
  return out;
}
