import express from 'express';
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

/**
 * One pass over a JSON text without parsing it: the deepest nesting of arrays and objects (the
 * pass stops once it passes `maxDepth`), and how many elements the top-level "parameter" array
 * holds (a Parameters resource's parameters). The pass stops as soon as either passes its
 * limit, so a body far over the parameter limit costs the few kilobytes that prove it.
 */
export function scanJson(text: Buffer | string, maxDepth = Infinity, maxParameters = Infinity): { depth: number; parameters: number } {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let stringStart = 0;
  /** the last string that ended at depth 1 (a key of the top-level object) */
  let lastKey = '';
  let inParameterArray = false;
  let parameters = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++; // backslash: the next byte is escaped
      else if (b === 0x22) {
        inString = false;
        if (depth === 1 && i - stringStart === 9) lastKey = bytes.toString('latin1', stringStart, i);
      }
    } else if (b === 0x22) {
      inString = true;
      stringStart = i + 1;
    } else if (b === 0x5b || b === 0x7b) {
      if (depth === 1 && b === 0x5b) inParameterArray = lastKey === 'parameter';
      if (depth === 2 && inParameterArray && ++parameters > maxParameters) break;
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > maxDepth) break;
      }
    } else if (b === 0x5d || b === 0x7d) {
      depth--;
      if (depth === 1) inParameterArray = false;
    } else if (depth === 1 && b === 0x2c) lastKey = '';
  }
  return { depth: deepest, parameters };
}

/** The deepest nesting of arrays and objects in a JSON text (see scanJson). */
export function jsonDepth(text: Buffer | string, max = Infinity): number {
  return scanJson(text, max).depth;
}

export interface JsonBodyOptions {
  limit: number;
  maxDepth: number;
  type: string | string[];
  /** refuse a Parameters body with more parameters than this before it is parsed */
  maxParameters?: number;
}

/** express.json that first refuses JSON nested deeper than `maxDepth` (no stack overflow later on). */
export function jsonBody(options: JsonBodyOptions): ReturnType<typeof express.json> {
  return express.json({
    type: options.type,
    limit: options.limit,
    strict: true,
    verify: (_req, _res, body) => {
      const { depth, parameters } = scanJson(body, options.maxDepth, options.maxParameters);
      if (depth > options.maxDepth) throw refused(`The JSON is nested deeper than ${options.maxDepth} levels (KODVERK_MAX_JSON_DEPTH)`, 'too-long');
      // counted here, so a body of 200,000 parameters is refused without being parsed at all
      if (options.maxParameters !== undefined && parameters > options.maxParameters) throw tooManyParameters(`more than ${options.maxParameters}`, options.maxParameters);
    },
  });
}
