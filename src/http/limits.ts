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
const LOWER_U = 0x75;
/** what a JSON escape other than \uXXXX stands for */
const ESCAPED: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };
/** the keys whose arrays hold parameters: a Parameters resource's, and a parameter's parts */
const COUNTED_KEYS = ['parameter', 'part'];
const KEY_BYTES = COUNTED_KEYS.map((k) => Buffer.from(k));
/** a key being read, matched against COUNTED_KEYS: (characters so far << 2) | which keys it still may be; -1: none */
const KEY_START = 0b11;
const NO_KEY = -1;
function keyStep(state: number, c: number): number {
  if (state < 0) return NO_KEY;
  const at = state >> 2;
  let may = 0;
  for (let k = 0; k < KEY_BYTES.length; k++) if (state & (1 << k) && KEY_BYTES[k][at] === c) may |= 1 << k;
  return may === 0 ? NO_KEY : ((at + 1) << 2) | may;
}
const isCountedKey = (state: number) => state >= 0 && KEY_BYTES.some((k, i) => state & (1 << i) && k.length === state >> 2);
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const hexValue = (b: number) => (b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : b >= 0x41 && b <= 0x46 ? b - 0x37 : -1);

/** what a container is: an object, an array, or an array under "parameter" or "part" */
const OBJECT = 0;
const ARRAY = 1;
const COUNTED = 2;

/**
 * A pass over a JSON text, fed in pieces as they arrive, without parsing it: the deepest nesting
 * of arrays and objects, and how many parameters it holds: the elements of every array under a
 * "parameter" or "part" key, at any depth (a Parameters resource's parameters and their parts, as
 * countParameters counts them in the parsed text). A key is read as JSON.parse reads it, escapes
 * decoded, so "param\u0065ter" is counted as "parameter". Everything it needs to know between
 * pieces (the containers open, inside a string, inside an escape, the key so far) is carried over,
 * so a piece may end anywhere. It stops as soon as either count passes its limit, so a body far
 * over the parameter limit costs the few kilobytes that prove it, and the rest need not be read.
 */
export class JsonScan {
  /** the deepest nesting so far */
  depth = 0;
  parameters = 0;
  private level = 0;
  /** by level, what each open container is (OBJECT, ARRAY or COUNTED) */
  private readonly containers: number[] = [];
  private inString = false;
  private escaped = false;
  /** hex digits of a \uXXXX escape still to come, and its value so far */
  private hexLeft = 0;
  private hex = 0;
  /** the next string in the open object is a key */
  private expectKey = false;
  /** the key being read, decoded, as far as it may still be a counted one (keyStep) */
  private key = NO_KEY;
  /** the key just read is "parameter" or "part": an array as its value is counted */
  private countedKey = false;
  /** the next value in the open counted array is one more parameter */
  private elementDue = false;
  private stopped = false;

  constructor(
    readonly maxDepth = Infinity,
    readonly maxParameters = Infinity,
  ) {}

  /** Reads the next piece; false once a limit is passed (nothing more is read then). */
  write(bytes: Uint8Array): boolean {
    if (this.stopped) return false;
    const containers = this.containers;
    let { level, inString, escaped, hexLeft, hex, expectKey, key, countedKey, elementDue } = this;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (inString) {
        // the common case first: a plain byte of a string that is no key
        if (key === NO_KEY && !escaped && hexLeft === 0) {
          if (b === QUOTE) inString = false;
          else if (b === BACKSLASH) escaped = true;
          continue;
        }
        if (hexLeft > 0) {
          const h = hexValue(b);
          if (h >= 0) {
            hex = hex * 16 + h;
            if (--hexLeft === 0) key = keyStep(key, hex);
            continue;
          }
          hexLeft = 0; // not JSON: the parse refuses it; the byte is read as it is
          key = NO_KEY;
        }
        if (escaped) {
          escaped = false;
          if (b === LOWER_U) [hexLeft, hex] = [4, 0];
          else key = keyStep(key, ESCAPED[b] ?? NO_KEY);
        } else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (key !== NO_KEY) countedKey = isCountedKey(key);
          key = NO_KEY;
        } else key = keyStep(key, b);
        continue;
      }
      if (isSpace(b)) continue;
      if (elementDue) {
        elementDue = false;
        if (b !== CLOSE_ARRAY && ++this.parameters > this.maxParameters) {
          this.stopped = true;
          break;
        }
      }
      if (b === QUOTE) {
        inString = true;
        key = expectKey ? KEY_START : NO_KEY;
        expectKey = false;
        countedKey = false;
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        const kind = b === OPEN_OBJECT ? OBJECT : countedKey ? COUNTED : ARRAY;
        countedKey = false;
        if (++level > this.depth && ++this.depth > this.maxDepth) {
          this.stopped = true;
          break;
        }
        containers[level] = kind;
        expectKey = kind === OBJECT;
        elementDue = kind === COUNTED;
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
        level--;
        expectKey = countedKey = false;
      } else if (b === COMMA) {
        expectKey = containers[level] === OBJECT;
        elementDue = containers[level] === COUNTED;
        countedKey = false;
      }
    }
    Object.assign(this, { level, inString, escaped, hexLeft, hex, expectKey, key, countedKey, elementDue });
    return !this.stopped;
  }

  /** Why the text is refused (400), once a limit is passed. */
  refusal(): TerminologyError | undefined {
    if (this.depth > this.maxDepth) return refused(`The JSON is nested deeper than ${this.maxDepth} levels (KODVERK_MAX_JSON_DEPTH)`, 'too-long');
    if (this.parameters > this.maxParameters) return tooManyParameters(`more than ${this.maxParameters}`, this.maxParameters);
    return undefined;
  }
}

/**
 * The parameters of a parsed JSON value, as JsonScan counts them in its text: the elements of
 * every array under a "parameter" or "part" key, at any depth. Walked without recursion.
 */
export function countParameters(value: unknown): number {
  let count = 0;
  const todo: unknown[] = [value];
  while (todo.length > 0) {
    const v = todo.pop();
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') todo.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        if (item === null || typeof item !== 'object') continue;
        if (Array.isArray(item) && COUNTED_KEYS.includes(k)) count += item.length;
        todo.push(item);
      }
    }
  }
  return count;
}

/** A whole JSON text through JsonScan: its deepest nesting and its parameters. */
export function scanJson(text: Buffer | string, maxDepth = Infinity, maxParameters = Infinity): { depth: number; parameters: number } {
  const scan = new JsonScan(maxDepth, maxParameters);
  scan.write(typeof text === 'string' ? Buffer.from(text) : text);
  return { depth: scan.depth, parameters: scan.parameters };
}

/** The deepest nesting of arrays and objects in a JSON text (see JsonScan). */
export function jsonDepth(text: Buffer | string, max = Infinity): number {
  return scanJson(text, max).depth;
}
