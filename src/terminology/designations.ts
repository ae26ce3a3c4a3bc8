import type { Coding, Extension } from 'fhir/r4';
import { LanguageMatch, LanguagePreference, matchLanguage, sctLanguageRefset } from './languages';

/** The `use` that marks a designation as the display for its language. */
export const DISPLAY_USE: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/hl7TermMaintInfra',
  code: 'preferredForLanguage',
  display: 'Preferred For Language',
};
const SCT = 'http://snomed.info/sct';
const SCT_PREFERRED = '900000000000548007';
const SCT_SYNONYM = '900000000000013009';
const SCT_FSN = '900000000000003001';
const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';

/** Extensions of a designation that are carried into expansions. */
export const DESIGNATION_EXTENSIONS = new Set([
  'http://hl7.org/fhir/StructureDefinition/coding-sctdescid',
  'http://hl7.org/fhir/StructureDefinition/rendering-style',
  'http://hl7.org/fhir/StructureDefinition/rendering-xhtml',
  STANDARDS_STATUS,
  'http://hl7.org/fhir/StructureDefinition/codesystem-alternate',
]);

export interface DesignationEntry {
  language?: string;
  use?: Coding;
  value: string;
  /** active, or the standards-status of the designation (withdrawn, deprecated, ...) */
  status: string;
  /** a display (the concept's display, a supplement's display, a value set display) */
  isDisplay: boolean;
  extension?: Extension[];
  /** dialects (language tags with a region) in which this is the preferred term */
  preferredFor?: string[];
  /**
   * a term of another code system than Snomed CT that is given a Snomed CT use (UCUM's FHIR name
   * of a unit, a synonym): a name of the concept, not one of the displays it may be written with
   */
  foreignUse?: boolean;
}

export type DisplayDifference = 'none' | 'case' | 'normalized';

function sameUse(u: Coding | undefined, system: string, code: string): boolean {
  return !!u && u.system === system && u.code === code;
}

function normaliseSpace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * All the terms of one concept (displays and designations, from the code system, its
 * supplements and the value set), with the language rules for choosing and checking displays.
 */
export class DesignationSet {
  readonly items: DesignationEntry[] = [];
  /** The terms are of a user-assigned code: a display not among them is a hint, not an error. */
  userAssigned = false;

  addDisplay(value: string | undefined, language: string | undefined, status = 'active'): void {
    if (value === undefined || value === '') return;
    this.items.push({ value, language: language || undefined, use: DISPLAY_USE, status, isDisplay: true });
  }

  addDesignation(d: { language?: string; use?: Coding; value: string; extension?: Extension[]; status?: string; preferredFor?: string[] }, foreignUse = false): void {
    if (!d.value) return;
    const ss = d.extension?.find((e) => e.url === STANDARDS_STATUS)?.valueCode;
    const entry: DesignationEntry = { value: d.value.trim(), language: d.language || undefined, use: d.use, status: d.status ?? ss ?? 'active', isDisplay: false, extension: d.extension, preferredFor: d.preferredFor };
    if (foreignUse && d.use?.system === SCT) entry.foreignUse = true;
    this.items.push(entry);
  }

  /**
   * Adds a concept's terms: its display (in the code system's language), its designations, and
   * the displays supplements give it in their languages. `system` is the concept's code system,
   * when known: a Snomed CT use makes a term a display only in Snomed CT itself.
   */
  addConcept(c: { display?: string; userAssigned?: boolean; designations: { language?: string; use?: Coding; value: string; extension?: Extension[]; isDisplay?: boolean; status?: string; preferredFor?: string[] }[] }, language: string | undefined, system?: string): this {
    if (c.userAssigned) this.userAssigned = true;
    this.addDisplay(c.display, language);
    for (const d of c.designations) {
      if (!d.isDisplay) this.addDesignation(d, system !== undefined && system !== SCT);
      else if (!this.items.some((x) => x.value === d.value && x.language === d.language)) this.addDisplay(d.value, d.language);
    }
    return this;
  }

  private static isActive(d: DesignationEntry): boolean {
    return !['withdrawn', 'inactive', 'deprecated'].includes(d.status);
  }

  /** Counts as a display (no use, display use, Snomed preferred). */
  static isDisplay(d: DesignationEntry): boolean {
    return !d.use || d.isDisplay || sameUse(d.use, DISPLAY_USE.system!, DISPLAY_USE.code!) || sameUse(d.use, SCT, SCT_PREFERRED);
  }

  /** A Snomed CT description (fully specified name or synonym): a valid display in its own language. */
  private static isSctTerm(d: DesignationEntry): boolean {
    return !d.foreignUse && (sameUse(d.use, SCT, SCT_FSN) || sameUse(d.use, SCT, SCT_SYNONYM));
  }

  /**
   * The terms that count as valid displays (all terms when not displayOnly): displays, and every
   * Snomed CT description (FSN and synonyms, each in its language). A concept's display without a
   * language that is also one of its Snomed CT descriptions is that description, not another choice.
   */
  private displayItems(displayOnly: boolean): DesignationEntry[] {
    const sct = this.items.filter((d) => DesignationSet.isSctTerm(d));
    const shadowed = (d: DesignationEntry) => d.isDisplay && !d.language && sct.some((t) => t.value === d.value);
    return this.items.filter((d) => !shadowed(d) && (!displayOnly || sct.includes(d) || DesignationSet.isDisplay(d)));
  }

  private static isPreferred(d: DesignationEntry): boolean {
    return DesignationSet.isDisplay(d) || sameUse(d.use, SCT, SCT_SYNONYM);
  }

  /** The display to show for these language preferences (undefined when none qualifies). */
  preferred(langs?: LanguagePreference): DesignationEntry | undefined {
    const all = this.items;
    if (all.length === 0) return undefined;
    const usable = langs?.usable ?? [];
    if (!langs || langs.entries.length === 0) {
      return (
        all.find((d) => DesignationSet.isPreferred(d) && DesignationSet.isActive(d)) ??
        all.find((d) => DesignationSet.isDisplay(d) && DesignationSet.isActive(d)) ??
        all.find((d) => DesignationSet.isDisplay(d)) ??
        all.find((d) => DesignationSet.isPreferred(d)) ??
        all[0]
      );
    }
    const levels = [LanguageMatch.Full, LanguageMatch.LangRegion, LanguageMatch.Lang];
    for (const l of usable) {
      // a dialect asked for (en-GB), or a language reference set by its private-use tag
      // (en-x-sctlang-90000000-00005080-04), picks the term that reference set prefers
      const refset = sctLanguageRefset(l.tag);
      const prefers = (t: string) =>
        refset
          ? sctLanguageRefset(t) === refset && matchLanguage(l.tag, t) >= LanguageMatch.Lang
          : !sctLanguageRefset(t) && matchLanguage(l.tag, t) >= LanguageMatch.LangRegion;
      const dialect = all.find((d) => DesignationSet.isActive(d) && d.preferredFor?.some(prefers));
      if (dialect) return dialect;
      for (const activeOnly of [true, false]) {
        for (const level of levels) {
          const inLang = (d: DesignationEntry) => matchLanguage(l.tag, d.language) >= level && (!activeOnly || DesignationSet.isActive(d));
          const hit =
            all.find((d) => inLang(d) && DesignationSet.isPreferred(d)) ??
            all.find((d) => inLang(d) && DesignationSet.isDisplay(d)) ??
            all.find((d) => inLang(d));
          if (hit) return hit;
        }
      }
    }
    return all.find((d) => !d.language && DesignationSet.isDisplay(d) && DesignationSet.isActive(d)) ?? all.find((d) => !d.language && DesignationSet.isDisplay(d));
  }

  /** Is a designation's language acceptable for these preferences (or the code system default)? */
  private static langOk(d: DesignationEntry, langs: LanguagePreference | undefined, level: LanguageMatch, defLang?: string): boolean {
    if (defLang && d.language && matchLanguage(defLang, d.language) >= LanguageMatch.Lang && matchLanguage(d.language, defLang) >= LanguageMatch.Lang) return true;
    if (!d.language || !langs || langs.entries.length === 0) return true;
    return langs.usable.some((l) => matchLanguage(l.tag, d.language) >= level);
  }

  /** Is `value` one of the displays/designations in the requested languages? */
  hasDisplay(
    langs: LanguagePreference | undefined,
    defLang: string | undefined,
    value: string,
    activeOnly: boolean,
  ): { found: boolean; difference: DisplayDifference } {
    const candidates = this.displayItems(false).filter((d) => DesignationSet.langOk(d, langs, LanguageMatch.Lang, defLang) && (!activeOnly || DesignationSet.isActive(d)) && d.value);
    if (candidates.some((d) => d.value.toLowerCase() === value.toLowerCase())) return { found: true, difference: 'none' };
    if (candidates.some((d) => normaliseSpace(d.value).toLowerCase() === normaliseSpace(value).toLowerCase())) return { found: false, difference: 'normalized' };
    return { found: false, difference: 'none' };
  }

  /** How many displays are there in the requested languages (best match level that has any). */
  displayCount(langs: LanguagePreference | undefined, defLang: string | undefined, displayOnly: boolean): number {
    for (const level of [LanguageMatch.Full, LanguageMatch.LangRegion, LanguageMatch.Lang]) {
      const n = this.displayItems(displayOnly).filter((d) => DesignationSet.langOk(d, langs, level, defLang) && d.value).length;
      if (n > 0) return n;
    }
    return 0;
  }

  /** "'Display 1' (en) or 'Anzeige 1' (de)" — the valid displays, for messages. */
  present(langs: LanguagePreference | undefined, displayOnly: boolean): string {
    const fmt = (d: DesignationEntry) => (d.language ? `'${d.value}' (${d.language})` : `'${d.value}'`);
    const candidates = this.displayItems(displayOnly).filter((d) => d.value);
    let list = candidates.filter((d) => DesignationSet.langOk(d, langs, LanguageMatch.Lang)).map(fmt);
    if (list.length === 0) list = candidates.map(fmt);
    if (list.length <= 1) return list[0] ?? '';
    return list.slice(0, -1).join(', ') + ' or ' + list[list.length - 1];
  }

  /** Active displays (values) acceptable in the languages, for the inactive-display message. */
  allowedDisplays(langs: LanguagePreference | undefined): string[] {
    const out: string[] = [];
    for (const d of this.displayItems(true)) {
      if (!DesignationSet.isActive(d) || !d.value || out.includes(d.value)) continue;
      if (langs && !langs.isEmpty() && d.language && !langs.usable.some((l) => matchLanguage(l.tag, d.language) >= LanguageMatch.Lang)) continue;
      out.push(d.value);
    }
    return out;
  }

  statusOf(value: string): string {
    return this.items.find((d) => d.value === value)?.status ?? '';
  }

  hasAnyDisplays(langs: LanguagePreference | undefined): boolean {
    return this.displayCount(langs, undefined, true) > 0;
  }
}
