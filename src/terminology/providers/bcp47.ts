import type { CodeSystem } from 'fhir/r4';
import iso6392 from 'iso-639-2';
import ISO6391 from 'iso-639-1';
import type { Concept, ConceptFilter, Designation, EnumerationBasis, LocateResult } from './provider';
import { registerProviderKind } from './registry';
import { TerminologyError } from '../issues';
import { GrammarProvider, builtInConcept, builtInResource, listFilter, servesResource, term } from './builtin';
import { parseLanguageTag, LanguageTag, allSubtags, conventionalCase, covers, currentSubtags, registeredCase, registryEntry, registryDate } from './bcp47-registry';

/**
 * BCP-47 language tags (urn:ietf:bcp:47): every valid tag is a code. A tag is valid when it is
 * well formed (RFC 5646 §2.1) and every subtag is in the IANA Language Subtag Registry. Tags are
 * case-insensitive (RFC 5646 §2.1.1): `sv-se` is the tag `sv-SE`, found and reported in the
 * registry's conventional case (a CODE_CASE_DIFFERENCE note and the normalized code).
 *
 * Displays: English from the registry's descriptions ("Swedish (Sweden)", "Serbian (Script=Latin)"),
 * Swedish from Intl.DisplayNames ("Svenska (Sverige)"); both are displays in their language, so a
 * request in Swedish (displayLanguage or Accept-Language sv) gets Swedish. The other English forms a
 * tag is written in are designations, so they validate as displays.
 *
 * Enumeration: the grammar has no end; an expansion of all of it lists the languages of ISO 639-2
 * by their shortest tag (ISO 639-1 where it has a current code), the definition of HL7's
 * "Languages" value set, and is marked incomplete.
 */
export const BCP47_URL = 'urn:ietf:bcp:47';
const LANGUAGES_VS = 'http://terminology.hl7.org/ValueSet/Languages';

/** Components a filter can fix to one subtag with '=' (language = sv, region = SE, script = Latn). */
const FIXABLE = ['language', 'ext-lang', 'script', 'region', 'variant'];

const RESOURCE = builtInResource(
  { url: BCP47_URL, oid: '2.16.840.1.113883.6.121', name: 'IETFLanguageTags', title: 'Tags for Identifying Languages (BCP 47)', publisher: 'IETF', description: `Språkkoder enligt BCP 47, prövade mot IANA:s register över språkkodsdelar (${registryDate()}).` },
  {
    content: 'not-present',
    caseSensitive: false,
    filter: COMPONENTS().map((code) =>
      FIXABLE.includes(code) ? { code, operator: ['exists', '='], value: 'true or false (exists); a subtag (=)' } : { code, operator: ['exists'], value: 'true or false' },
    ),
  },
);

function COMPONENTS(): string[] {
  return ['language', 'ext-lang', 'script', 'region', 'variant', 'extension', 'private-use'];
}

/** The subtags of a tag for a component, in lower case (for comparing without regard to case). */
function subtagsOf(tag: LanguageTag, component: string): string[] {
  const found: Record<string, (string | undefined)[]> = { language: [tag.language], 'ext-lang': [tag.extlang], script: [tag.script], region: [tag.region], variant: tag.variants };
  return (found[component] ?? []).filter((x): x is string => !!x).map((x) => x.toLowerCase());
}

const swedish = new Intl.DisplayNames(['sv'], { type: 'language', fallback: 'none' });
const english = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

function descriptions(type: string, subtag: string): string[] {
  return registryEntry(type, subtag)?.Description ?? [];
}

function description(type: string, subtag: string): string | undefined {
  return descriptions(type, subtag)[0];
}

/** The registry's names of a tag's script, region and variants (every registered subtag has one). */
interface PartNames {
  script?: string;
  region?: string;
  variants: string[];
}

function partNames(tag: LanguageTag): PartNames {
  return {
    script: tag.script && (description('script', tag.script) ?? tag.script),
    region: tag.region && (description('region', tag.region) ?? tag.region),
    variants: tag.variants.map((v) => description('variant', v) ?? v),
  };
}

/** A language with a region and no script or variant: "Swedish (Sweden)", not "(Region=Sweden)". */
const onlyRegion = (p: PartNames): p is PartNames & { region: string } => !!p.region && !p.script && p.variants.length === 0;

/**
 * The English display the way the FHIR tooling (the HL7 validator, tx.fhir.org) presents a tag: a
 * language with only a region as "Swedish (Sweden)"; otherwise each further part named, "Serbian
 * (Script=Latin, Region=Serbia)", so that a script is not taken for a region.
 */
function namedDisplay(lang: string, p: PartNames): string {
  if (onlyRegion(p)) return `${lang} (${p.region})`;
  const parts = [p.script && `Script=${p.script}`, p.region && `Region=${p.region}`, ...p.variants.map((v) => `Variant=${v}`)].filter((x): x is string => !!x);
  return parts.length ? `${lang} (${parts.join(', ')})` : lang;
}

/** The English display from the registry. */
function registryDisplay(tag: LanguageTag): string | undefined {
  // a grandfathered tag has no parts to name: it is shown as itself, its description is another display
  if (tag.grandfathered) return undefined;
  if (!tag.language) return undefined;
  return namedDisplay(languageName(tag), partNames(tag));
}

/** The language's name: of its extended language subtag when it has one (zh-yue is Yue Chinese). */
function languageName(tag: LanguageTag): string {
  const subtag = tag.extlang ?? tag.language ?? '';
  return description(tag.extlang ? 'extlang' : 'language', subtag) ?? subtag;
}

/**
 * Other English displays a tag is known by, accepted when a display is validated: the
 * registry's other names for the language ("Castilian" for es), the parts unnamed ("Serbian
 * (Latin, Serbia)"), and a language with a region named or joined by a hyphen ("English
 * (Region=United States)", "English-United States"), as clients built on the FHIR tooling write
 * them (displays are compared without regard to case).
 */
function alternativeDisplays(tag: LanguageTag): string[] {
  if (tag.grandfathered) return descriptions('grandfathered', tag.grandfathered);
  if (!tag.language) return [];
  const p = partNames(tag);
  const unnamed = [p.script, p.region, ...p.variants].filter((x): x is string => !!x);
  const names = descriptions(tag.extlang ? 'extlang' : 'language', tag.extlang ?? tag.language);
  return (names.length ? names : [languageName(tag)]).flatMap((name) => [
    namedDisplay(name, p),
    ...(unnamed.length ? [`${name} (${unnamed.join(', ')})`] : []),
    ...(onlyRegion(p) ? [`${name} (Region=${p.region})`, `${name}-${p.region}`] : []),
  ]);
}

function capitalised(s: string): string {
  return s.charAt(0).toLocaleUpperCase('sv') + s.slice(1);
}

function intlName(names: Intl.DisplayNames, tag: string): string | undefined {
  try {
    const n = names.of(tag);
    return n && n !== tag ? n : undefined;
  } catch {
    return undefined;
  }
}

const DISPLAY_USE = { system: 'http://terminology.hl7.org/CodeSystem/designation-usage', code: 'display' };

/**
 * Does a tag use a subtag of the registry's private-use ranges (qaa-qtz, Qaaa-Qabx, XA-XZ, ZZ, ...)?
 * Those mean what the parties agree; Intl.DisplayNames gives some of them CLDR's names ("ZZ":
 * Unknown Region, "XA": Pseudo-Accents), which would contradict the registry.
 */
function usesPrivateUseSubtag(tag: LanguageTag): boolean {
  if (tag.privateUse && !tag.language) return true;
  const parts: [string, string | undefined][] = [['language', tag.language], ['script', tag.script], ['region', tag.region]];
  return parts.some(([type, subtag]) => subtag !== undefined && description(type, subtag) === 'Private use');
}

/** The concept for a valid tag: its display in English, and Swedish and other English displays. */
function tagConcept(code: string, tag: LanguageTag): Concept {
  const en = registryDisplay(tag);
  const designations: Designation[] = [];
  const intl = !usesPrivateUseSubtag(tag);
  const sv = intl ? intlName(swedish, code) : undefined;
  if (sv) designations.push(term('sv', capitalised(sv)));
  // a redundant tag has a description of its own in the registry (az-Latn: Azerbaijani in Latin script)
  const others = new Set([...alternativeDisplays(tag), ...descriptions('redundant', code), intl ? intlName(english, code) : undefined]);
  for (const other of others) if (other && other !== en) designations.push(term('en', other, DISPLAY_USE));
  return builtInConcept(code, en ?? code, designations);
}

/** The languages of ISO 639-2 by their BCP-47 tag: the current ISO 639-1 code, else the 639-2 (T) code. */
function iso639Languages(): string[] {
  const current = new Set<string>(ISO6391.getAllCodes());
  const out: string[] = [];
  for (const l of iso6392) {
    if (l.iso6392B.startsWith('qaa')) continue; // the range reserved for local use
    const code = l.iso6391 && current.has(l.iso6391) ? l.iso6391 : (l.iso6392T ?? l.iso6392B);
    const entry = registryEntry('language', code);
    // a 639-2 code with a 639-1 code that was withdrawn (bih) has no tag of its own
    if (entry && !entry.Deprecated && !out.includes(code)) out.push(code);
  }
  return out.sort();
}

/** An include whose filters leave the language open and cannot be listed from the basis value set. */
function notEnumerable(): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'not-supported', messageId: 'CODESYSTEM_NOT_ENUMERABLE', text: `This filter on ${BCP47_URL} cannot be expanded` }, 400);
}

export class Bcp47Provider extends GrammarProvider {
  /** `component = subtag`: the tags with that subtag (compared without regard to case). */
  private fixedComponent(property: string, value: string): ConceptFilter {
    const want = value.toLowerCase();
    const includes = (c: Concept) => {
      const t = parseLanguageTag(c.code);
      return !('problem' in t) && subtagsOf(t, property).includes(want);
    };
    const listed = () =>
      this.fixedComponentCodes(property, value)
        .map((code) => this.locate(code).concept)
        .filter((c): c is Concept => !!c);
    return listFilter(listed, includes, (c) => `The language code ${c.code} does not have a ${property} of '${value}'`);
  }

  /**
   * The tags a fixed component selects, for an expansion: a language with each current region of
   * the registry (finite); a script or region added to each language of the basis value set (the
   * grammar allows more: the expansion is marked incomplete like any other of this system).
   */
  private fixedComponentCodes(property: string, value: string): string[] {
    const subtag = registeredCase(property === 'ext-lang' ? 'extlang' : property, value);
    if (!subtag) return [];
    if (property === 'language') return [subtag, ...currentSubtags('region').map((r) => `${subtag}-${r}`)];
    if (property === 'script' || property === 'region') return this.basis().map((c) => `${c.code}-${subtag}`);
    return [];
  }

  /**
   * What an include's '=' filters list together: the subtags they fix, and one tag for each
   * registered subtag at the first position they leave open, the region before the script (the
   * tag itself first): language = en gives en, en-AA, en-AC, ...; language = en and region = US
   * give en-US, en-Adlm-US, ... Every registered subtag counts, deprecated ones and each of a
   * private-use range too, for all make valid tags. Without a fixed language a fixed region lists
   * every language (finite, for the expansion's limit to judge); anything else (a script alone)
   * cannot be listed. Filters with only 'exists' are left to the basis value set (bare languages),
   * unless they ask for more than a language (region exists = true): that cannot be listed either.
   */
  enumerateFilters(filters: { property: string; op: string; value: string }[]): ConceptFilter | undefined {
    const fixed = new Map<string, string | undefined>();
    for (const f of filters) if (f.op === '=' && FIXABLE.includes(f.property)) fixed.set(f.property, registeredCase(f.property === 'ext-lang' ? 'extlang' : f.property, f.value));
    if (fixed.size === 0) {
      // the basis lists bare languages: a filter asking for more than a language (region exists) would list nothing
      const beyond = filters.some((f) => f.op === 'exists' && (f.property === 'language' ? f.value === 'false' : f.value === 'true'));
      if (beyond) throw notEnumerable();
      return undefined;
    }
    const tags = (): string[] => {
      // a subtag not in the registry (or two different ones for one part) selects nothing
      if ([...fixed.values()].some((v) => v === undefined)) return [];
      const [language, extlang, script, region, variant] = FIXABLE.map((p) => fixed.get(p));
      const tag = (lang: string | undefined, scr: string | undefined, reg: string | undefined) => [lang, extlang, scr, reg, variant].filter((x) => !!x).join('-');
      if (!language) return region && !extlang && !script ? allSubtags('language').map((l) => tag(l, undefined, region)) : [];
      if (!region) return [tag(language, script, undefined), ...allSubtags('region').map((r) => tag(language, script, r))];
      if (!script) return [tag(language, undefined, region), ...allSubtags('script').map((s) => tag(language, s, region))];
      return [tag(language, script, region)];
    };
    const values = [...fixed.values()];
    if (!fixed.has('language') && !(fixed.has('region') && fixed.size === 1)) {
      if (values.some((v) => v === undefined)) return listFilter(() => [], () => false);
      throw notEnumerable();
    }
    return listFilter(
      () => tags().map((code) => this.locate(code).concept).filter((c): c is Concept => !!c),
      () => true,
    );
  }

  readonly enumerationBasis: EnumerationBasis = { url: LANGUAGES_VS, status: 'active' };
  protected parse(code: string): LocateResult {
    // tags are case-insensitive (RFC 5646 §2.1.1): `en-us` is the tag en-US, which the validator
    // reports as the code in its conventional case
    const conventional = conventionalCase(code);
    const tag = parseLanguageTag(conventional);
    if (!('problem' in tag)) return { concept: tagConcept(conventional, tag) };
    const asWritten = conventional === code ? tag : parseLanguageTag(code);
    if (!('problem' in asWritten)) return { concept: tagConcept(code, asWritten) };
    // why the tag is invalid, in the words of the tag as written unless only a subtag's case differs
    return { detail: asWritten.caseOnly ? tag.problem : asWritten.problem };
  }

  /**
   * A tag subsumes the tags that add subtags to it (en subsumes en-US, zh-Hans-CN and en-Latn-US;
   * en-US subsumes en-Latn-US): language ranges by extended filtering (RFC 4647 §3.3.2).
   */
  override subsumes(ancestor: Concept, descendant: Concept): boolean {
    if (ancestor.code === descendant.code) return true;
    const a = parseLanguageTag(ancestor.code);
    const d = parseLanguageTag(descendant.code);
    return !('problem' in a) && !('problem' in d) && covers(a, d);
  }

  protected basisCodes(): string[] {
    return iso639Languages();
  }

  supportsFilter(property: string, op: string): boolean {
    return (op === 'exists' && COMPONENTS().includes(property)) || (op === '=' && FIXABLE.includes(property));
  }

  protected systemFilter(property: string, op: string, value: string): ConceptFilter | undefined {
    if (op === '=') return this.fixedComponent(property, value);
    if (value !== 'true' && value !== 'false') return undefined;
    const want = value === 'true';
    const has = (c: Concept) => {
      const t = parseLanguageTag(c.code);
      if ('problem' in t) return false;
      const present: Record<string, boolean> = {
        language: !!t.language,
        'ext-lang': !!t.extlang,
        script: !!t.script,
        region: !!t.region,
        variant: t.variants.length > 0,
        extension: t.extensions.length > 0,
        'private-use': !!t.privateUse,
      };
      return present[property] === want;
    };
    return listFilter(
      () => this.basis(),
      has,
      (c) => `The language code ${c.code} ${want ? 'has no' : 'has a'} ${property}, and it is ${want ? 'required' : 'not allowed'}`,
    );
  }
}

registerProviderKind({
  name: 'bcp47',
  matches: (cs) => servesResource(BCP47_URL, cs),
  inMemory: (_cs: CodeSystem, supplements) => new Bcp47Provider(RESOURCE, supplements),
  builtIn: () => RESOURCE,
});
