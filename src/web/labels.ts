import { SAKOMRÅDEN } from '../importers/ksi';
import { Html, html } from './html';
import type { Lang } from './i18n';
import type { PageContext } from './layout';

/**
 * Human Swedish (and English) names for what the pages would otherwise show as codes: the
 * properties of KSI, ICF, KVÅ and Snomed CT (and FHIR's own and the national lists'), and KSI's
 * sakområde abbreviations.
 * The code itself stays visible as secondary text or a tooltip, for those who look it up.
 */

type Words = readonly [sv: string, en: string];

/** Property codes (the same code means the same in every code system that uses it). */
const PROPERTY: Record<string, Words> = {
  // FHIR's own (http://hl7.org/fhir/concept-properties), and the code itself in filters
  concept: ['Kod', 'Code'],
  code: ['Kod', 'Code'],
  parent: ['Överordnad', 'Parent'],
  child: ['Underordnad', 'Child'],
  inactive: ['Inaktiv', 'Inactive'],
  status: ['Status', 'Status'],
  notSelectable: ['Väljs inte (gruppering)', 'Not selectable (grouping)'],
  deprecated: ['Avrådd sedan', 'Deprecated since'],
  comments: ['Kommentar', 'Comments'],
  // KSI
  typ: ['Nivå i KSI', 'Level in KSI'],
  nivå: ['Inriktningens nivå', 'Level of the inriktning'],
  inriktning: ['Inriktning', 'Inriktning (target)'],
  agerande: ['Agerande', 'Agerande (action)'],
  metod: ['Metod', 'Method'],
  agerandegrupp: ['Agerandegrupp', 'Action group'],
  icf: ['Relaterad ICF-kod', 'Related ICF code'],
  innefattar: ['Innefattar', 'Includes'],
  utesluter: ['Utesluter', 'Excludes'],
  urvalsanmärkning: ['Anmärkning om urvalet', 'Note on the selection'],
  importanmärkning: ['Anmärkning vid importen', 'Import note'],
  'ny-kod': ['Ny kod (år)', 'New code (year)'],
  'ändrad-kod': ['Ändrad kod (år)', 'Code changed (year)'],
  'ändrad-text': ['Ändrad benämning (år)', 'Title changed (year)'],
  'ändrad-beskrivning': ['Ändrad beskrivning (år)', 'Description changed (year)'],
  'ny-innefattar': ['Innefattar tillkom (år)', 'Inclusions added (year)'],
  'ändrad-innefattar': ['Ändrad Innefattar (år)', 'Inclusions changed (year)'],
  'ny-utesluter': ['Utesluter tillkom (år)', 'Exclusions added (year)'],
  'ny-icf-kod': ['ICF-kod tillkom (år)', 'ICF code added (year)'],
  'ändrad-icf-kod': ['Ändrad ICF-kod (år)', 'ICF code changed (year)'],
  'borttagen-kod': ['Borttagen kod (år)', 'Code removed (year)'],
  kommentar: ['Kommentar', 'Comment'],
  // ICF
  kodniva: ['Kodnivå', 'Code level'],
  nyKod: ['Ny kod (datum)', 'New code (date)'],
  andradText: ['Ändrad text (datum)', 'Text changed (date)'],
  borttagenKod: ['Borttagen kod (datum)', 'Code removed (date)'],
  nyAlternativTerm: ['Ny alternativ term (datum)', 'New alternative term (date)'],
  andradAlternativTerm: ['Ändrad alternativ term (datum)', 'Alternative term changed (date)'],
  anmarkning: ['Anmärkning', 'Note'],
  nationellFordjupning: ['Nationell fördjupningskod', 'National extension code'],
  ersattAv: ['Ersatt av', 'Replaced by'],
  bedomningsfaktor: ['Bedömningsfaktorer', 'Qualifiers'],
  // ICF qualifiers (a code with qualifiers, d4500.2, carries its qualifiers as properties)
  funktionsnedsattning: ['Bedömningsfaktor: grad av funktionsnedsättning', 'Qualifier: extent of impairment'],
  strukturavvikelse: ['Bedömningsfaktor: grad av strukturavvikelse', 'Qualifier: extent of impairment'],
  strukturforandring: ['Bedömningsfaktor: kroppsstrukturens förändring', 'Qualifier: nature of the change'],
  lokalisering: ['Bedömningsfaktor: kroppsstrukturens lokalisering', 'Qualifier: location'],
  genomforande: ['Bedömningsfaktor: genomförande', 'Qualifier: performance'],
  kapacitetUtanAssistans: ['Bedömningsfaktor: kapacitet utan assistans', 'Qualifier: capacity without assistance'],
  kapacitetMedAssistans: ['Bedömningsfaktor: kapacitet med assistans', 'Qualifier: capacity with assistance'],
  genomforandeUtanAssistans: ['Bedömningsfaktor: genomförande utan assistans', 'Qualifier: performance without assistance'],
  hinder: ['Bedömningsfaktor: grad av hindrande omgivningsfaktor', 'Qualifier: extent of barrier'],
  underlattande: ['Bedömningsfaktor: grad av underlättande omgivningsfaktor', 'Qualifier: extent of facilitator'],
  // KVÅ
  klassifikation: ['Klassifikation (KKÅ eller KMÅ)', 'Classification (KKÅ or KMÅ)'],
  exempel: ['Exempel', 'Examples'],
  kodningsinformation: ['Kodningsinformation', 'Coding information'],
  anmärkning: ['Anmärkning', 'Note'],
  // the national lists of the content pack (terminology/)
  kalla: ['Källa', 'Source'],
  aktualiseringstyp: ['Aktualiseringstyp', 'Type of initiation'],
  lagrum: ['Lagrum', 'Legal provision'],
  sfs: ['SFS-nummer', 'SFS number'],
  'ksi-urval': ['Urval i KSI', 'Selection in KSI'],
  // Snomed CT
  sufficientlyDefined: ['Fullständigt definierat', 'Sufficiently defined'],
  moduleId: ['Modul', 'Module'],
  effectiveTime: ['Senast ändrat', 'Last changed'],
  normalForm: ['Normalform', 'Normal form'],
  normalFormTerse: ['Normalform (id)', 'Normal form (ids)'],
};

/** KSI's sakområde flags written out, in English too. */
const SAKOMRADE_EN: Record<string, string> = {
  ÄOH: 'elderly care, case officers',
  ÄOU: 'elderly care, providers',
  FunkH: 'disability, case officers',
  FunkU: 'disability, providers',
  BoUH: 'children and young people, case officers',
  BoUU: 'children and young people, providers',
  VuxMissbrukH: 'adults including substance abuse and addiction, case officers',
  VuxMissbrukU: 'adults including substance abuse and addiction, providers',
  EkBistHU: 'financial assistance, case officers and providers',
};

/** What a KSI sakområde flag stands for ("äldreomsorg, handläggare"), or undefined for another code. */
export function sakomradeMeaning(lang: Lang, flag: string): string | undefined {
  const s = SAKOMRÅDEN.find((x) => x.flagga === flag);
  if (!s) return undefined;
  return lang === 'sv' ? s.betydelse : SAKOMRADE_EN[flag] ?? s.betydelse;
}

/** A sakområde flag written out: "ÄOH – äldreomsorg, handläggare" (the flag itself when unknown). */
export function sakomradeLabel(lang: Lang, flag: string): string {
  const meaning = sakomradeMeaning(lang, flag);
  return meaning ? `${flag} – ${meaning}` : flag;
}

const FLAG_IN_TEXT = new RegExp(`(?<![\\p{L}\\p{N}])(${SAKOMRÅDEN.map((s) => s.flagga).join('|')})(?![\\p{L}\\p{N}]| –)`, 'gu');

/**
 * Sakområde flags in a text written out where they stand ("BoUU: 2" → "BoUU (barn och unga,
 * utförare): 2"); a flag already followed by its meaning is left alone.
 */
export function sakomradeWrittenOut(lang: Lang, text: string): string {
  return text.replace(FLAG_IN_TEXT, (flag) => `${flag} (${sakomradeMeaning(lang, flag)})`);
}

/** A property's name in words, or undefined when none is known. */
export function propertyName(lang: Lang, code: string): string | undefined {
  const words = PROPERTY[code];
  if (words) return words[lang === 'sv' ? 0 : 1];
  const flag = sakomradeMeaning(lang, code);
  if (flag) return `${lang === 'sv' ? 'Urval' : 'Selection'} ${sakomradeLabel(lang, code)}`;
  const column = /^kolumn-([A-Z]+)$/.exec(code);
  if (column) return lang === 'sv' ? `Kolumn ${column[1]} (utan rubrik i källfilen)` : `Column ${column[1]} (no heading in the source file)`;
  return undefined;
}

/** A property's name in words, its code capitalised when none is known. */
export function propertyWords(lang: Lang, code: string): string {
  return propertyName(lang, code) ?? code.charAt(0).toLocaleUpperCase('sv') + code.slice(1);
}

/**
 * A property on a page: its name, the code beside it as secondary text (hidden from screen
 * readers, which say the name once) and the declared description as a tooltip.
 */
export function propertyLabel(ctx: PageContext, code: string, description?: string): Html {
  const name = propertyName(ctx.lang, code);
  const title = description ? html` title="${description}"` : '';
  if (!name) return html`<span${title}>${propertyWords(ctx.lang, code)}</span>`;
  return html`<span${title}>${name}</span> <code class="secondary" aria-hidden="true">${code}</code>`;
}

/** Value-set filter operators in words. */
const FILTER_OP: Record<string, Words> = {
  '=': ['är', 'is'],
  'is-a': ['är eller ligger under', 'is or is below'],
  'descendent-of': ['ligger under', 'is below'],
  'is-not-a': ['varken är eller ligger under', 'is neither nor is below'],
  'child-of': ['ligger direkt under', 'is directly below'],
  'descendent-leaf': ['är en lägsta nivå under', 'is a leaf below'],
  generalizes: ['är eller ligger över', 'is or is above'],
  regex: ['matchar mönstret', 'matches the pattern'],
  in: ['är en av', 'is one of'],
  'not-in': ['är ingen av', 'is none of'],
  exists: ['finns', 'exists'],
};

/** A compose filter in words: "Urval ÄOH – äldreomsorg, handläggare är ja" (the codes as secondary text). */
export function filterWords(ctx: PageContext, f: { property: string; op: string; value: string }): Html {
  const op = FILTER_OP[f.op]?.[ctx.lang === 'sv' ? 0 : 1] ?? f.op;
  const value = f.value === 'true' ? ctx.t('yes') : f.value === 'false' ? ctx.t('no') : f.value;
  return html`${propertyName(ctx.lang, f.property) ?? f.property} ${op} ${value} <code class="secondary">${f.property} ${f.op} ${f.value}</code>`;
}
