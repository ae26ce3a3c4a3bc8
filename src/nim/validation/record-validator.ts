import type { Severity } from '../../terminology/issues';
import type { AdditionalPurpose } from '../extensions';
import type { ContextCondition, EffectivePeriod, Strength } from '../nim-model';
import type { CodeChecker, Verdict } from './code-checker';
import { IssueType, ValidationIssue, issue, severityOf } from './issues';
import type { IndexedAttribute, IndexedNim, IndexedValueSet, ReleaseIndex } from './release-index';
import { CodingValue, readValue, repetitions } from './values';
import { UCUM_URL } from '../../terminology/providers/ucum';
import { ISO4217_URL } from '../../terminology/providers/iso4217';

/**
 * RecordValidator: one NIM's part of a record against one release — cardinality, datatypes and
 * every coded value against its binding. A context binding (R5 additional binding) applies when
 * all its conditions hold on the record's other attributes; the applicable context bindings then
 * take the place of the primary binding, because they are the finer selection of the same
 * attribute (aktualiseringsorsak by aktualiseringstyp and sakområde, KSI by sakområde;
 * 001:L739–772) and a value in them should not be reported against the wider one. A binding
 * whose own effective period does not hold the event date is not applied.
 */

/** One attribute's value as sent (JSON, or a cell's text) and the file column it came from. */
export interface RawValue {
  raw: unknown;
  column?: number;
}

export interface JudgeOptions {
  release: ReleaseIndex;
  /** the event date (YYYY-MM-DD), when known */
  date?: string;
  /**
   * A submission row reports the register's subset of a NIM: a required attribute the file does
   * not report at all is a note, not an error on every row (an empty cell still is an error).
   */
  partial: boolean;
  /**
   * NDJSON: the attributes the file has carried a key for so far (it streams, so from the first
   * line with the key on). A required one of them that a row leaves out is missing there, an error.
   */
  reported?: ReadonlySet<string>;
}

/** The coded repetitions of one attribute, as read. */
interface CodedRepetition {
  element: string;
  codings: CodingValue[];
  hasText: boolean;
}

/** A binding to check a value against: its value set and how much a value outside it matters. */
interface Rule {
  vs: IndexedValueSet;
  canonical: string;
  strength: Strength | AdditionalPurpose;
  outside: IssueType;
  /** the context, described (for the issue text) */
  context?: string;
}

export function inForce(period: EffectivePeriod | undefined, date: string | undefined): boolean {
  if (!period || !date) return true;
  return !(period.start && date < period.start) && !(period.end && date > period.end);
}

export class RecordValidator {
  constructor(private readonly codes: CodeChecker) {}

  validate(nim: IndexedNim, values: Map<string, RawValue>, options: JudgeOptions): ValidationIssue[] {
    return new Judgement(this.codes, nim, values, options).run();
  }
}

/** The validation of one NIM part: holds what later checks need (coded values, inferred systems). */
class Judgement {
  private readonly issues: ValidationIssue[] = [];
  private readonly coded = new Map<string, CodedRepetition[]>();
  private readonly resolved = new Map<string, { system?: string; code: string }[]>();
  private readonly release: string;

  constructor(
    private readonly codes: CodeChecker,
    private readonly nim: IndexedNim,
    private readonly values: Map<string, RawValue>,
    private readonly options: JudgeOptions,
  ) {
    this.release = options.release.version;
  }

  private add(type: IssueType, severity: Severity, text: string, element: string, column?: number, valueSet?: string): void {
    const i = issue(type, severity, text, { element, release: this.release, valueSet });
    if (column !== undefined) i.column = column;
    this.issues.push(i);
  }

  run(): ValidationIssue[] {
    for (const a of this.nim.attributes) this.shape(a);
    for (const a of this.nim.attributes) if (a.binding && this.coded.has(a.id)) this.bindings(a);
    return this.issues;
  }

  /** Cardinality and datatype of one attribute; keeps its coded values for the bindings. */
  private shape(a: IndexedAttribute): void {
    const given = this.values.get(a.id);
    const card = `${a.min}..${a.max === Infinity ? '*' : a.max}`;
    if (given === undefined) {
      if (a.min === 0) return;
      if (this.options.partial && !this.options.reported?.has(a.id)) this.add('not-reported', 'warning', `${a.element} (${a.name}) is required (${card}) but the submission does not report it`, a.element);
      else this.add('required-missing', 'error', `${a.element} (${a.name}) is required (${card}) but missing`, a.element);
      return;
    }
    const reps = repetitions(a.type, given.raw);
    if (reps.length < a.min) this.add('required-missing', 'error', reps.length === 0 ? `${a.element} (${a.name}) is required (${card}) but empty` : `${a.element} (${a.name}) has ${reps.length} values and needs at least ${a.min}`, a.element, given.column);
    if (reps.length > a.max) this.add('too-many', 'error', `${a.element} (${a.name}) allows ${card} values and has ${reps.length}`, a.element, given.column);
    const coded: CodedRepetition[] = [];
    reps.forEach((r, i) => {
      const element = a.max > 1 ? `${a.element}[${i}]` : a.element;
      const v = readValue(a.type, r);
      if (!v.ok) this.add('invalid-value', 'error', `${element} (${a.name}, ${a.type}) ${v.problem}`, element, given.column);
      else {
        if (v.codings) coded.push({ element, codings: v.codings, hasText: !!v.hasText });
        this.units(element, a, v, given.column);
      }
    });
    if (coded.length) this.coded.set(a.id, coded);
  }

  /**
   * A Money amount's currency must be an ISO 4217 code and a Quantity's unit a UCUM expression:
   * both are checked by the terminology engine's code systems, not by a pattern.
   */
  private units(element: string, a: IndexedAttribute, value: { currency?: string; decimals?: number; ucumUnit?: string }, column: number | undefined): void {
    const { currency, decimals, ucumUnit } = value;
    if (currency !== undefined && this.codes.exists(ISO4217_URL, currency) === 'no') {
      this.add('invalid-value', 'error', `${element} (${a.name}, Money) has a currency that is not an ISO 4217 currency code (e.g. SEK)`, element, column);
    } else if (currency !== undefined && decimals !== undefined) {
      // the currency's minor unit bounds the amount: kronor have öre (2 decimals), yen none
      const allowed = this.codes.integerProperty(ISO4217_URL, currency, 'decimals');
      if (allowed !== undefined && decimals > allowed) {
        this.add('invalid-value', 'error', `${element} (${a.name}, Money) has more decimals than ${currency} has (${allowed})`, element, column);
      }
    }
    if (ucumUnit !== undefined && this.codes.exists(UCUM_URL, ucumUnit) === 'no') {
      this.add('invalid-value', 'error', `${element} (${a.name}, Quantity) has a unit that is not a UCUM unit (e.g. h, h/wk, mg, km)`, element, column);
    }
  }

  /** The bindings that apply to an attribute, then every coded value against them. */
  private bindings(a: IndexedAttribute): void {
    const b = a.binding!;
    const column = this.values.get(a.id)?.column;
    if (!inForce(b.effective, this.options.date)) {
      const from = b.effective?.start ?? '…';
      const to = b.effective?.end ?? '…';
      this.add('binding-not-in-force', 'information', `${a.element}: the binding to ${b.canonical} is in force ${from} – ${to}, not on the event date, so it was not applied`, a.element, column, b.vs.key);
      return;
    }
    const contexts = a.contexts.filter((c) => c.when.every((w) => this.holds(w)));
    const rules: Rule[] = contexts.length
      ? contexts.map((c) => ({ vs: c.vs, canonical: c.canonical, strength: c.purpose, outside: 'not-in-context-value-set', context: c.when.map((w) => `${w.attribute} = ${w.code}`).join(' and ') }))
      : [{ vs: b.vs, canonical: b.canonical, strength: b.strength, outside: 'not-in-value-set' }];
    for (const rule of rules) for (const rep of this.coded.get(a.id)!) this.check(rep, rule, column);
  }

  /** Does a context condition hold: has that attribute the coded value (its system inferred when left out)? */
  private holds(w: ContextCondition): boolean {
    return this.codingsOf(w.attribute).some((c) => c.code === w.code && c.system === w.system);
  }

  private codingsOf(attribute: string): { system?: string; code: string }[] {
    let out = this.resolved.get(attribute);
    if (out) return out;
    const a = this.nim.byLabel.get(attribute);
    out = (this.coded.get(attribute) ?? []).flatMap((rep) =>
      rep.codings.map((c) => {
        if (c.system !== undefined) return { system: this.codes.canonical(c.system), code: c.code };
        const v = a?.binding ? this.codes.check(a.binding.vs, c) : undefined;
        return { system: v?.kind === 'member' ? v.system : undefined, code: c.code };
      }),
    );
    this.resolved.set(attribute, out);
    return out;
  }

  /** One repetition against one rule: in the value set if any of its codings is. */
  private check(rep: CodedRepetition, rule: Rule, column: number | undefined): void {
    const severity = severityOf(rule.strength);
    const where = `value set ${rule.vs.key}${rule.context ? `, which applies when ${rule.context}` : ''}`;
    if (rep.codings.length === 0) {
      if (severity !== 'information') this.add('no-code', severity, `${rep.element} has a text but no code from ${where}`, rep.element, column, rule.vs.key);
      return;
    }
    const verdicts = rep.codings.map((c) => ({ coding: c, verdict: this.codes.check(rule.vs, c) }));
    const members = verdicts.filter((v) => v.verdict.kind === 'member');
    if (members.length) {
      for (const m of members) {
        const v = m.verdict as Extract<Verdict, { kind: 'member' }>;
        if (v.inactive) this.add('inactive-code', 'warning', `${rep.element}: ${v.system}|${m.coding.code} is inactive in ${where}; its use should be reviewed`, rep.element, column, rule.vs.key);
      }
      return;
    }
    for (const { coding, verdict } of verdicts) this.outside(rep.element, coding, verdict, rule, severity, where, column);
  }

  /** A coding that is not in the value set: why, quoting the code only when its code system has it. */
  private outside(element: string, coding: CodingValue, verdict: Verdict, rule: Rule, severity: Severity, where: string, column: number | undefined): void {
    const vs = rule.vs.key;
    switch (verdict.kind) {
      case 'not-checked':
        this.add('not-checked', 'information', `${element}: not checked against ${where}: ${verdict.reason}`, element, column, vs);
        return;
      case 'ambiguous':
        this.add('ambiguous-code', severity, `${element}: the code ${coding.code} has no system and is in ${where} under several (${verdict.systems.join(', ')}); give its system (system|code)`, element, column, vs);
        return;
      case 'member':
        return;
    }
    switch (verdict.known) {
      case 'yes':
        this.add(rule.outside, severity, `${element}: ${verdict.system}|${coding.code} is not in ${where}`, element, column, vs);
        return;
      case 'no':
        // a code its code system lacks is wrong whatever the strength; a bare code means the
        // code system of the bound value set (a code from elsewhere must name its system)
        this.add('unknown-code', 'error', `${element}: the code is not a code of ${verdict.system}${verdict.inferred ? ` (the code system of ${where})` : ''}`, element, column, vs);
        return;
      case 'no-system':
        this.add(rule.outside, severity, `${element}: the code is not in ${where}, and its code system is not known to this server`, element, column, vs);
        return;
      default:
        this.add(rule.outside, severity, `${element}: the code is not in ${where}`, element, column, vs);
    }
  }
}
