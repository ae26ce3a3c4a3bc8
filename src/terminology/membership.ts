import type { ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import type { TerminologyContext } from './context';
import type { CodeSystemProvider, Concept, LocateResult } from './providers/provider';
import { IssueList, TerminologyError, TxIssue, txIssue } from './issues';
import type { TxParameters } from './params';
import { DesignationSet } from './designations';
import { formatMessage } from './messages';
import { addNormalisationIssue, addToPath } from './display-check';
import { canonicalOf, compareVersions } from './versions';
import { circularReference, containedValueSet, missingSupplements, noteSupplements, pinValueSet, resolveCodeSystemVersion, valueSetKey } from './resolution';
import { ValueSetExpander, namesSeveralVersions, presentVersions } from './expander';
import { EXT_VS_SUPPLEMENT } from './expansion-entry';
import { VersionScope, determineVersion } from './coding-version';

const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';
const VS_DEPRECATED = 'http://hl7.org/fhir/StructureDefinition/valueset-deprecated';

/**
 * Whether a code listed in a value set names the concept a given code was found as: its own
 * code, or, in a code system that is not case-sensitive, that code in any case.
 */
function namesConcept(cs: CodeSystemProvider, listed: string, found: Concept): boolean {
  return listed === found.code || (!cs.info.caseSensitive && listed.toLowerCase() === found.code.toLowerCase()) || !!cs.namesConcept?.(listed, found);
}

/** What the checks of one coding found out; shared across the codings of a CodeableConcept. */
export interface CheckState {
  unknownSystems: Set<string>;
  messages: string[];
  inactive: { value: boolean; path?: string; code?: string };
  status: string;
  normalForm?: string;
  cause: string;
  version?: string;
  contentMode?: string;
  impliedSystem?: string;
  defLang?: string;
  unknownCodes: string[];
  /**
   * The coding being checked was left out by a selection that states membership by itself (a
   * Snomed CT filter): not being a member is all there is to say, its status is not repeated.
   */
  leftOutBySelection?: boolean;
}

export type Tri = boolean | null;

/**
 * Whether a code is in a value set, and what its code system says of it on the way: the checks
 * behind $validate-code (ValueSetValidator answers from what they find). Imports are checked by
 * memberships of their own, prepared (resolved, filters understood) before any code is checked.
 */
export class ValueSetMembership {
  private readonly imports = new Map<string, ValueSetMembership>();
  private readonly requiredSupplements: string[];
  private readonly usedSupplements = new Set<string>();
  /** what the version check of a coding needs of this validation */
  private readonly versionScope: VersionScope;

  constructor(
    protected readonly ctx: TerminologyContext,
    protected readonly params: TxParameters,
    readonly valueSet: ValueSet,
    private readonly chain: string[] = [],
    /** the implicit value set of a CodeSystem $validate-code */
    protected readonly internallyDefined = false,
  ) {
    this.requiredSupplements = [
      ...params.useSupplements,
      ...(valueSet.extension ?? []).filter((e) => e.url === EXT_VS_SUPPLEMENT).map((e) => e.valueCanonical ?? ''),
    ].filter(Boolean);
    this.versionScope = {
      params,
      codeSystemVersions: (system) => ctx.codeSystemVersions(system),
      findCodeSystem: (system, version) => this.findCodeSystem(system, version),
    };
  }

  get vurl(): string {
    return this.valueSet.url ? canonicalOf(this.valueSet.url, this.valueSet.version) : '(unidentified)';
  }

  /** Resolves imports and checks filters before any code is checked. */
  prepare(): void {
    const key = valueSetKey(this.valueSet);
    if (key && this.chain.includes(key)) {
      throw circularReference(key, this.chain);
    }
    ValueSetExpander.seeValueSet(this.valueSet, this.params);
    const chain = [...this.chain, key];
    const compose = this.valueSet.compose;
    if (compose) {
      (compose.include ?? []).forEach((inc, i) => this.prepareConceptSet(`include[${i}]`, inc, chain));
      (compose.exclude ?? []).forEach((exc, i) => this.prepareConceptSet(`exclude[${i}]`, exc, chain));
    }
    const missing = missingSupplements(this.requiredSupplements, this.usedSupplements);
    if (missing) throw missing;
  }

  private prepareConceptSet(desc: string, cc: ValueSetComposeInclude, chain: string[]): void {
    for (const u of cc.valueSet ?? []) {
      if (this.imports.has(u)) continue;
      const pinned = pinValueSet(this.params, u);
      const { url, version } = pinned;
      const other = url.startsWith('#') ? containedValueSet(this.valueSet, url) : this.ctx.findValueSet(url, version);
      if (!other) {
        throw new SoftValidationError(txIssue('error', 'not-found', 'not-found', 'Unable_to_resolve_value_Set_', [canonicalOf(url, version)]));
      }
      pinned.check(other.version);
      const v = new ValueSetMembership(this.ctx, this.params, other, chain);
      v.prepare();
      this.imports.set(u, v);
    }
    if (!cc.system) return;
    const resolved = resolveCodeSystemVersion(this.params, cc.system, cc.version);
    const cs = this.ctx.findCodeSystem(cc.system, resolved.version, this.supplementsFor(cc));
    if (!cs) return;
    noteSupplements(this.usedSupplements, cs.info.supplements);
    (cc.filter ?? []).forEach((f, i) => {
      if (f.value === undefined || f.value === null || f.value === '') {
        throw TerminologyError.of(
          txIssue('error', 'invalid', 'vs-invalid', 'UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE', [cs.info.url, f.property, f.op], `ValueSet.compose.${desc}.filter[${i}]`),
          400,
        );
      }
      const op = f.op || opFromExtension(f);
      if (!(f.property === 'concept' && ['is-a', 'descendent-of'].includes(op)) && !cs.supportsFilter(f.property, op)) {
        throw TerminologyError.of(
          txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', [f.property, op, f.value, this.valueSet.url, cs.info.url], `ValueSet.compose.${desc}.filter[${i}]`),
          400,
        );
      }
    });
  }

  private supplementsFor(cc: ValueSetComposeInclude): string[] {
    return [...this.requiredSupplements, ...(cc.extension ?? []).filter((e) => e.url === EXT_VS_SUPPLEMENT).map((e) => e.valueCanonical ?? '')].filter(Boolean);
  }

  protected findCodeSystem(system: string, version?: string): CodeSystemProvider | undefined {
    return this.ctx.findCodeSystem(system, version, this.requiredSupplements);
  }

  // ---- status of referenced resources ----------------------------------------------------

  private checkCanonicalStatus(op: IssueList, type: string, vurl: string, r: { status?: string; experimental?: boolean; standardsStatus?: string }, source: ValueSet): void {
    const sourceSs = source.extension?.find((e) => e.url === STANDARDS_STATUS)?.valueCode;
    let id: string | undefined;
    if (r.standardsStatus === 'deprecated') id = 'MSG_DEPRECATED';
    else if (r.standardsStatus === 'withdrawn') id = 'MSG_WITHDRAWN';
    else if (r.status === 'retired') id = 'MSG_RETIRED';
    else if (r.experimental && !source.experimental) id = 'MSG_EXPERIMENTAL';
    else if ((r.status === 'draft' || r.standardsStatus === 'draft') && !(source.status === 'draft' || sourceSs === 'draft')) id = 'MSG_DRAFT';
    if (id) op.add(txIssue('information', 'business-rule', 'status-check', id, [vurl, '', type]));
  }

  protected checkValueSetStatus(op: IssueList, vs: ValueSet, source: ValueSet): void {
    this.checkCanonicalStatus(op, 'ValueSet', canonicalOf(vs.url ?? '', vs.version), { status: vs.status, experimental: vs.experimental, standardsStatus: vs.extension?.find((e) => e.url === STANDARDS_STATUS)?.valueCode }, source);
  }

  protected checkCodeSystemStatus(op: IssueList, cs: CodeSystemProvider): void {
    this.checkCanonicalStatus(op, 'CodeSystem', canonicalOf(cs.info.url, cs.info.version), cs.info, this.valueSet);
  }

  // ---- checking one code ------------------------------------------------------------------

  /** true: in the value set; false: not; null: could not tell (unknown code system). */
  check(path: string, system: string | undefined, version: string | undefined, code: string, displays: DesignationSet | null, state: CheckState, op: IssueList, display?: string): Tri {
    state.defLang = 'en';
    if (!system && !this.params.inferSystem) {
      const m = formatMessage('Coding_has_no_system__cannot_validate', []);
      state.messages.push(m);
      // a warning, against a value set as in a code system's own $validate-code: the code is not
      // a member all the same, which the not-in-value-set error says
      op.add({ severity: 'warning', code: 'invalid', txType: 'invalid-data', text: m, expression: path ? [path] : undefined, messageId: 'Coding_has_no_system__cannot_validate' });
      return false;
    }
    if (!system) {
      const systems = new Set<string>();
      const inferred = this.determineSystem(code, systems);
      if (!inferred) {
        let m: string;
        if (systems.size > 1) {
          m = formatMessage('Unable_to_resolve_system__value_set_has_multiple_matches', [code, this.vurl, '[' + [...systems].join(', ') + ']']);
          op.add({ severity: 'error', code: 'not-found', txType: 'cannot-infer', text: m, expression: ['code'], messageId: 'Unable_to_resolve_system__value_set_has_multiple_matches' });
        } else {
          m = formatMessage('UNABLE_TO_INFER_CODESYSTEM', [code, this.vurl]);
          op.add({ severity: 'error', code: 'not-found', txType: 'cannot-infer', text: m, expression: ['code'], messageId: 'UNABLE_TO_INFER_CODESYSTEM' });
        }
        state.messages.push(m);
        return false;
      }
      state.impliedSystem = inferred;
      system = inferred;
    }

    const compose = this.valueSet.compose;
    if (!compose) {
      if (this.valueSet.expansion) return this.checkExpansion(path, system, version, code, displays, state, op);
      return false;
    }
    if (namesSeveralVersions(compose)) return this.checkSeveralVersions(path, system, version, code, displays, state, op, display);
    return this.checkCompose(path, system, version, code, displays, state, op, display);
  }

  /**
   * A compose naming one system in several versions: which version an exclusion removes, and
   * which versions merge, is the expansion's rule, so the expansion decides membership and
   * validation agrees with it. The compose is checked first, for its choice of version and its
   * messages, and stands wherever the two agree.
   */
  private checkSeveralVersions(path: string, system: string, version: string | undefined, code: string, displays: DesignationSet | null, state: CheckState, op: IssueList, display?: string): Tri {
    const mark = op.items.length;
    const undo = snapshot(state, op, displays);
    const result = this.checkCompose(path, system, version, code, displays, state, op, display);
    // found cleanly and nothing is excluded: the expansion lists it too (spares expanding per call)
    const refused = result !== true || op.items.slice(mark).some((i) => i.severity === 'error');
    if (!refused && !this.valueSet.compose?.exclude?.length) return result;
    const members = this.expandedMembers();
    if (!members) return result;
    const inExpansion = members.some((c) => c.system === system && c.code === code && (!version || !c.version || c.version === version));
    if (result === true && !inExpansion) {
      undo();
      return false;
    }
    // refused, or found under an include of another version (an error): the expansion found it in its own
    if (refused && inExpansion) {
      undo();
      return this.checkExpansion(path, system, version, code, displays, state, op, members);
    }
    return result;
  }

  private members?: ExpansionEntry[] | null;

  /** The value set's expansion, flattened (null when it cannot be expanded within the limit). */
  private expandedMembers(): ExpansionEntry[] | null {
    if (this.members === undefined) {
      try {
        this.members = this.expandFlat();
      } catch (e) {
        if (!(e instanceof TerminologyError)) throw e;
        this.members = null;
      }
    }
    return this.members;
  }

  /** The value set's expansion (up to 10,000 codes), flattened; throws what the expansion throws. */
  private expandFlat(): ExpansionEntry[] {
    const exp = new ValueSetExpander(this.ctx, this.params.forImport(), { maxCodes: 10000 }, this.chain, true).expand(this.valueSet);
    return flatten(exp.expansion?.contains ?? []);
  }

  private checkCompose(path: string, system: string, version: string | undefined, code: string, displays: DesignationSet | null, state: CheckState, op: IssueList, display?: string): Tri {
    const compose = this.valueSet.compose!;
    let result: Tri = false;
    let determinedVersion: string | undefined;
    // an include without a version means the version it resolves to (the latest, or what the
    // request's version parameters say), so it competes with pinned includes of the same system
    const unpinned = new Map<string, string | undefined>();
    const versionOf = (inc: ValueSetComposeInclude): string | undefined => {
      if (inc.version || !inc.system) return inc.version;
      if (!unpinned.has(inc.system)) unpinned.set(inc.system, this.findCodeSystem(inc.system, resolveCodeSystemVersion(this.params, inc.system).version)?.info.version);
      return unpinned.get(inc.system);
    };
    if (!version) {
      const vset = new Set((compose.include ?? []).filter((inc) => inc.system === system).flatMap((inc) => versionOf(inc) ?? []));
      if (vset.size > 1) determinedVersion = this.pickApplicableVersion(vset, system, code, display);
    }
    const includes = [...(compose.include ?? [])].sort((a, b) => {
      const [va, vb] = a.system === b.system ? [versionOf(a), versionOf(b)] : [undefined, undefined];
      return va && vb ? -compareVersions(va, vb) : 0;
    });
    for (const cc of includes) {
      if (!cc.system) {
        result = true;
      } else if (cc.system === system && (!determinedVersion || versionOf(cc) === determinedVersion) && this.useThisVersion(cc, version)) {
        const v = determineVersion(this.versionScope, path, cc.system, cc.version, version, op, state, code);
        const cs = this.findCodeSystem(system, v);
        if (!cs) {
          if (this.params.membershipOnly) return false;
          let id: string, m: string, key: string;
          if (!v) {
            id = 'UNKNOWN_CODESYSTEM';
            m = formatMessage(id, [system]);
            key = system;
          } else {
            const vl = this.ctx.codeSystemVersions(system);
            id = vl.length === 0 ? 'UNKNOWN_CODESYSTEM_VERSION_NONE' : 'UNKNOWN_CODESYSTEM_VERSION';
            key = vl.length === 0 ? system : `${system}|${v}`;
            m = formatMessage(id, [system, v, presentVersions(vl)]);
          }
          state.messages.push(m);
          if (!state.unknownSystems.has(key)) {
            state.unknownSystems.add(key);
            op.add({ severity: 'error', code: 'not-found', txType: 'not-found', text: m, expression: [addToPath(path, 'system')], messageId: id });
          }
          return null;
        }
        state.defLang = cs.info.language ?? 'en';
        this.checkCodeSystemStatus(op, cs);
        state.contentMode = cs.info.content;
        // the version searched is reported whether or not the code is found in it
        state.version = cs.info.version;
        if (this.checkConceptSet(path, 'in', cs, cc, code, displays, state, op)) {
          result = true;
        } else {
          result = false;
        }
      } else {
        result = false;
      }
      for (const u of cc.valueSet ?? []) {
        const checker = this.imports.get(u);
        if (!checker) continue;
        this.checkValueSetStatus(op, checker.valueSet, this.valueSet);
        if (result === true) result = checker.check(path, system, version, code, displays, state, op);
      }
      if (result === true) break;
    }
    if (result === true) {
      for (const cc of compose.exclude ?? []) {
        // an exclusion is a membership question: one that does not take the code out leaves no
        // trace (an excluded value set of another version does not know the code: not an error)
        const undo = snapshot(state, op, displays);
        let excluded: boolean;
        if (!cc.system) excluded = true;
        else {
          const cs = this.findCodeSystem(cc.system, cc.version);
          if (!cs) continue;
          excluded = cc.system === system && this.checkConceptSet(path, 'not in', cs, cc, code, displays, state, op);
        }
        for (const u of cc.valueSet ?? []) {
          const checker = this.imports.get(u);
          if (!checker) continue;
          excluded = excluded && checker.check(path, system, version, code, displays, state, op) === true;
        }
        if (excluded) return false;
        undo();
      }
    }
    return result;
  }

  private checkExpansion(path: string, system: string, version: string | undefined, code: string, displays: DesignationSet | null, state: CheckState, op: IssueList, all = flatten(this.valueSet.expansion?.contains ?? [])): Tri {
    const hit = all.find((c) => c.system === system && c.code === code && (!version || !c.version || c.version === version));
    if (!hit) return false;
    const cs = this.findCodeSystem(system, hit.version ?? version);
    if (!cs) return hit ? true : false;
    const concept = cs.locate(code).concept;
    state.version = cs.info.version;
    state.contentMode = cs.info.content;
    if (!concept) {
      if (!this.params.membershipOnly) {
        const m = unknownCodeMessage(code, cs.info.url, cs.info.version);
        op.add({ ...m, severity: 'error', code: 'code-invalid', txType: 'invalid-code', expression: [addToPath(path, 'code')] });
      }
      return false;
    }
    if (displays) this.listDisplaysFromCodeSystem(displays, cs, concept);
    const st = cs.status(concept);
    if (!state.inactive.value) {
      state.inactive = { value: st.inactive, path, code };
      state.status = st.status ?? '';
    }
    return true;
  }

  private useThisVersion(cc: ValueSetComposeInclude, version: string | undefined): boolean {
    if (!version || cc.version === version) return true;
    return !(this.valueSet.compose?.include ?? []).some((i) => i.version === version);
  }

  private pickApplicableVersion(vset: Set<string>, system: string, code: string, display?: string): string | undefined {
    const found: string[] = [];
    for (const v of vset) {
      const cs = this.findCodeSystem(system, v);
      const c = cs?.locate(code).concept;
      if (c && (!display || c.display === display || c.designations.some((d) => d.value === display))) found.push(v);
    }
    if (found.length === vset.size) return undefined;
    const sorted = (found.length ? found : [...vset]).sort((a, b) => -compareVersions(a, b));
    return sorted[0];
  }

  private determineSystem(code: string, systems: Set<string>): string | undefined {
    const compose = this.valueSet.compose;
    if (!compose) return undefined;
    const needExpansion = (compose.exclude ?? []).some((x) => x.valueSet || !x.system || x.filter) || (compose.include ?? []).some((x) => x.valueSet || !x.system);
    const mayNeedExpansion = (compose.include ?? []).some((x) => x.filter);
    const fromExpansion = () => {
      let r: string | undefined;
      for (const c of this.expandFlat()) {
        if (c.code !== code || !c.system) continue;
        systems.add(c.system);
        if (!r) r = c.system;
        else if (r !== c.system) return undefined;
      }
      return r;
    };
    if (needExpansion) return fromExpansion();
    let result: string | undefined;
    for (const inc of compose.include ?? []) {
      const cs = this.findCodeSystem(inc.system!, undefined);
      if (!cs) return undefined;
      if (inc.concept) {
        const named = cs.locate(code).concept;
        if (inc.concept.some((c) => c.code === code || (named && namesConcept(cs, c.code, named)))) {
          systems.add(inc.system!);
          if (!result) result = inc.system;
          else if (result !== inc.system) return undefined;
        }
      } else if (cs.locate(code).concept) {
        systems.add(inc.system!);
        if (!result) result = inc.system;
        else if (result !== inc.system) {
          if (mayNeedExpansion) return fromExpansion();
          return undefined;
        }
      }
    }
    return result;
  }

  protected listDisplaysFromCodeSystem(list: DesignationSet | null, cs: CodeSystemProvider, c: Concept): void {
    list?.addConcept(c, cs.info.language, cs.info.url);
  }

  private checkConceptSet(path: string, role: 'in' | 'not in', cs: CodeSystemProvider, cset: ValueSetComposeInclude, code: string, displays: DesignationSet | null, state: CheckState, op: IssueList): boolean {
    const excludeInactives = this.valueSet.compose?.inactive === false;
    const setInactive = (c: Concept) => {
      if (role === 'not in' || state.inactive.value) return;
      const st = cs.status(c);
      state.inactive = { value: st.inactive, path, code };
      state.status = st.status ?? '';
    };
    // a code system that is not case-sensitive finds a code whatever its case; say what the right case is
    const noteNormalForm = (c: Concept) => {
      if (c.code === code) return;
      addNormalisationIssue(op, path, code, c.code, cs);
      state.normalForm = c.code;
    };
    if (!cset.concept && !cset.filter) {
      // the code system's own $validate-code: the code must conform to its content model too
      const located = cs.locate(code, this.internallyDefined && role !== 'not in');
      const c = located.concept;
      if (!c) {
        if (!this.params.membershipOnly && role !== 'not in') {
          if (cs.info.content !== 'complete') {
            op.add(txIssue('warning', 'code-invalid', 'invalid-code', 'UNKNOWN_CODE_IN_FRAGMENT', [code, cs.info.url, cs.info.version], addToPath(path, 'code')));
            return true;
          }
          const m = unknownCodeMessage(code, cs.info.url, cs.info.version, whyUnknown(cs, located));
          op.add({ ...m, severity: 'error', code: 'code-invalid', txType: 'invalid-code', expression: [addToPath(path, 'code')] });
          addLocateDetail(op, located.detail, path);
        }
        return false;
      }
      noteNormalForm(c);
      this.listDisplaysFromCodeSystem(displays, cs, c);
      const st = cs.status(c);
      if (!this.params.abstractOk && st.abstract) {
        if (!this.params.membershipOnly && role !== 'not in') {
          op.add(txIssue('error', 'business-rule', 'code-rule', 'ABSTRACT_CODE_NOT_ALLOWED', [cs.info.url, code], addToPath(path, 'code')));
        }
        return false;
      }
      if ((excludeInactives || this.params.activeOnly) && st.inactive) {
        if (role !== 'not in') {
          const m = formatMessage('STATUS_CODE_WARNING_CODE', ['not active', code]);
          op.add({ severity: 'error', code: 'business-rule', txType: 'code-rule', text: m, expression: [addToPath(path, 'code')], messageId: 'STATUS_CODE_WARNING_CODE' });
          state.messages.push(m);
          if (!this.params.membershipOnly) {
            state.inactive = { value: true, path, code };
            state.status = st.status ?? '';
          }
        }
        return false;
      }
      setInactive(c);
      // a code judged by the code system alone (its own $validate-code, or a value set that takes the
      // whole system) says what could not be checked (the reference's message has no key); a concept
      // list or a filter judged it, so their answers do not
      const note = role !== 'not in' && !this.params.membershipOnly ? cs.incompleteValidation?.(c) : undefined;
      if (note) op.add({ severity: 'information', code: 'informational', txType: 'process-note', text: note, expression: [addToPath(path, 'code')] });
      return true;
    }

    const located = cset.concept?.length ? cs.locate(code).concept : undefined;
    for (const cc of cset.concept ?? []) {
      // a refined code (ICF with qualifiers) is in the value set where its base code is listed;
      // a listed code is matched as the code system matches codes (by case or not)
      if (cc.code !== code && !(located && namesConcept(cs, cc.code, located)) && located?.refines?.code !== cc.code) continue;
      const c = located;
      if (!c) continue;
      this.listDisplaysFromCodeSystem(displays, cs, c);
      if (displays) {
        if (cc.display) displays.addDisplay(cc.display, undefined);
        for (const d of cc.designation ?? []) displays.addDesignation(d);
      }
      const st = cs.status(c);
      if (!this.params.abstractOk && st.abstract) {
        if (!this.params.membershipOnly) op.add(txIssue('error', 'business-rule', 'code-rule', 'ABSTRACT_CODE_NOT_ALLOWED', [cs.info.url, code], addToPath(path, 'code')));
        continue;
      }
      if (excludeInactives && st.inactive) {
        if (!this.params.membershipOnly) {
          state.inactive = { value: true, path, code };
          state.status = st.status ?? '';
        }
        return false;
      }
      const ss = cc.extension?.find((e) => e.url === STANDARDS_STATUS)?.valueCode;
      if (role !== 'not in') {
        if (ss === 'withdrawn' || ss === 'deprecated') {
          op.add(txIssue('warning', 'business-rule', 'code-comment', 'CONCEPT_DEPRECATED_IN_VALUESET', [cs.info.url, code, ss, this.vurl], addToPath(path, 'code')));
        } else if (cc.extension?.some((e) => e.url === VS_DEPRECATED)) {
          op.add(txIssue('warning', 'business-rule', 'code-comment', 'CONCEPT_DEPRECATED_IN_VALUESET', [cs.info.url, code, 'deprecated', this.vurl], addToPath(path, 'code')));
        }
      }
      noteNormalForm(c);
      setInactive(c);
      return true;
    }

    if (cset.filter?.length) {
      const filters = cset.filter.map((f) => {
        if (f.value === undefined || f.value === null || f.value === '') {
          throw TerminologyError.of(txIssue('error', 'invalid', 'vs-invalid', 'UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE', [cs.info.url, f.property, f.op]), 400);
        }
        return cs.filter(f.property, f.op || opFromExtension(f), f.value);
      });
      const c = cs.locate(code).concept;
      if (c && filters.every((f) => f.includes(c))) {
        this.listDisplaysFromCodeSystem(displays, cs, c);
        const st = cs.status(c);
        if (!this.params.abstractOk && st.abstract) {
          if (!this.params.membershipOnly) op.add(txIssue('error', 'business-rule', 'code-rule', 'ABSTRACT_CODE_NOT_ALLOWED', [cs.info.url, code], addToPath(path, 'code')));
          return false;
        }
        if (excludeInactives && st.inactive) {
          if (!this.params.membershipOnly) {
            state.inactive = { value: true, path, code };
            state.status = st.status ?? '';
          }
          return false;
        }
        if (role !== 'not in' && !state.inactive.value && st.inactive && !filters.some((f) => f.membershipOnly)) {
          state.inactive = { value: true, path, code };
          if (st.status) state.status = st.status;
        }
        noteNormalForm(c);
        return true;
      }
      if (c && role !== 'not in' && filters.some((f) => f.membershipOnly)) state.leftOutBySelection = true;
      // a filter that can say why the code is outside it (a unit of another dimension) says so
      if (c && role !== 'not in') {
        for (const f of filters) {
          const why = f.includes(c) ? undefined : f.reason?.(c);
          if (why) state.messages.push(why);
        }
      }
    }
    return false;
  }
}

/** An error found while preparing a value set that is answered as a failed validation. */
export class SoftValidationError extends Error {
  constructor(readonly issue: TxIssue, readonly unknownSystem?: string) {
    super(issue.text);
  }
}

/**
 * What more an unknown-code error says: the provider's reason, else, for a code system marked
 * compositional whose grammar is not known here, that (tx-ecosystem requirements: "Servers that do
 * not know the grammar for a CodeSystem that is marked as compositional SHALL note this in
 * validation errors for the CodeSystem").
 */
export function whyUnknown(cs: CodeSystemProvider, located: LocateResult): string | undefined {
  return located.message ?? located.release ?? (cs.grammarUnknown ? formatMessage('CODESYSTEM_GRAMMAR_UNKNOWN', []) : undefined);
}

/** The unknown-code message, with the provider's reason when it gives one (LocateResult.message). */
export function unknownCodeMessage(code: string, system: string, version?: string, reason?: string): { text: string; messageId: string } {
  const id = version ? 'Unknown_Code_in_Version' : 'Unknown_Code_in';
  const text = formatMessage(id, [code, system, version]);
  return { text: reason ? `${text} (${reason})` : text, messageId: id };
}

/** What a provider found out about a code it does not have (LocateResult.detail), as information. */
export function addLocateDetail(op: IssueList, detail: string | undefined, path: string): void {
  if (detail) op.add({ severity: 'information', code: 'code-invalid', txType: 'invalid-code', text: detail, expression: [addToPath(path, 'code')] });
}

/** Restores the state, issues and displays of a check to what they are now. */
function snapshot(state: CheckState, op: IssueList, displays: DesignationSet | null): () => void {
  const saved = { ...state, inactive: { ...state.inactive } };
  const messages = [...state.messages];
  const unknownSystems = [...state.unknownSystems];
  const unknownCodes = [...state.unknownCodes];
  const issues = op.items.length;
  const names = displays?.items.length ?? 0;
  return () => {
    Object.assign(state, saved, { messages: state.messages, unknownSystems: state.unknownSystems, unknownCodes: state.unknownCodes });
    state.messages.splice(0, state.messages.length, ...messages);
    state.unknownSystems.clear();
    for (const u of unknownSystems) state.unknownSystems.add(u);
    state.unknownCodes.splice(0, state.unknownCodes.length, ...unknownCodes);
    op.items.length = issues;
    if (displays) displays.items.length = names;
  };
}

type ExpansionEntry = ReturnType<typeof flatten>[number];

function flatten(list: NonNullable<ValueSet['expansion']>['contains'] = []): NonNullable<NonNullable<ValueSet['expansion']>['contains']> {
  const out: NonNullable<NonNullable<ValueSet['expansion']>['contains']> = [];
  const walk = (l: typeof list) => {
    for (const c of l ?? []) {
      out.push(c);
      walk(c.contains ?? []);
    }
  };
  walk(list);
  return out;
}

function opFromExtension(f: any): string {
  const ext = (f._op?.extension ?? []).find((e: any) => e.url === 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.include.filter.op');
  return ext?.valueCode ?? '';
}
