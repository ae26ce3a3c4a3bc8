import { Scanner } from './scanner';

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

class Parser extends Scanner {
  constructor(text: string) {
    super(text, false);
  }

  protected error(message: string): Error {
    return new ExpressionSyntaxError(message);
  }

  parse(): SctExpression {
    this.ws();
    let definitionStatus: SctExpression['definitionStatus'];
    if (this.accept('===')) definitionStatus = '===';
    else if (this.accept('<<<')) definitionStatus = '<<<';
    const e = this.subExpression();
    e.definitionStatus = definitionStatus;
    this.finish();
    return e;
  }

  /** A token after optional whitespace. */
  private next(s: string): boolean {
    this.ws();
    return this.accept(s);
  }

  private subExpression(): SctExpression {
    const focus = [this.concept()];
    while (this.next('+')) focus.push(this.concept());
    const e: SctExpression = { focus, attributes: [], groups: [] };
    if (!this.next(':')) return e;
    // ungrouped attributes first, then groups; commas between them are optional before a group
    for (let first = true; ; first = false) {
      if (!first && !this.next(',')) {
        this.ws();
        if (!this.peek('{')) break;
      }
      if (this.next('{')) {
        const group = [this.attribute()];
        while (this.next(',')) group.push(this.attribute());
        if (!this.next('}')) this.fail("expected ',' or '}'");
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
    // the reference servers' wording, where a concept id is missing
    if (!/^\d/.test(this.text.slice(this.pos))) {
      const next = this.pos < this.text.length ? this.text[this.pos] : '[n/a: overrun]';
      throw this.error(`Concept not found (next char = "${next}", in "${this.text}") at character ${this.pos + 1}`);
    }
    return this.conceptReference('a concept id');
  }

  private attribute(): ExpressionAttribute {
    const name = this.concept();
    if (!this.next('=')) this.fail("expected '='");
    this.ws();
    if (this.next('#')) {
      const n = this.number();
      return { name, value: { kind: 'concrete', text: '#' + n.text, number: n.value } };
    }
    if (this.next('"')) {
      const end = this.text.indexOf('"', this.pos);
      if (end < 0) this.fail('the string has no closing quote');
      const text = this.text.slice(this.pos - 1, end + 1);
      this.pos = end + 1;
      return { name, value: { kind: 'concrete', text } };
    }
    if (this.next('(')) {
      const inner = this.nested(() => this.subExpression());
      if (!this.next(')')) this.fail("expected ')'");
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

/**
 * An expression's writing-independent form, for telling whether two writings are the same
 * expression: no terms, the definition status stated (=== when left out), focus concepts,
 * attributes, groups and the attributes within each in a fixed order, concrete numbers as numbers.
 */
export function canonicalExpression(e: SctExpression): string {
  const attribute = (a: ExpressionAttribute) => {
    if (a.value.kind === 'concrete') return `${a.name.id}=${a.value.number !== undefined ? `#${a.value.number}` : a.value.text}`;
    const v = a.value.expression;
    return `${a.name.id}=${isSimple(v) && !v.definitionStatus ? v.focus[0].id : `(${canonicalExpression(v)})`}`;
  };
  const sorted = (xs: string[]) => [...xs].sort();
  const parts = [...sorted(e.attributes.map(attribute)), ...sorted(e.groups.map((g) => `{${sorted(g.map(attribute)).join(',')}}`))];
  return (e.definitionStatus ?? '===') + sorted(e.focus.map((f) => f.id)).join('+') + (parts.length ? ':' + parts.join(',') : '');
}
