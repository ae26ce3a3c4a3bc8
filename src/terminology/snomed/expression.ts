/**
 * Snomed CT compositional grammar (SCG): post-coordinated expressions such as
 * `64572001 |Disease| : 363698007 |Finding site| = 10200004 |Liver structure|`. Parsing into a
 * tree, and rendering back (with or without terms).
 */

export interface ExpressionConcept {
  id: string;
  term?: string;
  /** 1-based character position in the source (for messages) */
  position: number;
}

export type AttributeValue = { kind: 'expression'; expression: SctExpression } | { kind: 'concrete'; text: string; number?: number };

export interface ExpressionAttribute {
  name: ExpressionConcept;
  value: AttributeValue;
}

export interface SctExpression {
  /** === (equivalent) or <<< (subtype of) when stated */
  definitionStatus?: '===' | '<<<';
  focus: ExpressionConcept[];
  /** ungrouped attributes */
  attributes: ExpressionAttribute[];
  groups: ExpressionAttribute[][];
}

export class ExpressionSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionSyntaxError';
  }
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): SctExpression {
    this.ws();
    let definitionStatus: SctExpression['definitionStatus'];
    if (this.accept('===')) definitionStatus = '===';
    else if (this.accept('<<<')) definitionStatus = '<<<';
    const e = this.subExpression();
    e.definitionStatus = definitionStatus;
    this.ws();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text.slice(this.pos, this.pos + 12)}'`);
    return e;
  }

  private fail(message: string): never {
    throw new ExpressionSyntaxError(`Syntax error at character ${this.pos + 1}: ${message}`);
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private accept(s: string): boolean {
    this.ws();
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  private subExpression(): SctExpression {
    const focus = [this.concept()];
    while (this.accept('+')) focus.push(this.concept());
    const e: SctExpression = { focus, attributes: [], groups: [] };
    if (!this.accept(':')) return e;
    // ungrouped attributes first, then groups; commas between them are optional before a group
    for (let first = true; ; first = false) {
      if (!first && !this.accept(',')) {
        this.ws();
        if (this.text[this.pos] !== '{') break;
      }
      if (this.accept('{')) {
        const group = [this.attribute()];
        while (this.accept(',')) group.push(this.attribute());
        if (!this.accept('}')) this.fail("expected ',' or '}'");
        e.groups.push(group);
      } else {
        if (e.groups.length) this.fail('ungrouped attributes must come before the attribute groups');
        e.attributes.push(this.attribute());
      }
    }
    return e;
  }

  private concept(): ExpressionConcept {
    this.ws();
    const position = this.pos + 1;
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a concept id${this.pos >= this.text.length ? ' but the expression ended' : ` but found '${this.text.slice(this.pos, this.pos + 12)}'`}`);
    if (m[0].length < 6 || m[0].length > 18) this.fail(`'${m[0]}' is not an SCTID (6 to 18 digits)`);
    this.pos += m[0].length;
    const c: ExpressionConcept = { id: m[0], position };
    if (this.accept('|')) {
      const end = this.text.indexOf('|', this.pos);
      if (end < 0) this.fail("the term has no closing '|'");
      c.term = this.text.slice(this.pos, end).trim();
      this.pos = end + 1;
    }
    return c;
  }

  private attribute(): ExpressionAttribute {
    const name = this.concept();
    if (!this.accept('=')) this.fail("expected '='");
    this.ws();
    if (this.accept('#')) {
      const m = /^[-+]?\d+(\.\d+)?/.exec(this.text.slice(this.pos));
      if (!m) this.fail("expected a number after '#'");
      this.pos += m[0].length;
      return { name, value: { kind: 'concrete', text: '#' + m[0], number: Number(m[0]) } };
    }
    if (this.accept('"')) {
      const end = this.text.indexOf('"', this.pos);
      if (end < 0) this.fail('the string has no closing quote');
      const text = this.text.slice(this.pos - 1, end + 1);
      this.pos = end + 1;
      return { name, value: { kind: 'concrete', text } };
    }
    if (this.accept('(')) {
      const inner = this.subExpression();
      if (!this.accept(')')) this.fail("expected ')'");
      return { name, value: { kind: 'expression', expression: inner } };
    }
    return { name, value: { kind: 'expression', expression: { focus: [this.concept()], attributes: [], groups: [] } } };
  }
}

export function parseExpression(text: string): SctExpression {
  return new Parser(text).parse();
}

/** A single concept with no refinement (a pre-coordinated code written as an expression). */
export function isSimple(e: SctExpression): boolean {
  return e.focus.length === 1 && e.attributes.length === 0 && e.groups.length === 0;
}

/** Every concept an expression mentions (focus, attribute names, values), depth first. */
export function conceptsOf(e: SctExpression): ExpressionConcept[] {
  const out = [...e.focus];
  for (const a of [...e.attributes, ...e.groups.flat()]) {
    out.push(a.name);
    if (a.value.kind === 'expression') out.push(...conceptsOf(a.value.expression));
  }
  return out;
}

/**
 * Renders an expression in the compact form (no spaces). `term` gives the term to show for a
 * concept (undefined: none), so the same function renders codes (no terms) and displays.
 */
export function renderExpression(e: SctExpression, term: (c: ExpressionConcept) => string | undefined = () => undefined): string {
  const concept = (c: ExpressionConcept) => {
    const t = term(c);
    return t ? `${c.id}|${t}|` : c.id;
  };
  const attribute = (a: ExpressionAttribute) => {
    if (a.value.kind === 'concrete') return `${concept(a.name)}=${a.value.text}`;
    const v = a.value.expression;
    const inner = renderExpression(v, term);
    return `${concept(a.name)}=${isSimple(v) ? inner : `(${inner})`}`;
  };
  let out = (e.definitionStatus ?? '') + e.focus.map(concept).join('+');
  const parts = [...e.attributes.map(attribute), ...e.groups.map((g) => `{${g.map(attribute).join(',')}}`)];
  if (parts.length) out += ':' + parts.join(',');
  return out;
}
