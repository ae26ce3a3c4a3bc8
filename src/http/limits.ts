import { TerminologyError } from '../terminology/issues';

/**
 * Request limits every router shares (README "Limits"): how many parameters a request may carry
 * and how deep its JSON may nest. Each is checked in one linear pass before anything parses or
 * walks the input recursively, and refused with a 400 OperationOutcome.
 */

function refused(text: string, code = 'too-costly'): TerminologyError {
  const e = TerminologyError.of({ severity: 'error', code, txType: 'invalid-data', text }, 400);
  // body-parser keeps the status of an error thrown from `verify` when it has one
  (e as unknown as { status: number }).status = 400;
  return e;
}

export function tooManyParameters(found: number | string, max: number): TerminologyError {
  return refused(`The request has ${found} parameters; this server takes at most ${max} (KODVERK_MAX_PARAMETERS)`);
}


/**
 * The query-string parser: names to a value, or to every value in order when a name repeats. Flat
 * (no `a[b]` objects) and linear; more than `maxParameters` parameters are refused rather than
 * some silently dropped. Decoding never fails: a malformed escape stays as it was sent.
 */
export function queryParser(maxParameters: number): (query: string) => Record<string, string | string[]> {
  return (query: string) => {
    const out: Record<string, string | string[]> = Object.create(null);
    if (!query) return out;
    let count = 0;
    for (const [name, value] of new URLSearchParams(query)) {
      if (++count > maxParameters) throw tooManyParameters(`more than ${maxParameters}`, maxParameters);
      const had = out[name];
      if (had === undefined) out[name] = value;
      else if (Array.isArray(had)) had.push(value);
      else out[name] = [had, value];
    }
    return out;
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
/** the top-level key whose array holds a Parameters resource's parameters */
const PARAMETER = Buffer.from('parameter');

/**
 * A pass over a JSON text, fed in pieces as they arrive, without parsing it: the deepest nesting
 * of arrays and objects, and how many elements the top-level "parameter" array holds (a
 * Parameters resource's parameters). Everything it needs to know between pieces (depth, inside a
 * string, after a backslash, the top-level key so far) is carried over, so a piece may end
 * anywhere, even inside an escape. It stops as soon as either count passes its limit, so a body
 * far over the parameter limit costs the few kilobytes that prove it, and the rest need not be
 * read at all.
 */
export class JsonScan {
  /** the deepest nesting so far */
  depth = 0;
  parameters = 0;
  private level = 0;
  private inString = false;
  private escaped = false;
  /** how many bytes of "parameter" the top-level string being read matches so far; -1: not it */
  private keyMatch = -1;
  private lastKeyIsParameter = false;
  private inParameterArray = false;
  private stopped = false;

  constructor(
    readonly maxDepth = Infinity,
    readonly maxParameters = Infinity,
  ) {}

  /** Reads the next piece; false once a limit is passed (nothing more is read then). */
  write(bytes: Uint8Array): boolean {
    if (this.stopped) return false;
    let { level, inString, escaped, keyMatch } = this;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) {
          escaped = true;
          keyMatch = -1;
        } else if (b === QUOTE) {
          inString = false;
          if (level === 1) this.lastKeyIsParameter = keyMatch === PARAMETER.length;
        } else if (keyMatch >= 0) keyMatch = keyMatch < PARAMETER.length && b === PARAMETER[keyMatch] ? keyMatch + 1 : -1;
      } else if (b === QUOTE) {
        inString = true;
        keyMatch = level === 1 ? 0 : -1;
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        if (level === 1 && b === OPEN_ARRAY) this.inParameterArray = this.lastKeyIsParameter;
        if (level === 2 && this.inParameterArray && ++this.parameters > this.maxParameters) this.stopped = true;
        else if (++level > this.depth && ++this.depth > this.maxDepth) this.stopped = true;
        if (this.stopped) break;
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
        if (--level === 1) this.inParameterArray = false;
      } else if (level === 1 && b === COMMA) this.lastKeyIsParameter = false;
    }
    Object.assign(this, { level, inString, escaped, keyMatch });
    return !this.stopped;
  }

  /** Why the text is refused (400), once a limit is passed. */
  refusal(): TerminologyError | undefined {
    if (this.depth > this.maxDepth) return refused(`The JSON is nested deeper than ${this.maxDepth} levels (KODVERK_MAX_JSON_DEPTH)`, 'too-long');
    if (this.parameters > this.maxParameters) return tooManyParameters(`more than ${this.maxParameters}`, this.maxParameters);
    return undefined;
  }
}

/** A whole JSON text through JsonScan: its deepest nesting and its Parameters' parameters. */
export function scanJson(text: Buffer | string, maxDepth = Infinity, maxParameters = Infinity): { depth: number; parameters: number } {
  const scan = new JsonScan(maxDepth, maxParameters);
  scan.write(typeof text === 'string' ? Buffer.from(text) : text);
  return { depth: scan.depth, parameters: scan.parameters };
}

/** The deepest nesting of arrays and objects in a JSON text (see JsonScan). */
export function jsonDepth(text: Buffer | string, max = Infinity): number {
  return scanJson(text, max).depth;
}
