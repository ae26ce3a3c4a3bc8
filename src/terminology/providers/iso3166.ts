import type { CodeSystem, CodeSystemConcept } from 'fhir/r4';
import countries from 'i18n-iso-countries';
import { iso31661 } from 'iso-3166';
import type { Concept, LocateResult } from './provider';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { builtInResource, listedKind, withSupplements } from './builtin';
import { supplementAdditions } from './base';

/**
 * ISO 3166-1 country codes (urn:iso:std:iso:3166): alpha-2 (SE), alpha-3 (SWE) and numeric (752)
 * of the countries ISO 3166-1 assigns, from `iso-3166` (its list of assigned code elements).
 * The display is ISO's English short name as that list gives it ("Korea, Republic of",
 * "Côte d'Ivoire", "Viet Nam"): FHIR says to display "the Country name", which is ISO's, not a
 * colloquial one ("South Korea"). The Swedish name, a designation, comes from
 * `i18n-iso-countries`. The user-assigned codes ISO 3166-1 reserves (AA, QM–QZ, XA–XZ, ZZ and
 * their alpha-3 and numeric counterparts) are valid codes without a fixed name: "User-assigned";
 * a supplement may name them. Codes ISO merely reserves (EU, UK, …) are not code elements.
 *
 * No version is reported: FHIR's version of ISO 3166 is the year of the edition, and these lists
 * follow ISO's changes as they are published (Eswatini, North Macedonia, Türkiye, Kingdom of the
 * Netherlands) rather than one edition's text, so no year is true of them.
 */
export const ISO3166_URL = 'urn:iso:std:iso:3166';
const USER_ASSIGNED = 'User-assigned';
const ANVANDARTILLDELAD = 'Användartilldelad';

/**
 * Case-insensitive: HL7 says ISO 3166 codes SHALL be written in upper case, but that comparisons
 * are case insensitive "for robustness" (THO, Using ISO 3166 with HL7 Standards). So `se` is SE,
 * with the hint that its case differs (and the code in its correct case as normalized-code).
 */
const RESOURCE = builtInResource(
  { url: ISO3166_URL, oid: '1.0.3166.1.2.2', name: 'ISO3166Part1', title: 'ISO 3166-1 Codes for the representation of names of countries', publisher: 'ISO', description: 'Landkoder enligt ISO 3166-1: alfa-2, alfa-3 och numeriska, med svenska och engelska namn.' },
  {
    caseSensitive: false,
    // the filter FHIR's value sets of one code form use (iso3166-1-3: code regex [A-Z]{3})
    filter: [{ code: 'code', operator: ['regex'], value: 'a regular expression the whole code matches' }],
  },
);

/** The alpha-2 user-assigned codes: AA, QM–QZ, XA–XZ and ZZ (ISO 3166-1 §8.1.3). */
function userAssignedAlpha2(): string[] {
  const letters = (from: string, to: string) => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => String.fromCharCode(from.charCodeAt(0) + i));
  return ['AA', ...letters('M', 'Z').map((l) => `Q${l}`), ...letters('A', 'Z').map((l) => `X${l}`), 'ZZ'];
}

const USER_ASSIGNED_ALPHA2 = new Set(userAssignedAlpha2());

/** Alpha-3 and numeric user-assigned codes (AAA–AAZ, QMA–QZZ, XAA–XZZ, ZZA–ZZZ; 900–999): valid, not listed. */
function isUserAssignedOther(code: string): boolean {
  return /^(AA[A-Z]|Q[M-Z][A-Z]|X[A-Z]{2}|ZZ[A-Z])$/.test(code) || /^9\d\d$/.test(code);
}

function named(code: string, en: string, sv: string): CodeSystemConcept {
  return { code, display: en, designation: [{ language: 'sv', value: sv }] };
}

function concepts(): CodeSystemConcept[] {
  const assigned = iso31661.filter((c) => !USER_ASSIGNED_ALPHA2.has(c.alpha2));
  const byForm = (form: 'alpha2' | 'alpha3' | 'numeric') => assigned.map((c) => named(c[form], c.name, countries.getName(c.alpha2, 'sv', { select: 'official' }) ?? c.name));
  return [...byForm('alpha2'), ...byForm('alpha3'), ...byForm('numeric'), ...[...USER_ASSIGNED_ALPHA2].map((c) => named(c, USER_ASSIGNED, ANVANDARTILLDELAD))];
}

/**
 * A user-assigned code's names: "User-assigned" (and its Swedish), unless a supplement names the
 * code in a language; there the supplement's name is the code's, and the placeholder gives way
 * (a Swedish language pack naming XY makes its Swedish display that name, not "Användartilldelad").
 */
function placeholderYields(c: Concept): Concept {
  const named = new Set(c.designations.filter((d) => d.origin === 'supplement' && d.language).map((d) => d.language!.toLowerCase()));
  if (named.size > 0) c.designations = c.designations.filter((d) => !(d.origin === 'codesystem' && d.language && named.has(d.language.toLowerCase())));
  return c;
}

export class Iso3166Provider extends FhirCodeSystemProvider {
  /** what the supplements say, for the user-assigned codes that are valid without being listed (XYZ, 999) */
  private readonly additions: ReturnType<typeof supplementAdditions>;

  constructor(resource: CodeSystem, supplements: CodeSystem[] = []) {
    super(resource, supplements);
    this.additions = supplementAdditions(supplements);
    for (const code of USER_ASSIGNED_ALPHA2) {
      const c = super.locate(code).concept;
      if (c) placeholderYields(Object.assign(c, { userAssigned: true }));
    }
  }

  override locate(code: string): LocateResult {
    const listed = super.locate(code);
    if (listed.concept) return listed;
    // ASCII only: toUpperCase would make 'xß' XSS
    const upper = /^[A-Za-z0-9]+$/.test(code) ? code.toUpperCase() : code;
    if (!isUserAssignedOther(upper)) return listed;
    const concept: Concept = { code: upper, display: USER_ASSIGNED, designations: [{ language: 'sv', value: ANVANDARTILLDELAD, origin: 'codesystem' }], properties: [], extensions: [], parents: [], children: [], userAssigned: true };
    // (the base constructor looks supplements' codes up before the additions are known)
    return { concept: this.additions ? placeholderYields(withSupplements(concept, this.additions)) : concept };
  }
}

listedKind('iso3166', RESOURCE, concepts, (full, supplements) => new Iso3166Provider(full, supplements));
