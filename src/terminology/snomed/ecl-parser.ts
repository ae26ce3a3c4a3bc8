import type {
  ActiveChoice,
  AttributeRefinement,
  Cardinality,
  Comparison,
  ComparisonOp,
  ConceptChoice,
  ConceptFilterItem,
  ConceptRef,
  DescriptionFilterItem,
  DialectChoice,
  EclFilter,
  EclNode,
  HierarchyOp,
  HistorySupplement,
  MemberFilterItem,
  Refinement,
  SubExpression,
  TimeComparison,
  TypedTerm,
} from './ecl-ast';
import { SCT } from './sctid';
import { Scanner } from './scanner';

/** ECL 2.x: a compound expression or refinement has one kind of binary operator; mixing needs brackets. */
const MIXED_OPERATORS = 'mixed AND/OR operators must be enclosed in parentheses';

/** ECL text that does not follow the grammar; the message says where and what was expected. */
export class EclSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EclSyntaxError';
  }
}

const HIERARCHY: [string, HierarchyOp][] = [
  ['<<!', '<<!'],
  ['<<', '<<'],
  ['<!', '<!'],
  ['>>!', '>>!'],
  ['>>', '>>'],
  ['>!', '>!'],
  ['!!>', '!!>'],
  ['!!<', '!!<'],
  ['descendantOrSelfOf', '<<'],
  ['descendantOf', '<'],
  ['childOrSelfOf', '<<!'],
  ['childOf', '<!'],
  ['ancestorOrSelfOf', '>>'],
  ['ancestorOf', '>'],
  ['parentOrSelfOf', '>>!'],
  ['parentOf', '>!'],
];

const DESCRIPTION_TYPES: Record<string, string> = { fsn: SCT.fsn, syn: SCT.synonym, def: SCT.definition };
const DEFINITION_STATUSES: Record<string, string> = { primitive: SCT.primitive, defined: SCT.defined };
const DIALECTS: Record<string, string> = { 'en-us': SCT.usEnglish, 'en-gb': SCT.gbEnglish, sv: SCT.swedish, 'sv-se': SCT.swedish };

/**
 * A recursive-descent parser for ECL 2 (brief and long syntax): hierarchy operators, memberOf,
 * wildcard, AND/OR/MINUS with the specification's bracketing rules (AND and OR never mixed
 * without brackets, MINUS binary), refinements with cardinality, reverse attributes, attribute
 * groups, concrete value comparisons, dotted attributes, and description/concept filters.
 */
class Parser extends Scanner {
  constructor(text: string) {
    super(text, true);
  }

  protected error(message: string): Error {
    return new EclSyntaxError(message);
  }

  parse(): EclNode {
    this.ws();
    if (this.pos >= this.text.length) this.fail('the expression is empty');
    const node = this.expressionConstraint();
    this.finish();
    return node;
  }

  private expect(s: string, what = `'${s}'`): void {
    this.ws();
    if (!this.accept(s)) this.fail(`expected ${what}${this.found()}`);
  }

  /** A case-insensitive keyword not followed by a letter or digit. */
  private keyword(word: string): boolean {
    const s = this.text.slice(this.pos, this.pos + word.length);
    if (s.toLowerCase() !== word.toLowerCase() || /[A-Za-z0-9_-]/.test(this.text[this.pos + word.length] ?? '')) return false;
    this.pos += word.length;
    return true;
  }

  private integer(what: string): number {
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected ${what}${this.found()}`);
    this.pos += m[0].length;
    return Number(m[0]);
  }

  // ---- expression constraints -------------------------------------------------------------

  private expressionConstraint(): EclNode {
    const first = this.subExpression();
    this.ws();
    if (this.accept(':')) {
      this.ws();
      return { kind: 'refined', base: first, refinement: this.refinement() };
    }
    if (this.peek('.') && !this.peek('..')) {
      const attributes: EclNode[] = [];
      while (this.peek('.') && !this.peek('..')) {
        this.pos++;
        this.ws();
        attributes.push(this.subExpression());
        this.ws();
      }
      return { kind: 'dotted', base: first, attributes };
    }
    const op = this.binaryOperator();
    if (!op) return first;
    if (op === 'minus') {
      this.ws();
      const right = this.subExpression();
      this.ws();
      const next = this.binaryOperator();
      if (next) this.fail(`'${next.toUpperCase()}' after MINUS needs brackets: an exclusion takes exactly two operands`);
      return { kind: 'minus', left: first, right };
    }
    const operands = [first];
    for (let next: string | undefined = op; next; ) {
      // the reference servers' wording, with no position: the whole expression is at fault
      if (next !== op) throw this.error(MIXED_OPERATORS);
      this.ws();
      operands.push(this.subExpression());
      this.ws();
      next = this.binaryOperator();
    }
    return { kind: op, operands };
  }

  private binaryOperator(): 'and' | 'or' | 'minus' | undefined {
    if (this.keyword('AND') || this.accept(',')) return 'and';
    if (this.keyword('OR')) return 'or';
    if (this.keyword('MINUS')) return 'minus';
    return undefined;
  }

  private subExpression(): SubExpression {
    this.ws();
    const op = this.hierarchyOperator();
    this.ws();
    const memberOf = this.accept('^') || this.keyword('memberOf');
    this.ws();
    const memberField = memberOf && this.peek('[') ? this.memberFieldSelection() : undefined;
    this.ws();
    let focus: SubExpression['focus'];
    if (this.accept('(')) {
      this.ws();
      focus = this.nested(() => this.expressionConstraint());
      this.expect(')');
    } else if (this.accept('*') || this.keyword('ANY')) {
      focus = { kind: 'wildcard' };
    } else {
      focus = this.concept();
    }
    const filters: EclFilter[] = [];
    let history: HistorySupplement | undefined;
    for (;;) {
      this.ws();
      if (!this.accept('{{')) break;
      this.ws();
      if (this.accept('+')) {
        if (history) this.fail('only one history supplement is allowed');
        history = this.historySupplement();
      } else filters.push(this.nested(() => this.filter())); // a filter's values may hold constraints with filters
    }
    if (!memberOf && filters.some((x) => x.kind === 'member')) this.fail('member filters ({{ M ... }}) apply to the members of a reference set: ^ <refset> {{ M ... }}');
    return { kind: 'sub', op, memberOf, ...(memberField ? { memberField } : {}), focus, filters, ...(history ? { history } : {}) };
  }

  /**
   * `^ [field]` (ECL 2.2): which field of the members the constraint yields. A value set holds
   * concepts, so one field of concepts: the referenced component (as plain ^) or the target/value.
   */
  private memberFieldSelection(): 'target' | undefined {
    this.expect('[');
    const fields: string[] = [];
    do {
      this.ws();
      fields.push(this.accept('*') ? '*' : this.word());
      this.ws();
    } while (this.accept(','));
    this.expect(']');
    if (fields.length !== 1 || fields[0] === '*') this.fail('select one field of the members: a value set holds concepts, not rows of fields');
    if (fields[0] === 'referencedComponentId') return undefined;
    if (fields[0] === 'targetComponentId' || fields[0] === 'valueId') return 'target';
    return this.fail(`'${fields[0]}' is not a field of concepts the store keeps (referencedComponentId, targetComponentId, valueId)`);
  }

  /** After '{{ +': HISTORY, HISTORY-MIN|-MOD|-MAX, or HISTORY (expression constraint), then '}}'. */
  private historySupplement(): HistorySupplement {
    this.ws();
    // HISTORY-MIN (or HISTORY_MIN, as the grammar also allows) is one word here: the profile is read off it
    const m = /^[A-Za-z][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos)) ?? this.fail(`expected HISTORY${this.found()}`);
    this.pos += m[0].length;
    const [keyword, profile] = m[0].toUpperCase().split(/[-_](.*)/);
    if (keyword !== 'HISTORY') this.fail(`expected HISTORY${this.found()}`);
    let out: HistorySupplement = { profile: 'MAX' };
    if (profile !== undefined) {
      if (profile !== 'MIN' && profile !== 'MOD' && profile !== 'MAX') this.fail(`'${profile}' is not a history profile (MIN, MOD, MAX)`);
      out = { profile };
    } else {
      this.ws();
      if (this.accept('(')) {
        this.ws();
        out = { refsets: this.nested(() => this.expressionConstraint()) };
        this.expect(')');
      }
    }
    this.ws();
    this.expect('}}');
    return out;
  }

  private hierarchyOperator(): HierarchyOp | undefined {
    for (const [token, op] of HIERARCHY) {
      if (/^[a-z]/.test(token) ? this.keyword(token) : this.peek(token) && !this.peek(token + '=') && this.accept(token)) return op;
    }
    if (this.peek('<') && !this.peek('<=')) return (this.pos++, '<');
    if (this.peek('>') && !this.peek('>=')) return (this.pos++, '>');
    return undefined;
  }

  private concept(): ConceptRef {
    const { id, term } = this.conceptReference("a concept id, '*' or '('");
    return term === undefined ? { kind: 'concept', id } : { kind: 'concept', id, term };
  }

  // ---- refinements --------------------------------------------------------------------------

  private refinement(): Refinement {
    const first = this.subRefinement();
    this.ws();
    const op = this.binaryOperator();
    if (!op) return first;
    if (op === 'minus') this.fail('MINUS cannot join refinements');
    const items = [first];
    for (let next: string | undefined = op; next; ) {
      if (next !== op) throw this.error(MIXED_OPERATORS);
      this.ws();
      items.push(this.subRefinement());
      this.ws();
      next = this.binaryOperator();
    }
    return { kind: op, items };
  }

  private subRefinement(): Refinement {
    this.ws();
    if (this.peek('(')) {
      // either a bracketed refinement or an attribute whose name is a bracketed constraint
      const start = this.pos;
      try {
        this.pos++;
        this.ws();
        const inner = this.nested(() => this.refinement());
        this.expect(')');
        return inner;
      } catch (e) {
        if (!(e instanceof EclSyntaxError)) throw e;
        this.pos = start;
      }
    }
    const cardinality = this.peek('[') ? this.cardinality() : undefined;
    this.ws();
    if (this.accept('{')) {
      this.ws();
      const inner = this.nested(() => this.refinement());
      this.expect('}');
      return { kind: 'group', cardinality, inner };
    }
    return this.attribute(cardinality);
  }

  private cardinality(): Cardinality {
    this.expect('[');
    this.ws();
    const min = this.integer('a minimum cardinality');
    this.expect('..');
    this.ws();
    const max = this.accept('*') ? undefined : this.integer("a maximum cardinality or '*'");
    this.expect(']');
    if (max !== undefined && max < min) this.fail(`the cardinality [${min}..${max}] has its maximum below its minimum`);
    return { min, max };
  }

  private attribute(cardinality: Cardinality | undefined): AttributeRefinement {
    this.ws();
    const reverse = this.keyword('R') || this.keyword('reverseOf');
    this.ws();
    const name = this.subExpression();
    this.ws();
    return { kind: 'attribute', cardinality, reverse, name, comparison: this.comparison() };
  }

  private comparison(): Comparison {
    const op = (['!=', '<=', '>=', '=', '<', '>'] as ComparisonOp[]).find((o) => this.accept(o));
    if (!op) this.fail(`expected a comparison operator (=, !=, <, <=, >, >=)${this.found()}`);
    this.ws();
    if (this.accept('#')) return { type: 'numeric', op, value: this.number().value };
    const equality = op === '=' || op === '!=' ? op : this.fail(`'${op}' compares numbers: the value must be #<number>`);
    if (this.peek('"')) return { type: 'string', op: equality, values: [this.quoted()] };
    if (this.startsStringSet()) return { type: 'string', op: equality, values: this.list(() => (this.ws(), this.quoted())) };
    if (this.keyword('true')) return { type: 'boolean', op: equality, value: true };
    if (this.keyword('false')) return { type: 'boolean', op: equality, value: false };
    return { type: 'expression', op: equality, value: this.subExpression() };
  }

  /** Is this `( "…"`: a set of strings rather than a bracketed expression constraint? */
  private startsStringSet(): boolean {
    const start = this.pos;
    const set = this.accept('(') && (this.ws(), this.peek('"'));
    this.pos = start;
    return set;
  }

  private quoted(): string {
    this.expect('"', 'a quoted string');
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      if (this.text[this.pos] === '\\' && this.pos + 1 < this.text.length) this.pos++;
      out += this.text[this.pos++];
    }
    if (!this.accept('"')) this.fail('the string has no closing quote');
    return out;
  }

  // ---- filters --------------------------------------------------------------------------------

  private filter(): EclFilter {
    this.ws();
    let kind: EclFilter['kind'] = 'description';
    if (this.keyword('D')) kind = 'description';
    else if (this.keyword('C')) kind = 'concept';
    else if (this.keyword('M')) kind = 'member';
    const descriptionItems: DescriptionFilterItem[] = [];
    const conceptItems: ConceptFilterItem[] = [];
    const memberItems: MemberFilterItem[] = [];
    do {
      this.ws();
      if (kind === 'description') descriptionItems.push(this.descriptionFilterItem());
      else if (kind === 'concept') conceptItems.push(this.conceptFilterItem());
      else memberItems.push(this.memberFilterItem());
      this.ws();
    } while (this.accept(','));
    this.expect('}}');
    if (kind === 'member') return { kind, items: memberItems };
    return kind === 'description' ? { kind, items: descriptionItems } : { kind, items: conceptItems };
  }

  /** A field of the members: the fields this store keeps of association, attribute-value and simple map refsets. */
  private memberFilterItem(): MemberFilterItem {
    // moduleId, effectiveTime and active are ECL keywords (any letter case); the others name refset fields
    if (this.keyword('moduleId')) {
      const op = this.equality();
      return { kind: 'module', op, concepts: this.conceptChoice() };
    }
    if (this.keyword('effectiveTime')) return { kind: 'effectiveTime', time: this.timeComparison() };
    if (this.keyword('active')) {
      const value = this.activeValue();
      // the store keeps the active members of a release: asking for the others cannot be answered
      if (value !== true && value !== 'none') this.fail('only the active members of a reference set are kept: a member filter can ask for active = 1, not for inactive members');
      return { kind: 'active', value };
    }
    const field = this.word();
    if (field === 'mapTarget') {
      const op = this.equality();
      return { kind: 'mapTarget', op, terms: this.list(() => this.typedTerm()) };
    }
    const concept = field === 'referencedComponentId' ? 'referencedComponentId' : field === 'targetComponentId' || field === 'valueId' ? 'target' : undefined;
    if (!concept) return this.fail(`member filters on '${field}' are not supported (referencedComponentId, targetComponentId, valueId, mapTarget, moduleId, effectiveTime, active)`);
    const op = this.equality();
    this.ws();
    return { kind: 'concept', field: concept, op, value: this.subExpression() };
  }

  private equality(): '=' | '!=' {
    this.ws();
    if (this.accept('!=')) return '!=';
    if (this.accept('=')) return '=';
    return this.fail(`expected = or !=${this.found()}`);
  }

  /** One value, or several in round brackets. */
  private list<T>(one: () => T): T[] {
    this.ws();
    if (!this.accept('(')) return [one()];
    const out: T[] = [];
    for (this.ws(); !this.accept(')'); this.ws()) {
      if (this.pos >= this.text.length) this.fail("expected ')'");
      out.push(one());
    }
    return out;
  }

  /**
   * The concepts of a filter's id field: an expression constraint (a concept, `<< id`, `^ refset`,
   * a bracketed constraint) or a set of concept references in brackets, `(id id ...)`.
   */
  private conceptChoice(): ConceptChoice {
    this.ws();
    if (this.peek('(')) {
      const start = this.pos;
      try {
        const ids = this.conceptSet();
        // `(id) {{ C active = 1 }}` is a bracketed constraint with a filter, not a set
        if (!this.filterFollows()) return { ids };
      } catch (e) {
        if (!(e instanceof EclSyntaxError)) throw e;
      }
      this.pos = start;
    }
    const constraint = this.subExpression();
    const { focus } = constraint;
    // a lone concept is a set of one: compared by id, as aliases are
    if (focus.kind === 'concept' && !constraint.op && !constraint.memberOf && constraint.filters.length === 0 && !constraint.history) return { ids: [focus.id] };
    return { constraint };
  }

  private filterFollows(): boolean {
    const start = this.pos;
    this.ws();
    const follows = this.peek('{{');
    this.pos = start;
    return follows;
  }

  /** `(id [|term|] id [|term|] ...)`: two or more concept references, or one. */
  private conceptSet(): string[] {
    this.expect('(');
    const out: string[] = [];
    for (this.ws(); !this.accept(')'); this.ws()) out.push(this.conceptReference("a concept id or ')'").id);
    if (out.length === 0) this.fail('the set of concepts is empty');
    return out;
  }

  /** One word or several in brackets, each one of the keys of `table` (case-insensitive). */
  private aliases(table: Record<string, string>, what: string): string[] {
    return this.list(() => {
      const w = this.word().toLowerCase();
      return table[w] ?? this.fail(`'${w}' is not ${what} (${Object.keys(table).join(', ')})`);
    });
  }

  private word(): string {
    const m = /^[A-Za-z][A-Za-z0-9-]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a word${this.found()}`);
    this.pos += m[0].length;
    return m[0];
  }

  private descriptionFilterItem(): DescriptionFilterItem {
    if (this.keyword('term')) {
      const op = this.equality();
      return { kind: 'term', op, terms: this.list(() => this.typedTerm()) };
    }
    if (this.keyword('language')) {
      const op = this.equality();
      return { kind: 'language', op, codes: this.list(() => this.word().toLowerCase()) };
    }
    if (this.keyword('typeId')) {
      const op = this.equality();
      return { kind: 'type', op, concepts: this.conceptChoice() };
    }
    if (this.keyword('type')) {
      const op = this.equality();
      return { kind: 'type', op, concepts: { ids: this.aliases(DESCRIPTION_TYPES, 'a description type') } };
    }
    if (this.keyword('dialectId')) return this.dialectFilter(true);
    if (this.keyword('dialect')) return this.dialectFilter(false);
    if (this.keyword('moduleId')) {
      const op = this.equality();
      return { kind: 'module', op, concepts: this.conceptChoice() };
    }
    if (this.keyword('effectiveTime')) return { kind: 'effectiveTime', time: this.timeComparison() };
    if (this.keyword('active')) return { kind: 'active', value: this.activeValue() };
    if (this.keyword('id')) {
      const op = this.equality();
      return { kind: 'id', op, ids: this.list(() => this.sctid('a description id')) };
    }
    return this.fail(`expected a description filter (term, language, type, typeId, dialect, dialectId, moduleId, effectiveTime, active, id)${this.found()}`);
  }

  /**
   * `dialect = alias | (alias [(acceptability)] ...)` or `dialectId = constraint | (id [(acceptability)] ...)`,
   * then optionally acceptabilities for every dialect named without its own.
   */
  private dialectFilter(byId: boolean): DescriptionFilterItem {
    const op = this.equality();
    this.ws();
    const one = (): DialectChoice => {
      const refsets: ConceptChoice = byId
        ? { ids: [this.conceptReference('a concept id').id] }
        : { ids: [DIALECTS[this.word().toLowerCase()] ?? this.fail(`unknown dialect alias (${Object.keys(DIALECTS).join(', ')})`)] };
      this.ws();
      return { refsets, acceptability: this.peek('(') ? this.acceptabilities() : [] };
    };
    let dialects: DialectChoice[];
    if (this.accept('(')) {
      const start = this.pos - 1;
      dialects = [];
      try {
        for (this.ws(); !this.accept(')'); this.ws()) dialects.push(one());
        if (dialects.length === 0) this.fail('the set of dialects is empty');
        if (byId && this.filterFollows()) this.fail('a bracketed constraint with a filter');
      } catch (e) {
        // dialectId = (<< 900000000000506000) or (id) {{ ... }}: a bracketed expression constraint
        if (!(e instanceof EclSyntaxError) || !byId) throw e;
        this.pos = start;
        dialects = [{ refsets: { constraint: this.subExpression() }, acceptability: [] }];
      }
    } else if (byId) {
      dialects = [{ refsets: this.conceptChoice(), acceptability: [] }];
      this.ws();
      if (this.peek('(')) dialects[0].acceptability = this.acceptabilities();
    } else dialects = [one()];
    this.ws();
    if (this.peek('(')) {
      if (dialects.every((d) => d.acceptability.length > 0)) this.fail('every dialect already has its acceptability');
      const all = this.acceptabilities();
      for (const d of dialects) if (d.acceptability.length === 0) d.acceptability = all;
    }
    return { kind: 'dialect', op, dialects };
  }

  /** `(prefer accept)` or `(900000000000548007 ...)`: the acceptabilities asked for. */
  private acceptabilities(): ('P' | 'A')[] {
    this.expect('(');
    const out: ('P' | 'A')[] = [];
    for (this.ws(); !this.accept(')'); this.ws()) {
      if (this.keyword('prefer')) out.push('P');
      else if (this.keyword('accept')) out.push('A');
      else {
        const { id } = this.conceptReference("'prefer', 'accept' or an acceptability concept id");
        if (id === SCT.preferred) out.push('P');
        else if (id === SCT.acceptable) out.push('A');
        else this.fail(`${id} is not an acceptability (${SCT.preferred} preferred, ${SCT.acceptable} acceptable)`);
      }
    }
    if (out.length === 0) this.fail("expected 'prefer' or 'accept'");
    return out;
  }

  private typedTerm(): TypedTerm {
    this.ws();
    let type: TypedTerm['type'] = 'match';
    if (this.keyword('match')) type = 'match';
    else if (this.keyword('wild')) type = 'wild';
    else return { type, text: this.quoted() };
    this.expect(':');
    this.ws();
    return { type, text: this.quoted() };
  }

  /** `= true|false|1|0|*` (or `!=`) of an active filter. */
  private activeValue(): ActiveChoice {
    const op = this.equality();
    this.ws();
    let value: boolean;
    if (this.keyword('true') || this.accept('1')) value = true;
    else if (this.keyword('false') || this.accept('0')) value = false;
    else if (this.accept('*')) return op === '=' ? 'any' : 'none';
    else return this.fail('expected true, false, 1, 0 or *');
    return op === '=' ? value : !value;
  }

  /** `<op> "YYYYMMDD"` or `<op> ("YYYYMMDD" "YYYYMMDD" ...)` after effectiveTime. */
  private timeComparison(): TimeComparison {
    this.ws();
    const op = (['!=', '<=', '>=', '=', '<', '>'] as ComparisonOp[]).find((o) => this.accept(o)) ?? this.fail(`expected a comparison operator (=, !=, <, <=, >, >=)${this.found()}`);
    const dates = this.list(() => {
      this.ws();
      const v = this.quoted();
      // "" is no effective time: a component not yet published (ECL 2.2 timeValue)
      if (v === '') return UNPUBLISHED;
      if (!isDate(v)) this.fail(`'${v}' is not a date (YYYYMMDD)`);
      return Number(v);
    });
    if (dates.length === 0) this.fail('the set of dates is empty');
    if (dates.includes(UNPUBLISHED) && op !== '=' && op !== '!=') this.fail(`an empty effective time (not yet published) has no order: compare it with = or !=, not ${op}`);
    return { op, dates };
  }

  /** A bare SCTID (digits), as description ids are written. */
  private sctid(what: string): string {
    const m = /^\d{6,18}/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected ${what}${this.found()}`);
    this.pos += m[0].length;
    return m[0];
  }

  private conceptFilterItem(): ConceptFilterItem {
    if (this.keyword('definitionStatusId')) {
      const op = this.equality();
      return { kind: 'definitionStatus', op, concepts: this.conceptChoice() };
    }
    if (this.keyword('definitionStatus')) {
      const op = this.equality();
      return { kind: 'definitionStatus', op, concepts: { ids: this.aliases(DEFINITION_STATUSES, 'a definition status') } };
    }
    if (this.keyword('moduleId')) {
      const op = this.equality();
      return { kind: 'module', op, concepts: this.conceptChoice() };
    }
    if (this.keyword('active')) return { kind: 'active', value: this.activeValue() };
    if (this.keyword('effectiveTime')) return { kind: 'effectiveTime', time: this.timeComparison() };
    return this.fail(`expected a concept filter (definitionStatus, definitionStatusId, moduleId, active, effectiveTime)${this.found()}`);
  }
}

/** The effective time "" (not yet published) among dates: below every real one, equal to none a release holds. */
const UNPUBLISHED = 0;

/** YYYYMMDD of a day that exists (20240229, not 20230229). */
function isDate(v: string): boolean {
  const m = /^([1-9]\d{3})(\d{2})(\d{2})$/.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Parses ECL into its tree; throws EclSyntaxError with the position of the first problem. */
export function parseEcl(text: string): EclNode {
  return new Parser(text).parse();
}
