import type { ParametersParameter } from 'fhir/r4';
import { TerminologyError } from '../terminology/issues';

/** One input parameter of an operation, as declared in its OperationDefinition. */
export interface OperationParameterDefinition {
  name: string;
  type?: string;
  min?: number;
  max?: string;
  documentation?: string;
}

/**
 * The inputs of one operation call, whether they came as a query string (GET, form POST) or as
 * a Parameters resource (POST), as Parameters.parameter entries.
 */
export class OperationInput {
  constructor(readonly entries: ParametersParameter[]) {}

  /**
   * Query-string values typed by the operation's declared parameters: a `coding` given as
   * `system|code` becomes a Coding, booleans and integers their FHIR types; undeclared names
   * stay strings.
   */
  static fromQuery(query: Record<string, unknown>, declared: OperationParameterDefinition[] = []): OperationInput {
    const entries: ParametersParameter[] = [];
    const types = declaredTypes(declared);
    for (const [name, raw] of Object.entries(query)) {
      if (name.startsWith('_')) continue; // _format, _pretty: HTTP concerns
      const type = types.get(name);
      for (const v of Array.isArray(raw) ? raw : [raw]) {
        if (typeof v === 'string') entries.push(typed(name, v, type));
      }
    }
    return new OperationInput(entries);
  }

  /**
   * Refuses a parameter the operation takes once (max 1) given more than once, in the query, the
   * body or both: which of the values was meant cannot be known, so none is taken.
   */
  requireSingleValues(declared: OperationParameterDefinition[]): this {
    const single = singleValued(declared);
    const seen = new Set<string>();
    for (const e of this.entries) {
      if (!single.has(e.name)) continue;
      if (seen.has(e.name)) {
        const times = this.entries.filter((x) => x.name === e.name).length;
        throw TerminologyError.of(
          { severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter '${e.name}' is given ${times} times; it takes one value`, expression: [e.name] },
          400,
        );
      }
      seen.add(e.name);
    }
    return this;
  }

  resources(name: string): any[] {
    return this.entries.filter((e) => e.name === name && e.resource !== undefined).map((e) => e.resource);
  }
}

// an operation's declared parameters are fixed: what is looked up in them per call is built once
const typesOf = new WeakMap<OperationParameterDefinition[], Map<string, string | undefined>>();
const singleOf = new WeakMap<OperationParameterDefinition[], Set<string>>();

function declaredTypes(declared: OperationParameterDefinition[]): Map<string, string | undefined> {
  let types = typesOf.get(declared);
  if (!types) typesOf.set(declared, (types = new Map(declared.map((d) => [d.name, d.type]))));
  return types;
}

function singleValued(declared: OperationParameterDefinition[]): Set<string> {
  let single = singleOf.get(declared);
  if (!single) singleOf.set(declared, (single = new Set(declared.filter((d) => d.max !== '*').map((d) => d.name))));
  return single;
}

function invalid(name: string, why: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `Invalid parameter '${name}': ${why}` }, 400);
}

function typed(name: string, value: string, type: string | undefined): ParametersParameter {
  switch (type) {
    case 'boolean':
      if (value !== 'true' && value !== 'false') throw invalid(name, `'${value}' is not true or false`);
      return { name, valueBoolean: value === 'true' };
    case 'integer':
      // FHIR's integer is 32 bits
      if (!/^-?\d+$/.test(value.trim()) || Number(value) < -(2 ** 31) || Number(value) >= 2 ** 31) throw invalid(name, `'${value.slice(0, 40)}' is not an integer (32 bits)`);
      return { name, valueInteger: Number(value) };
    case 'Coding': {
      // token syntax: system|code (a bare value is a code without system)
      const bar = value.lastIndexOf('|');
      return { name, valueCoding: bar < 0 ? { code: value } : { system: value.slice(0, bar) || undefined, code: value.slice(bar + 1) } };
    }
    case 'uri':
      return { name, valueUri: value };
    case 'canonical':
      return { name, valueCanonical: value };
    case 'code':
      return { name, valueCode: value };
    default:
      return { name, valueString: value };
  }
}
