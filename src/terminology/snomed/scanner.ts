/** Deepest bracket nesting the parsers accept. */
export const MAX_NESTING = 100;

/**
 * What the ECL and the compositional-grammar parsers share: a position in the text, whitespace,
 * literal tokens, concept references (`id |term|`) and error messages that say where.
 */
export abstract class Scanner {
  protected pos = 0;
  private depth = 0;

  constructor(
    protected readonly text: string,
    /** /* comments *\/ count as whitespace (ECL) */
    private readonly comments: boolean,
  ) {}

  /** The error thrown for a syntax problem (each grammar has its own class). */
  protected abstract error(message: string): Error;

  protected fail(message: string): never {
    throw this.error(`Syntax error at character ${this.pos + 1}: ${message}`);
  }

  /**
   * Parses something in brackets: nesting deeper than MAX_NESTING is a syntax error rather than a
   * stack overflow (the text may come from any client).
   */
  protected nested<T>(parse: () => T): T {
    this.depth++;
    try {
      if (this.depth > MAX_NESTING) this.fail(`brackets are nested deeper than ${MAX_NESTING} levels`);
      return parse();
    } finally {
      this.depth--;
    }
  }

  protected ws(): void {
    const pattern = this.comments ? /^(\s+|\/\*[\s\S]*?\*\/)/ : /^\s+/;
    for (let m = pattern.exec(this.text.slice(this.pos)); m; m = pattern.exec(this.text.slice(this.pos))) this.pos += m[0].length;
  }

  protected peek(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  protected accept(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  /** " but found '...'" or " but the expression ended", for messages. */
  protected found(): string {
    return this.pos >= this.text.length ? ' but the expression ended' : ` but found '${this.text.slice(this.pos, this.pos + 12)}'`;
  }

  /** The text must end here (after whitespace). */
  protected finish(): void {
    this.ws();
    if (this.pos < this.text.length) this.fail(`unexpected '${this.text.slice(this.pos, this.pos + 12)}'`);
  }

  /** A decimal number (after the '#' of a concrete value). */
  protected number(): { text: string; value: number } {
    const m = /^[-+]?\d+(\.\d+)?/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected a number after '#'${this.found()}`);
    this.pos += m[0].length;
    return { text: m[0], value: Number(m[0]) };
  }

  /** `id [|term|]`: an SCTID-shaped number with an optional term in pipes; `expected` names the alternatives. */
  protected conceptReference(expected: string): { id: string; term?: string; position: number } {
    const position = this.pos + 1;
    const m = /^\d+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(`expected ${expected}${this.found()}`);
    if (m[0].length < 6 || m[0].length > 18) this.fail(`'${m[0]}' is not an SCTID (6 to 18 digits)`);
    this.pos += m[0].length;
    const ref: { id: string; term?: string; position: number } = { id: m[0], position };
    this.ws();
    if (this.accept('|')) {
      const end = this.text.indexOf('|', this.pos);
      if (end < 0) this.fail("the term has no closing '|'");
      ref.term = this.text.slice(this.pos, end).trim();
      this.pos = end + 1;
    }
    return ref;
  }
}
