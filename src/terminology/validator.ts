import type { CodeableConcept, Coding, ParametersParameter, ValueSet, CodeSystem } from 'fhir/r4';
import type { CodeSystemProvider } from './providers/provider';
import { IssueList, outcomeOf } from './issues';
import { DesignationSet } from './designations';
import { formatMessage } from './messages';
import { addToPath, checkDisplay } from './display-check';
import { canonicalOf, compareVersions } from './versions';
import { presentVersions } from './expander';
import { CheckState, Tri, ValueSetMembership, addLocateDetail, unknownCodeMessage, whyUnknown } from './membership';
import { resolveCodeSystemVersion } from './resolution';

export type ValidationMode = 'code' | 'coding' | 'codeableConcept';

function isAbsoluteUri(s: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(s);
}

/**
 * $validate-code against a value set (or against a whole code system, which is the value set of
 * all its codes). The checks, issue texts and output parameters follow the FHIR terminology
 * ecosystem's rules so that validators and the HL7 conformance suite understand the answer.
 */
export class ValueSetValidator extends ValueSetMembership {
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

  /**
   * The version of a system a value set pins (the highest, when it names several), under the
   * request's version rules as for an include (force-system-version wins, system-version fills in
   * an unpinned one): a code outside the value set is looked up in that version, not the latest.
   */
  private impliedVersion(system: string | undefined): string | undefined {
    let v: string | undefined;
    for (const inc of this.valueSet.compose?.include ?? []) {
      if (inc.system === system && inc.version && (!v || compareVersions(inc.version, v) > 0)) v = inc.version;
    }
    return system ? resolveCodeSystemVersion(this.params, system, v).version : v;
  }
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
