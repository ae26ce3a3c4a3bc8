/**
 * SNOMED CT identifiers: the system URI, edition/version URIs, well-known concept ids and the
 * SCTID check (Verhoeff check digit and partition), so that a malformed id is told apart from an
 * id that is merely not in the loaded release.
 */

export const SCT_URI = 'http://snomed.info/sct';

/** Well-known concepts of the SNOMED CT model. */
export const SCT = {
  root: '138875005',
  isA: '116680003',
  fsn: '900000000000003001',
  synonym: '900000000000013009',
  definition: '900000000000550004',
  preferred: '900000000000548007',
  acceptable: '900000000000549004',
  defined: '900000000000073002',
  primitive: '900000000000074008',
  inferred: '900000000000011006',
  usEnglish: '900000000000509007',
  gbEnglish: '900000000000508004',
  swedish: '46011000052107',
  conceptModelAttribute: '410662002',
  linkageConcept: '106237007',
  coreModule: '900000000000207008',
  modelModule: '900000000000012004',
  swedishModule: '45991000052106',
  historicalAssociation: '900000000000522004',
} as const;

/** The historical association reference sets (inactive concept → related current concept). */
export const ASSOCIATION = {
  sameAs: '900000000000527005',
  replacedBy: '900000000000526001',
  wasA: '900000000000528000',
  partiallyEquivalentTo: '1186924009',
  possiblyEquivalentTo: '900000000000523009',
  possiblyReplacedBy: '1186921001',
  movedTo: '900000000000524003',
  movedFrom: '900000000000525002',
  similarTo: '900000000000529008',
  alternative: '900000000000530003',
  refersTo: '900000000000531004',
} as const;

/**
 * The association reference sets of ECL's history profiles (ECL 2.1, history supplements): MIN
 * follows SAME AS; MOD adds REPLACED BY, WAS A and PARTIALLY EQUIVALENT TO; MAX every one.
 */
export const HISTORY_PROFILES: Record<'MIN' | 'MOD' | 'MAX', readonly string[]> = {
  MIN: [ASSOCIATION.sameAs],
  MOD: [ASSOCIATION.sameAs, ASSOCIATION.replacedBy, ASSOCIATION.wasA, ASSOCIATION.partiallyEquivalentTo],
  MAX: Object.values(ASSOCIATION),
};

// Verhoeff: dihedral group D5 multiplication, position permutation, inverse
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

function verhoeffValid(digits: string): boolean {
  let c = 0;
  for (let i = 0; i < digits.length; i++) c = D[c][P[i % 8][digits.charCodeAt(digits.length - 1 - i) - 48]];
  return c === 0;
}

/** The kind of component an SCTID's partition says it names. */
export type SctidKind = 'concept' | 'description' | 'relationship';

const PARTITIONS: Record<string, SctidKind> = { '00': 'concept', '01': 'description', '02': 'relationship', '10': 'concept', '11': 'description', '12': 'relationship' };

/**
 * Is this a well-formed SCTID (6 to 18 digits, no leading zero, valid check digit), and of the
 * expected kind when one is given?
 */
export function isSctid(id: string, kind?: SctidKind): boolean {
  if (!/^[1-9]\d{5,17}$/.test(id) || !verhoeffValid(id)) return false;
  return kind === undefined || PARTITIONS[id.slice(-3, -1)] === kind;
}

/** An edition/version URI taken apart: http://snomed.info/sct/<module>[/version/<YYYYMMDD>]. */
export interface EditionUri {
  uri: string;
  module: string;
  date?: string;
  /** http://snomed.info/xsct/...: an unpublished (test) release */
  unpublished: boolean;
}

const EDITION = /^http:\/\/snomed\.info\/(x?)sct\/(\d+)(?:\/version\/(\d{8}))?$/;

export function parseEditionUri(uri: string): EditionUri | undefined {
  const m = EDITION.exec(uri);
  if (!m) return undefined;
  return { uri, module: m[2], date: m[3], unpublished: m[1] === 'x' };
}

export function editionUri(module: string, date: string, unpublished = false): string {
  return `http://snomed.info/${unpublished ? 'x' : ''}sct/${module}/version/${date}`;
}

/**
 * Names of the editions Kodverk is likely to meet, by their module. A release whose module is not
 * listed (a test or local module) is named after the edition its module depends on.
 */
const EDITION_NAMES: Record<string, string> = {
  '900000000000207008': 'International Edition',
  '45991000052106': 'Swedish Edition',
  '554471000005108': 'Danish Edition',
  '51000202101': 'Norwegian Edition',
  '11000229106': 'Finnish Edition',
  '83821000000107': 'UK Edition',
  '731000124108': 'US Edition',
};

export function editionName(module: string): string | undefined {
  return EDITION_NAMES[module];
}
