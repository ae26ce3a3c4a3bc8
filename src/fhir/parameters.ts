import type { Parameters, ParametersParameter, Coding, CodeableConcept } from 'fhir/r4';
import { TerminologyError } from '../terminology/issues';

/**
 * The inputs of one operation call, whether they came as a query string (GET, form POST) or as
 * a Parameters resource (POST). Query values are strings; Parameters values keep their type.
 */
export class OperationInput {
  constructor(readonly entries: ParametersParameter[], readonly fromQuery = false) {}

  static fromQuery(query: Record<string, unknown>): OperationInput {
    const entries: ParametersParameter[] = [];
    for (const [name, raw] of Object.entries(query)) {
      if (name.startsWith('_') && name !== '_incoming') continue; // _format etc. are HTTP concerns
      const values = Array.isArray(raw) ? raw : [raw];
      for (const v of values) if (typeof v === 'string') entries.push({ name, valueString: v });
    }
    return new OperationInput(entries, true);
  }

  static fromParameters(body: Parameters): OperationInput {
    return new OperationInput(body.parameter ?? []);
  }

  has(name: string): boolean {
    return this.entries.some((e) => e.name === name);
  }

  get(name: string): ParametersParameter | undefined {
    return this.entries.find((e) => e.name === name);
  }

  all(name: string): ParametersParameter[] {
    return this.entries.filter((e) => e.name === name);
  }

  /** The primitive value of a parameter, as a string (any value[x] type). */
  string(name: string): string | undefined {
    const e = this.get(name);
    return e ? primitiveString(e) : undefined;
  }

  strings(name: string): string[] {
    return this.all(name)
      .map(primitiveString)
      .filter((s): s is string => s !== undefined);
  }

  boolean(name: string): boolean | undefined {
    const e = this.get(name);
    if (!e) return undefined;
    if (typeof e.valueBoolean === 'boolean') return e.valueBoolean;
    const s = primitiveString(e);
    if (s === 'true') return true;
    if (s === 'false') return false;
    throw invalidParameter(name, `the value '${s}' is not a boolean`);
  }

  integer(name: string): number | undefined {
    const e = this.get(name);
    if (!e) return undefined;
    if (typeof e.valueInteger === 'number') return e.valueInteger;
    const s = primitiveString(e);
    if (s !== undefined && /^-?\d+$/.test(s.trim())) return Number(s);
    throw invalidParameter(name, `the value '${s}' is not an integer`);
  }

  resource<T = any>(name: string): T | undefined {
    return this.get(name)?.resource as T | undefined;
  }

  resources(name: string): any[] {
    return this.all(name)
      .map((e) => e.resource)
      .filter((r) => r !== undefined);
  }

  coding(name: string): Coding | undefined {
    const e = this.get(name);
    if (!e) return undefined;
    if (e.valueCoding) return e.valueCoding;
    const s = primitiveString(e);
    if (s === undefined) return undefined;
    // query form: system|code (the token syntax)
    const bar = s.lastIndexOf('|');
    return bar < 0 ? { code: s } : { system: s.slice(0, bar) || undefined, code: s.slice(bar + 1) };
  }

  codeableConcept(name: string): CodeableConcept | undefined {
    const e = this.get(name);
    if (!e) return undefined;
    if (e.valueCodeableConcept) return e.valueCodeableConcept;
    if (e.valueCoding) return { coding: [e.valueCoding] };
    return undefined;
  }
}

const PRIMITIVE_KEYS = [
  'valueString', 'valueUri', 'valueUrl', 'valueCanonical', 'valueCode', 'valueId', 'valueOid', 'valueUuid',
  'valueBoolean', 'valueInteger', 'valueDecimal', 'valueDate', 'valueDateTime', 'valueInstant', 'valueTime',
  'valueMarkdown', 'valueUnsignedInt', 'valuePositiveInt', 'valueBase64Binary',
] as const;

export function primitiveString(e: ParametersParameter): string | undefined {
  for (const k of PRIMITIVE_KEYS) {
    const v = (e as any)[k];
    if (v !== undefined && v !== null) return String(v);
  }
  return undefined;
}

function invalidParameter(name: string, why: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `Invalid parameter '${name}': ${why}` }, 400);
}

/** Builds an output Parameters resource in order. */
export class ParametersBuilder {
  readonly parameter: ParametersParameter[] = [];

  add(p: ParametersParameter): this {
    this.parameter.push(p);
    return this;
  }

  str(name: string, v: string | undefined): this {
    return v === undefined ? this : this.add({ name, valueString: v });
  }

  code(name: string, v: string | undefined): this {
    return v === undefined ? this : this.add({ name, valueCode: v });
  }

  uri(name: string, v: string | undefined): this {
    return v === undefined ? this : this.add({ name, valueUri: v });
  }

  bool(name: string, v: boolean | undefined): this {
    return v === undefined ? this : this.add({ name, valueBoolean: v });
  }

  build(): Parameters {
    return { resourceType: 'Parameters', parameter: this.parameter };
  }
}
