/**
 * The extensions a NIM logical model carries, and the code systems their codes come from.
 *
 * FHIR R4's StructureDefinition and ElementDefinition have no place for what a NIM says beyond
 * structure: the Swedish lifecycle (utkast → påseende → fastställd → upphävd), legal basis,
 * register relevance, derivation and the purpose and normative status of a terminology binding.
 * Each gets an extension under https://kodverk.se/fhir/StructureDefinition/; context-dependent
 * bindings use the official R5 cross-version extension for ElementDefinition.binding.additional,
 * so R5 tools read them as they are. The definitions below are published as StructureDefinitions
 * in every release package (see extensionDefinitions), so vendors get them with the models.
 */

export const KODVERK = 'https://kodverk.se/fhir';
export const SD_BASE = `${KODVERK}/StructureDefinition/`;

export const EXT = {
  lifecycle: `${SD_BASE}nim-lifecycle`,
  effectivePeriod: `${SD_BASE}nim-effective-period`,
  legalBasis: `${SD_BASE}nim-legal-basis`,
  registerRelevant: `${SD_BASE}nim-register-relevant`,
  registerItem: `${SD_BASE}nim-register-item`,
  derived: `${SD_BASE}nim-derived`,
  bindingPurpose: `${SD_BASE}nim-binding-purpose`,
  normativeStatus: `${SD_BASE}nim-normative-status`,
  codesPending: `${SD_BASE}nim-codes-pending`,
  /** R5 ElementDefinition.binding.additional carried in R4 (sub-extensions purpose, valueSet, documentation, usage) */
  additionalBinding: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional',
} as const;

/** Code systems of the codes in the extensions (authored in terminology/nim/ as part of the content pack). */
export const CS = {
  lifecycle: `${KODVERK}/CodeSystem/nim-livscykel`,
  bindingPurpose: `${KODVERK}/CodeSystem/nim-bindningssyfte`,
  normgivning: `${KODVERK}/CodeSystem/nim-normgivning`,
} as const;

export const LIFECYCLE = ['utkast', 'paseende', 'faststalld', 'upphavd'] as const;
export type Lifecycle = (typeof LIFECYCLE)[number];

/** FHIR's publication status for each lifecycle state (FHIR has no "under review" or "repealed"). */
export const FHIR_STATUS: Record<Lifecycle, 'draft' | 'active' | 'retired'> = {
  utkast: 'draft',
  paseende: 'draft',
  faststalld: 'active',
  upphavd: 'retired',
};

export const BINDING_PURPOSES = ['dokumentation', 'registerrapportering', 'lokal-uppfoljning'] as const;
export type BindingPurpose = (typeof BINDING_PURPOSES)[number];

/** Legal basis kinds: a law (lagrum), a binding regulation (föreskrift), general advice (allmänt råd). */
export const LEGAL_BASIS_KINDS = ['lagrum', 'foreskrift', 'allmant-rad'] as const;
export type LegalBasisKind = (typeof LEGAL_BASIS_KINDS)[number];

/** How binding a terminology binding is: general advice, or a regulation (002:L2196–2222). */
export const NORMATIVE_STATUSES = ['allmant-rad', 'foreskrift'] as const;
export type NormativeStatus = (typeof NORMATIVE_STATUSES)[number];

/** R5 additional-binding purposes (ElementDefinition.binding.additional.purpose). */
export const ADDITIONAL_PURPOSES = ['maximum', 'minimum', 'required', 'extensible', 'candidate', 'current', 'preferred', 'ui', 'starter', 'component'] as const;
export type AdditionalPurpose = (typeof ADDITIONAL_PURPOSES)[number];

interface ExtensionDoc {
  id: string;
  url: string;
  title: string;
  description: string;
  context: string[];
  /** a simple extension's value type, or the sub-extensions of a complex one */
  value?: string;
  parts?: { name: string; type: string; min: number; max: string; description: string }[];
  /** value set of a code value */
  valueSet?: string;
}

/** What each extension means (README and the published StructureDefinitions say the same). */
export const EXTENSION_DOCS: ExtensionDoc[] = [
  { id: 'nim-lifecycle', url: EXT.lifecycle, title: 'NIM livscykel', description: 'The Swedish lifecycle state of the NIM version: utkast, paseende (public review), faststalld (adopted, immutable), upphavd (repealed). StructureDefinition.status carries the nearest FHIR status.', context: ['StructureDefinition'], value: 'code', valueSet: `${KODVERK}/ValueSet/nim-livscykel` },
  { id: 'nim-effective-period', url: EXT.effectivePeriod, title: 'Giltighetsperiod', description: 'When the NIM version, or a terminology binding, is in force (start inclusive, end inclusive).', context: ['StructureDefinition', 'ElementDefinition.binding'], value: 'Period' },
  {
    id: 'nim-legal-basis',
    url: EXT.legalBasis,
    title: 'Rättslig grund',
    description: 'The legal basis of the NIM or the attribute: a law paragraph (lagrum), a regulation (föreskrift) or general advice (allmänt råd). Repeats.',
    context: ['StructureDefinition', 'ElementDefinition'],
    parts: [
      { name: 'kind', type: 'code', min: 1, max: '1', description: 'lagrum | foreskrift | allmant-rad (https://kodverk.se/fhir/CodeSystem/nim-normgivning)' },
      { name: 'citation', type: 'string', min: 1, max: '1', description: 'the citation as written, e.g. "11 kap. 5 § SoL" or "SOSFS 2014:5"' },
      { name: 'code', type: 'Coding', min: 0, max: '1', description: 'the paragraph in https://kodverk.se/fhir/CodeSystem/lagrum, when it has a code' },
    ],
  },
  { id: 'nim-register-relevant', url: EXT.registerRelevant, title: 'Uppgift för register', description: 'True when the attribute is (or feeds) an item of the social-services data register (the register is a subset of the NIM, 001:L1309–1313).', context: ['ElementDefinition'], value: 'boolean' },
  { id: 'nim-register-item', url: EXT.registerItem, title: 'Registeruppgift', description: 'The name of the register item the attribute feeds (001 Tabell 1), e.g. "Datum för aktualisering".', context: ['ElementDefinition'], value: 'string' },
  {
    id: 'nim-derived',
    url: EXT.derived,
    title: 'Härledd uppgift',
    description: 'The attribute is derived from other attributes and not documented on its own (e.g. ålder from person-id).',
    context: ['ElementDefinition'],
    parts: [
      { name: 'from', type: 'string', min: 1, max: '*', description: 'the id of an attribute of the same NIM it is derived from' },
      { name: 'rule', type: 'string', min: 0, max: '1', description: 'how it is derived' },
    ],
  },
  { id: 'nim-binding-purpose', url: EXT.bindingPurpose, title: 'Bindningens syfte', description: 'What the binding is for: dokumentation, registerrapportering, lokal-uppfoljning. Repeats.', context: ['ElementDefinition.binding'], value: 'code', valueSet: `${KODVERK}/ValueSet/nim-bindningssyfte` },
  { id: 'nim-normative-status', url: EXT.normativeStatus, title: 'Normativ status', description: 'allmant-rad (general advice: a floating binding may take in future versions) or foreskrift (a regulation: the binding should be pinned, url|version).', context: ['ElementDefinition.binding'], value: 'code', valueSet: `${KODVERK}/ValueSet/nim-normativ-status` },
  { id: 'nim-codes-pending', url: EXT.codesPending, title: 'Koder saknas ännu', description: 'On a ValueSet in a release package: the bound value set had no codes at publication (not defined yet, or its code system not imported); the value says why.', context: ['ValueSet'], value: 'string' },
];

/** The extension definitions as FHIR StructureDefinitions (published in every release package). */
export function extensionDefinitions(): any[] {
  return EXTENSION_DOCS.map((d) => {
    const root = { id: 'Extension', path: 'Extension', short: d.title, definition: d.description, min: 0, max: '*' };
    const elements: any[] = [root];
    if (d.parts) {
      elements.push({ id: 'Extension.value[x]', path: 'Extension.value[x]', max: '0' });
      for (const p of d.parts) {
        const slice = `Extension.extension:${p.name}`;
        elements.push(
          { id: slice, path: 'Extension.extension', sliceName: p.name, short: p.description, min: p.min, max: p.max },
          { id: `${slice}.url`, path: 'Extension.extension.url', fixedUri: p.name },
          { id: `${slice}.value[x]`, path: 'Extension.extension.value[x]', min: 1, type: [{ code: p.type }] },
        );
      }
    } else {
      elements.push({ id: 'Extension.extension', path: 'Extension.extension', max: '0' });
      const value: any = { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type: [{ code: d.value }] };
      if (d.valueSet) value.binding = { strength: 'required', valueSet: d.valueSet };
      elements.push(value);
    }
    elements.push({ id: 'Extension.url', path: 'Extension.url', fixedUri: d.url });
    return {
      resourceType: 'StructureDefinition',
      id: d.id,
      url: d.url,
      version: '1.0.0',
      name: d.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
      title: d.title,
      status: 'active',
      publisher: 'Kodverk',
      description: d.description,
      fhirVersion: '4.0.1',
      kind: 'complex-type',
      abstract: false,
      context: d.context.map((expression) => ({ type: 'element', expression })),
      type: 'Extension',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
      derivation: 'constraint',
      differential: { element: elements },
    };
  });
}
