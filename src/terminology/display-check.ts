import type { Coding } from 'fhir/r4';
import type { CodeSystemProvider } from './providers/provider';
import { IssueList, txIssue } from './issues';
import type { TxParameters } from './params';
import type { DesignationSet } from './designations';
import { formatMessage } from './messages';
import { canonicalOf } from './versions';

/** An issue's expression: a child element of the element at `path` (the root when path is empty). */
export function addToPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** A code found only in another case or another form than the code system's: the information issue, and its text. */
export function addNormalisationIssue(op: IssueList, path: string, code: string, normalised: string, cs: CodeSystemProvider): string {
  const caseOnly = normalised.toLowerCase() === code.toLowerCase();
  const id = caseOnly ? 'CODE_CASE_DIFFERENCE' : 'CODE_NOT_IN_NORMAL_FORM';
  const issue = txIssue('information', 'business-rule', 'code-rule', id, [code, normalised, canonicalOf(cs.info.url, cs.info.version)], addToPath(path, 'code'));
  op.add(issue);
  return issue.text;
}

/**
 * Display validation of a coding whose concept was found: the display must be one of the
 * concept's designations in the working languages; a user-assigned list, an inactive term, a
 * display in another language and a whitespace difference each give their own issue.
 */
export function checkDisplay(params: TxParameters, list: DesignationSet, defLang: string | undefined, c: Coding, msg: (s: string) => void, op: IssueList, path: string): void {
  const langs = params.workingLanguages();
  const display = c.display!;
  const hd = list.hasDisplay(langs, undefined, display, false);
  if (!hd.found && list.userAssigned) {
    const dc = list.displayCount(langs, undefined, false);
    const id = dc === 1 ? 'Display_Name_Not_Fixed_use_Supplement_one' : 'Display_Name_Not_Fixed_use_Supplement_other';
    const m = formatMessage(id, [dc, c.system, c.code, list.present(langs, false), display, params.langSummary()]);
    msg(m);
    op.add({ severity: 'information', code: 'invalid', txType: 'invalid-display', text: m, expression: [addToPath(path, 'display')], messageId: 'Display_Name_Not_Fixed_use_Supplement' });
    return;
  }
  if (!hd.found) {
    let base: string;
    let severity: 'error' | 'warning' | 'information' = params.displayWarning ? 'warning' : 'error';
    if (hd.difference === 'normalized') base = 'Display_Name_WS_for__should_be_one_of__instead_of';
    else base = 'Display_Name_for__should_be_one_of__instead_of';
    let dc = list.displayCount(langs, undefined, true);
    let id = base;
    if (dc === 0) {
      severity = 'warning';
      dc = list.displayCount(langs, undefined, false);
    }
    let m: string;
    if (dc === 0) {
      const ds = list.preferred(undefined)?.value;
      if (!ds) {
        id = 'NO_VALID_DISPLAY_AT_ALL';
        m = formatMessage(id, [display, c.system, c.code]);
      } else if (list.hasDisplay(langs, defLang, display, false).found) {
        id = 'NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK';
        m = formatMessage(id, [display, c.system, c.code, params.langSummary(), ds]);
        severity = 'information';
      } else {
        id = 'NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR';
        m = formatMessage(id, [display, c.system, c.code, params.langSummary(), ds]);
        severity = params.displayWarning ? 'warning' : 'error';
      }
    } else if (dc === 1) {
      m = formatMessage(base + '_one', ['', c.system, c.code, list.present(langs, true), display, params.langSummary()]);
    } else {
      m = formatMessage(base + '_other', [dc, c.system, c.code, list.present(langs, true), display, params.langSummary()]);
    }
    msg(m);
    op.add({ severity, code: 'invalid', txType: 'invalid-display', text: m, expression: [addToPath(path, 'display')], messageId: id });
    return;
  }
  const active = list.hasDisplay(langs, undefined, display, true);
  if (!active.found) {
    const allowed = list.allowedDisplays(undefined);
    // several correct displays are listed as the reference lists them: comma-separated, unquoted
    const text = allowed.length === 1
      ? formatMessage('INACTIVE_DISPLAY_FOUND_one', [1, display, c.code, allowed[0], list.statusOf(display)])
      : formatMessage('INACTIVE_DISPLAY_FOUND_other', [allowed.length, display, c.code, allowed.join(','), list.statusOf(display)]);
    // a term that was once correct is still valid, but no longer current: a warning (IG requirements,
    // Inactive Codes); an error when the client asked for display validation that is not lenient
    const strict = params.displayStrict;
    if (strict) msg(text);
    op.add({ severity: strict ? 'error' : 'warning', code: 'invalid', txType: 'display-comment', text, expression: [addToPath(path, 'display')], messageId: 'INACTIVE_DISPLAY_FOUND' });
  }
}
