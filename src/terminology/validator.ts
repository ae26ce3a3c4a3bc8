import type { CodeableConcept, Coding, ParametersParameter, ValueSet, ValueSetComposeInclude, CodeSystem } from 'fhir/r4';
import type { TerminologyContext } from './context';
import type { CodeSystemProvider, Concept, LocateResult } from './providers/provider';
import { IssueList, TerminologyError, TxIssue, outcomeOf, txIssue } from './issues';
import type { TxParameters } from './params';
import { DesignationSet } from './designations';
import { formatMessage } from './messages';
import { addNormalisationIssue, addToPath, checkDisplay } from './display-check';
import { canonicalOf, compareVersions } from './versions';
import { circularReference, containedValueSet, missingSupplements, noteSupplements, pinValueSet, resolveCodeSystemVersion, valueSetKey } from './resolution';
import { ValueSetExpander, namesSeveralVersions, presentVersions } from './expander';
import { EXT_VS_SUPPLEMENT } from './expansion-entry';
import { VersionScope, determineVersion } from './coding-version';

export type ValidationMode = 'code' | 'coding' | 'codeableConcept';

const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';
const VS_DEPRECATED = 'http://hl7.org/fhir/StructureDefinition/valueset-deprecated';

/**
 * Whether a code listed in a value set names the concept a given code was found as: its own
 * code, or, in a code system that is not case-sensitive, that code in any case.
 */
function namesConcept(cs: CodeSystemProvider, listed: string, found: Concept): boolean {
  return listed === found.code || (!cs.info.caseSensitive && listed.toLowerCase() === found.code.toLowerCase()) || !!cs.namesConcept?.(listed, found);
}

function isAbsoluteUri(s: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(s);
}

/** What the checks of one coding found out; shared across the codings of a CodeableConcept. */
interface CheckState {
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

type Tri = boolean | null;

/**
 * $validate-code against a value set (or against a whole code system, which is the value set of
 * all its codes). The checks, issue texts and output parameters follow the FHIR terminology
 * ecosystem's rules so that validators and the HL7 conformance suite understand the answer.
 */
export class ValueSetValidator {
  private readonly imports = new Map<string, ValueSetValidator>();
  private readonly requiredSupplements: string[];
  private readonly usedSupplements = new Set<string>();
  /** what the version check of a coding needs of this validation */
  private readonly versionScope: VersionScope;

  constructor(
    private readonly ctx: TerminologyContext,
    private readonly params: TxParameters,
    readonly valueSet: ValueSet,
    private readonly chain: string[] = [],
    /** the implicit value set of a CodeSystem $validate-code */
    private readonly internallyDefined = false,
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
      const v = new ValueSetValidator(this.ctx, this.params, other, chain);
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

  private findCodeSystem(system: string, version?: string): CodeSystemProvider | undefined {
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

  private checkValueSetStatus(op: IssueList, vs: ValueSet, source: ValueSet): void {
    this.checkCanonicalStatus(op, 'ValueSet', canonicalOf(vs.url ?? '', vs.version), { status: vs.status, experimental: vs.experimental, standardsStatus: vs.extension?.find((e) => e.url === STANDARDS_STATUS)?.valueCode }, source);
  }

  private checkCodeSystemStatus(op: IssueList, cs: CodeSystemProvider): void {
    this.checkCanonicalStatus(op, 'CodeSystem', canonicalOf(cs.info.url, cs.info.version), cs.info, this.valueSet);
  }

  // ---- the main entry ---------------------------------------------------------------------

  /** Validates a CodeableConcept (a code or Coding is a CodeableConcept of one coding). */
  validate(coded: CodeableConcept, mode: ValidationMode): ParametersParameter[] {
    const issuePath = mode === 'codeableConcept' ? 'CodeableConcept' : mode === 'coding' ? 'Coding' : '';
    const op = new IssueList();
    const state: CheckState = { unknownSystems: new Set(), messages: [], inactive: { value: false }, status: '', cause: 'null', unknownCodes: [] };
    // messages collected by the checks and here; the summary `message` is made from them
    const mt = state.messages;
    const msg = (s: string | undefined) => {
      if (s && !mt.includes(s)) mt.push(s);
    };
    this.checkValueSetStatus(op, this.valueSet, this.valueSet);

    let ok = false as Tri;
    let noCode = false;
    const matched = new Set<number>();
    let codelist = '';
    let psys: string | undefined, pcode: string | undefined, pver: string | undefined, pdisp: string | undefined, ppath: string | undefined;
    let tsys: string | undefined, tcode: string | undefined, tver: string | undefined;
    const out: ParametersParameter[] = [];
    const codings = coded.coding ?? [];

    codings.forEach((c, i) => {
      if (noCode) return;
      const path = mode === 'codeableConcept' ? addToPath(issuePath, `coding[${i}]`) : issuePath;
      if (!c.code) {
        const neither = !c.system && !this.params.inferSystem;
        const m = neither
          ? formatMessage('Coding_has_no_system_or_code__cannot_validate', [])
          : c.system ? `Coding has no code for system ${c.system} and cannot be validated` : 'Coding has no code and cannot be validated';
        msg(m);
        // as for a missing system: a warning, against a value set as in a code system's own
        // $validate-code - nothing could be checked, so the answer is false all the same (in a
        // CodeableConcept the not-in-value-set error says so)
        op.add({ severity: 'warning', code: 'invalid', txType: 'invalid-data', text: m, expression: path ? [path] : undefined, messageId: neither ? 'Coding_has_no_system_or_code__cannot_validate' : undefined });
        noCode = true;
        return;
      }
      const vsImpliedVersion = this.impliedVersion(c.system);
      const list = new DesignationSet();
      state.version = undefined;
      state.contentMode = undefined;
      state.leftOutBySelection = false;
      const v = this.check(path, c.system, c.version, c.code, list, state, op, c.display);
      if (v === false) state.cause = 'code-invalid';
      if (v === true) matched.add(i);
      const ws = state.impliedSystem || c.system || '';
      if (!tcode || v === true) {
        tsys = c.system;
        tcode = c.code;
        tver = c.version;
      }
      if (!tver && state.version) tver = state.version;
      let cc = (c.version ? `${ws}|${c.version}` : ws) + '#' + c.code;
      if (c.display) cc += ` ('${c.display}')`;
      codelist = codelist ? `${codelist}, '${cc}'` : `'${cc}'`;

      if (v === false && !this.internallyDefined && mode === 'codeableConcept') {
        const m = formatMessage('None_of_the_provided_codes_are_in_the_value_set_one', ['', this.vurl, `'${cc}'`]);
        op.add({ severity: 'information', code: 'code-invalid', txType: 'this-code-not-in-vs', text: m, expression: [`${issuePath}.coding[${i}].code`], messageId: 'None_of_the_provided_codes_are_in_the_value_set_one' });
        if (state.cause === 'null') state.cause = 'unknown';
      }
      if (ok !== true && v !== false) ok = v;

      if (v === true) {
        if (state.contentMode === 'example') {
          const m = `The system ${c.system} was found but did not contain enough information to properly validate the code "${c.code}" ("${c.display ?? ''}") (mode = ${state.contentMode})`;
          msg(m);
          op.add({ severity: 'warning', code: 'not-found', txType: 'vs-invalid', text: m, expression: path ? [path] : undefined });
        } else if (c.display && list.items.length > 0) {
          checkDisplay(this.params, list, state.defLang, c, msg, op, path);
        }
        if (pcode === undefined) {
          psys = c.system;
          pcode = c.code;
          ppath = path;
          if (state.version) pver = state.version;
          pdisp = list.preferred(this.params.workingLanguages())?.value || list.preferred(undefined)?.value;
        }
      } else if (!this.params.membershipOnly && ws) {
        this.reportOutsideValueSet(c, ws, path, mode, issuePath, i, vsImpliedVersion, list, state, op, msg, out, (d) => (pdisp = d ?? pdisp));
      }
    });

    // a CodeableConcept is valid when any coding is: unknown systems of the others only warn
    if (issuePath === 'CodeableConcept' && matched.size > 0) {
      const notChecked = ['UNKNOWN_CODESYSTEM', 'UNKNOWN_CODESYSTEM_VERSION', 'UNKNOWN_CODESYSTEM_VERSION_NONE'];
      codings.forEach((c, j) => {
        if (matched.has(j)) return;
        const sysPath = `${issuePath}.coding[${j}].system`;
        for (const iss of op.items) {
          if (iss.severity === 'error' && iss.messageId && notChecked.includes(iss.messageId) && (iss.expression ?? []).includes(sysPath)) {
            const was = iss.text;
            iss.severity = 'warning';
            iss.text = formatMessage('UNKNOWN_CODESYSTEM_CODING_NOT_CHECKED', [c.version ? `${c.system}|${c.version}` : c.system]);
            iss.messageId = 'UNKNOWN_CODESYSTEM_CODING_NOT_CHECKED';
            const k = mt.indexOf(was);
            if (k >= 0) mt.splice(k, 1);
            msg(iss.text);
          }
        }
      });
    }

    const noCodeSummary = noCode && (mode !== 'codeableConcept' || this.internallyDefined);
    if (ok === false && !noCodeSummary && (!this.internallyDefined || !op.hasErrors())) {
      let id: string, m: string, p: string | undefined;
      if (mode === 'codeableConcept') {
        id = 'TX_GENERAL_CC_ERROR_MESSAGE';
        m = formatMessage(id, [this.vurl]);
        p = undefined;
      } else {
        id = 'None_of_the_provided_codes_are_in_the_value_set_one';
        m = formatMessage(id, ['', this.vurl, codelist]);
        p = issuePath ? `${issuePath}.code` : 'code';
      }
      if (op.add({ severity: 'error', code: 'code-invalid', txType: 'not-in-vs', text: m, expression: p ? [p] : undefined, messageId: id })) msg(m);
      if (state.cause === 'null') state.cause = 'unknown';
    }

    const valid = ok === true && !op.hasErrors();
    out.push({ name: 'result', valueBoolean: valid });
    if (psys) out.push({ name: 'system', valueUri: psys });
    else if (ok === true && state.impliedSystem) out.push({ name: 'system', valueUri: state.impliedSystem });
    else if (tsys && mode !== 'codeableConcept') out.push({ name: 'system', valueUri: tsys });

    for (const us of state.unknownSystems) {
      if (ok === false) out.push({ name: 'x-unknown-system', valueCanonical: us });
      else if (!valid) out.push({ name: 'x-caused-by-unknown-system', valueCanonical: us });
    }
    if (state.normalForm) out.push({ name: 'normalized-code', valueCode: state.normalForm });
    if (pcode) out.push({ name: 'code', valueCode: pcode });
    else if (tcode && mode !== 'codeableConcept') out.push({ name: 'code', valueCode: tcode });
    if (!out.some((p) => p.name === 'version')) {
      if (pver) out.push({ name: 'version', valueString: pver });
      else if (tver && mode !== 'codeableConcept') out.push({ name: 'version', valueString: tver });
    }
    if (pdisp && (pcode || (tcode && mode !== 'codeableConcept'))) out.push({ name: 'display', valueString: pdisp });

    if (state.inactive.value) {
      if (mode !== 'codeableConcept' || (pcode && state.inactive.path === ppath)) {
        out.push({ name: 'inactive', valueBoolean: true });
        if (state.status && state.status !== 'inactive') out.push({ name: 'status', valueCode: state.status });
      }
      const plain = ['inactive', 'DISCOURAGED'].includes(state.status);
      const m = plain
        ? formatMessage('INACTIVE_CONCEPT_FOUND', [state.status, state.inactive.code ?? tcode])
        : formatMessage('INACTIVE_CONCEPT_FOUND_ADD', [state.status, state.inactive.code ?? tcode, 'inactive']);
      msg(m);
      op.add({ severity: 'warning', code: 'business-rule', txType: 'code-comment', text: m, expression: [state.inactive.path || 'code'], messageId: 'INACTIVE_CONCEPT_FOUND' });
    } else if (state.status.toLowerCase() === 'deprecated') {
      out.push({ name: 'status', valueCode: 'deprecated' });
      const m = formatMessage('DEPRECATED_CONCEPT_FOUND', [state.status, tcode]);
      msg(m);
      op.add({ severity: 'warning', code: 'business-rule', txType: 'code-comment', text: m, expression: issuePath ? [issuePath] : undefined, messageId: 'DEPRECATED_CONCEPT_FOUND' });
    }
    for (const iss of op.items) if (iss.severity === 'error' && !mt.includes(iss.text)) mt.push(iss.text);
    if (mt.length) out.push({ name: 'message', valueString: [...new Set(mt)].sort().join('; ') });
    if (mode === 'codeableConcept') out.push({ name: 'codeableConcept', valueCodeableConcept: coded });
    if (op.length) out.push({ name: 'issues', resource: outcomeOf(op.items) });
    return out;
  }


  /** The code was not in the value set: say what we know of it in its code system. */
  private reportOutsideValueSet(
    c: Coding,
    ws: string,
    path: string,
    mode: ValidationMode,
    issuePath: string,
    i: number,
    vsImpliedVersion: string | undefined,
    list: DesignationSet,
    state: CheckState,
    op: IssueList,
    msg: (s: string | undefined) => void,
    out: ParametersParameter[],
    setDisplay: (d: string | undefined) => void,
  ): void {
    if (!isAbsoluteUri(ws)) {
      const m = formatMessage('Terminology_TX_System_Relative', []);
      const p = mode === 'coding' ? `${issuePath}.system` : mode === 'codeableConcept' ? `${issuePath}.coding[${i}].system` : issuePath;
      msg(m);
      op.add({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: m, expression: p ? [p] : undefined, messageId: 'Terminology_TX_System_Relative' });
    }
    const lookupVersion = c.version || vsImpliedVersion;
    const prov = this.findCodeSystem(ws, lookupVersion);
    if (!prov) {
      if (this.ctx.findValueSet(ws)) {
        const m = formatMessage('Terminology_TX_System_ValueSet2', [ws]);
        msg(m);
        op.add({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: m, expression: [addToPath(path, 'system')], messageId: 'Terminology_TX_System_ValueSet2' });
        state.cause = 'invalid';
        return;
      }
      const supp = this.ctx.findSupplement(ws, lookupVersion);
      if (supp) {
        const m = formatMessage('CODESYSTEM_CS_NO_SUPPLEMENT', [canonicalOf(supp.url ?? ws, supp.version)]);
        msg(m);
        op.add({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: m, expression: [addToPath(path, 'system')], messageId: 'CODESYSTEM_CS_NO_SUPPLEMENT' });
        state.cause = 'invalid';
        return;
      }
      const anyVersion = this.findCodeSystem(ws);
      let id: string, m: string, key: string;
      if (!anyVersion && !lookupVersion) {
        id = 'UNKNOWN_CODESYSTEM';
        m = formatMessage(id, [ws]);
        key = ws;
      } else {
        const vl = this.ctx.codeSystemVersions(c.system ?? ws);
        id = vl.length === 0 ? 'UNKNOWN_CODESYSTEM_VERSION_NONE' : 'UNKNOWN_CODESYSTEM_VERSION';
        key = vl.length === 0 ? ws : `${ws}|${lookupVersion}`;
        m = formatMessage(id, [ws, lookupVersion, presentVersions(vl)]);
      }
      if (!state.unknownSystems.has(key)) {
        state.unknownSystems.add(key);
        op.add({ severity: 'error', code: 'not-found', txType: 'not-found', text: m, expression: [addToPath(path, 'system')], messageId: id });
      }
      msg(m);
      state.cause = 'not-found';
      return;
    }
    this.checkCodeSystemStatus(op, prov);
    // the code system's own $validate-code judges the code's conformance to the system's content
    // model (Snomed CT's MRCM); $lookup and value set membership take an expression as written
    const located = prov.locate(c.code!, this.internallyDefined);
    const concept = located.concept;
    if (!concept) {
      const vs = `${ws}|${prov.info.version}#${c.code}`;
      if (!state.unknownCodes.includes(vs)) {
        state.unknownCodes.push(vs);
        if (prov.info.content === 'complete') {
          const m = unknownCodeMessage(c.code!, ws, prov.info.version, whyUnknown(prov, located));
          state.cause = 'code-invalid';
          msg(m.text);
          op.add({ ...m, severity: 'error', code: 'code-invalid', txType: 'invalid-code', expression: [addToPath(path, 'code')] });
          addLocateDetail(op, located.detail, path);
        } else {
          const m = formatMessage('UNKNOWN_CODE_IN_FRAGMENT', [c.code, ws, prov.info.version]);
          state.cause = 'code-invalid';
          op.add({ severity: 'warning', code: 'code-invalid', txType: 'invalid-code', text: m, expression: [addToPath(path, 'code')], messageId: 'UNKNOWN_CODE_IN_FRAGMENT' });
        }
      }
      return;
    }
    this.listDisplaysFromCodeSystem(list, prov, concept);
    // the code is known to its code system, so its status is known too, member or not: an inactive
    // code outside the value set is reported inactive (with its status and the warning) beside the
    // not-in-value-set error - unless a selection that states membership by itself left it out
    const st = prov.status(concept);
    if (!state.inactive.value && !state.leftOutBySelection && st.inactive) {
      state.inactive = { value: true, path, code: c.code };
      state.status = st.status ?? '';
    }
    setDisplay(list.preferred(this.params.workingLanguages())?.value || list.preferred(undefined)?.value);
    const defLang = prov.info.language ?? 'en'; // the code system's language, English by default (as for members)
    if (c.display && list.items.length > 0 && !list.hasDisplay(this.params.workingLanguages(), defLang, c.display, false).found) {
      let base = list.hasDisplay(this.params.workingLanguages(), defLang, c.display, false).difference === 'normalized'
        ? 'Display_Name_WS_for__should_be_one_of__instead_of'
        : 'Display_Name_for__should_be_one_of__instead_of';
      let severity: 'error' | 'warning' = this.params.displayWarning ? 'warning' : 'error';
      const dc = list.displayCount(this.params.workingLanguages(), undefined, true);
      let m: string;
      if (dc === 0) {
        severity = 'warning';
        base = 'NO_VALID_DISPLAY_AT_ALL';
        m = formatMessage(base, [c.display, prov.info.url, c.code, this.params.langSummary()]);
      } else if (dc === 1) {
        m = formatMessage(base + '_one', ['', prov.info.url, c.code, list.present(this.params.workingLanguages(), true), c.display, this.params.langSummary()]);
      } else {
        m = formatMessage(base + '_other', [dc, prov.info.url, c.code, list.present(this.params.workingLanguages(), true), c.display, this.params.langSummary()]);
      }
      msg(m);
      op.add({ severity, code: 'invalid', txType: 'invalid-display', text: m, expression: [addToPath(path, 'display')], messageId: base });
    }
    if (prov.info.version && mode !== 'codeableConcept' && !out.some((p) => p.name === 'version')) out.push({ name: 'version', valueString: prov.info.version });
  }

  /** The version of a system a value set pins (the highest, when it names several). */
  private impliedVersion(system: string | undefined): string | undefined {
    let v: string | undefined;
    for (const inc of this.valueSet.compose?.include ?? []) {
      if (inc.system === system && inc.version && (!v || compareVersions(inc.version, v) > 0)) v = inc.version;
    }
    return v;
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

  private listDisplaysFromCodeSystem(list: DesignationSet | null, cs: CodeSystemProvider, c: Concept): void {
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
function whyUnknown(cs: CodeSystemProvider, located: LocateResult): string | undefined {
  return located.message ?? located.release ?? (cs.grammarUnknown ? formatMessage('CODESYSTEM_GRAMMAR_UNKNOWN', []) : undefined);
}

/** The unknown-code message, with the provider's reason when it gives one (LocateResult.message). */
export function unknownCodeMessage(code: string, system: string, version?: string, reason?: string): { text: string; messageId: string } {
  const id = version ? 'Unknown_Code_in_Version' : 'Unknown_Code_in';
  const text = formatMessage(id, [code, system, version]);
  return { text: reason ? `${text} (${reason})` : text, messageId: id };
}

/** What a provider found out about a code it does not have (LocateResult.detail), as information. */
function addLocateDetail(op: IssueList, detail: string | undefined, path: string): void {
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

/** The implicit value set of a code system: all of its codes. */
export function valueSetForCodeSystem(cs: CodeSystemProvider): ValueSet {
  const vs: ValueSet = {
    resourceType: 'ValueSet',
    status: 'active',
    url: cs.info.valueSet ?? `${cs.info.url}/vs`,
    compose: { include: [{ system: cs.info.url }] },
  };
  if (cs.info.version) {
    vs.version = cs.info.version;
    vs.compose!.include[0].version = cs.info.version;
  }
  return vs;
}

export type { CodeSystem };
