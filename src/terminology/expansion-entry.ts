import type { Extension, ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import type { CodeSystemProvider, Concept } from './providers/provider';
import { DESIGNATION_EXTENSIONS, DesignationEntry } from './designations';

/**
 * One code of an expansion being built, its properties, and how it is written out: the
 * `contains` element, with the concept properties (R5 `property`, carried in R4 by the
 * cross-version extensions) that the expansion then declares once at its top.
 */

export const EXT_VS_SUPPLEMENT = 'http://hl7.org/fhir/StructureDefinition/valueset-supplement';
const EXT = 'http://hl7.org/fhir/StructureDefinition/';
const EXT_R5_EXPANSION_PROPERTY = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property';
const EXT_R5_CONTAINS_PROPERTY = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property';
export const CONCEPT_PROPERTIES = 'http://hl7.org/fhir/concept-properties';

/** Extensions of a code-system concept copied into expansion entries. */
const CS_CONCEPT_EXTENSIONS = new Set([EXT + 'coding-sctdescid', EXT + 'rendering-style', EXT + 'rendering-xhtml', EXT + 'codesystem-alternate']);
/** Extensions of a value-set include concept copied into expansion entries. */
const VS_CONCEPT_EXTENSIONS = new Set([
  EXT_VS_SUPPLEMENT,
  EXT + 'valueset-deprecated',
  EXT + 'structuredefinition-standards-status',
  EXT + 'valueset-concept-definition',
  EXT + 'coding-sctdescid',
  EXT + 'rendering-style',
  EXT + 'rendering-xhtml',
]);

interface EntryProperty {
  code: string;
  valueKey: string;
  value: unknown;
}

/** One code in an expansion being built. */
export interface Entry {
  system: string;
  version?: string;
  code: string;
  display?: string;
  abstract?: boolean;
  inactive?: boolean;
  designations: DesignationEntry[];
  properties: EntryProperty[];
  extensions: Extension[];
  children: Entry[];
  /** entries copied from another expansion keep their original form */
  imported?: ValueSetExpansionContains;
  /** with a text filter: 0 the code is the text, 1 a term is exactly the text, 2 other matches */
  rank?: number;
}

/** The properties an expansion's entries carry, and the declarations (code and URI) that list them once. */
export class ExpansionProperties {
  private readonly decls: { code: string; uri?: string }[] = [];

  /** Declares a property the entries use; a URI learnt later completes a declaration without one. */
  declare(code: string, uri?: string): void {
    const existing = this.decls.find((d) => d.code === code);
    if (existing) {
      if (!existing.uri && uri) existing.uri = uri;
      return;
    }
    this.decls.push(uri ? { code, uri } : { code });
  }

  /** Declares the properties an imported expansion declared, as its entries are copied as they are. */
  declareFrom(expansion: ValueSet): void {
    for (const e of expansion.expansion?.extension ?? []) {
      if (e.url !== EXT_R5_EXPANSION_PROPERTY) continue;
      const code = e.extension?.find((x) => x.url === 'code')?.valueCode;
      if (code) this.declare(code, e.extension?.find((x) => x.url === 'uri')?.valueUri);
    }
  }

  /** Sets a property of an entry (one value per code: a later source wins). */
  set(entry: Entry, code: string, valueKey: string, value: unknown, uri?: string): void {
    if (value === undefined || value === null) return;
    const i = entry.properties.findIndex((p) => p.code === code);
    if (i >= 0) entry.properties.splice(i, 1);
    entry.properties.push({ code, valueKey, value });
    this.declare(code, uri);
  }

  /**
   * The concept's and the value set's extensions that are properties by another name (label,
   * order, weight), the value set's winning; the others an entry keeps are copied as they are.
   */
  fromExtensions(entry: Entry, ofConcept: Extension[], ofValueSetConcept: Extension[]): void {
    const sources: [Extension[], string, Set<string>][] = [
      [ofConcept, 'codesystem', CS_CONCEPT_EXTENSIONS],
      [ofValueSetConcept, 'valueset', VS_CONCEPT_EXTENSIONS],
    ];
    for (const [extensions, prefix, kept] of sources) {
      for (const e of extensions) {
        if (e.url === `${EXT}${prefix}-label`) this.set(entry, 'label', 'valueString', e.valueString, CONCEPT_PROPERTIES + '#label');
        else if (e.url === `${EXT}${prefix}-conceptOrder`) this.set(entry, 'order', 'valueDecimal', e.valueInteger ?? e.valueDecimal, CONCEPT_PROPERTIES + '#order');
        else if (e.url === EXT + 'itemWeight') this.set(entry, 'weight', 'valueDecimal', e.valueDecimal ?? e.valueInteger, CONCEPT_PROPERTIES + '#itemWeight');
        else if (kept.has(e.url)) entry.extensions.push(e);
      }
    }
  }

  /** A property the client asked for (`property`), by code or URI, '*' for all of the concept's. */
  addRequested(provider: CodeSystemProvider, c: Concept, entry: Entry, want: string): void {
    const defs = provider.info.propertyDefinitions;
    if (want === 'definition') {
      if (c.definition !== undefined) this.set(entry, 'definition', 'valueString', c.definition, CONCEPT_PROPERTIES + '#definition');
      return;
    }
    if (want === 'display') {
      if (entry.display !== undefined) this.set(entry, 'display', 'valueString', entry.display, CONCEPT_PROPERTIES + '#display');
      return;
    }
    for (const p of c.properties) {
      if (want !== '*' && p.code !== want && defs.get(p.code)?.uri !== want) continue;
      if (p.code === 'status' && entry.properties.some((x) => x.code === 'status')) continue;
      entry.properties.push({ code: p.code, valueKey: p.valueKey, value: p.value });
      this.declare(p.code, defs.get(p.code)?.uri);
    }
    if (want === 'parent' || want === CONCEPT_PROPERTIES + '#parent') {
      for (const par of c.parents) {
        if (!c.properties.some((p) => p.code === 'parent')) entry.properties.push({ code: 'parent', valueKey: 'valueCode', value: par.code });
      }
      if (c.parents.length) this.declare('parent', CONCEPT_PROPERTIES + '#parent');
    }
  }

  /** The expansion's property declarations, as R4 extensions. */
  declarations(): Extension[] {
    return this.decls.map((d) => ({
      url: EXT_R5_EXPANSION_PROPERTY,
      extension: [...(d.uri ? [{ url: 'uri', valueUri: d.uri }] : []), { url: 'code', valueCode: d.code }],
    }));
  }
}

/** An entry as an expansion's `contains` element (with its children when the expansion is a hierarchy). */
export function renderEntry(e: Entry, hierarchy: boolean): ValueSetExpansionContains {
  if (e.imported) return { ...e.imported };
  const out: ValueSetExpansionContains = {};
  const ext: Extension[] = [...e.extensions];
  for (const p of e.properties) {
    ext.push({ url: EXT_R5_CONTAINS_PROPERTY, extension: [{ url: 'code', valueCode: p.code }, { url: 'value', [p.valueKey]: p.value } as Extension] });
  }
  if (ext.length) out.extension = ext;
  out.system = e.system;
  if (e.abstract) out.abstract = true;
  if (e.inactive) out.inactive = true;
  if (e.version) out.version = e.version;
  out.code = e.code;
  if (e.display !== undefined) out.display = e.display;
  if (e.designations.length) {
    out.designation = e.designations.map((d) => {
      const de = (d.extension ?? []).filter((y) => DESIGNATION_EXTENSIONS.has(y.url));
      return { ...(d.language ? { language: d.language } : {}), ...(d.use ? { use: d.use } : {}), value: d.value, ...(de.length ? { extension: de } : {}) };
    });
  }
  if (hierarchy && e.children.length) out.contains = e.children.map((c) => renderEntry(c, true));
  return out;
}
