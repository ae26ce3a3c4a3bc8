import fs from 'node:fs';
import path from 'node:path';
import { isSctid } from './sctid';

/**
 * RF2 release files: which file is which (by its name, as SNOMED International and national
 * release centres name them), the exact columns each must have, and a streaming reader that checks
 * every row. Only Snapshot files are read; Full and Delta files, OWL axioms and the MRCM refsets
 * other than the attribute domains (for the grouping rules) are not used.
 */

export type Rf2Kind =
  | 'concept'
  | 'description'
  | 'textDefinition'
  | 'relationship'
  | 'concreteValue'
  | 'language'
  | 'simple'
  | 'association'
  | 'attributeValue'
  | 'simpleMap'
  | 'moduleDependency'
  | 'mrcmAttributeDomain'
  | 'mrcmAttributeRange';

const MEMBER = ['id', 'effectiveTime', 'active', 'moduleId', 'refsetId', 'referencedComponentId'];
const DESCRIPTION = ['id', 'effectiveTime', 'active', 'moduleId', 'conceptId', 'languageCode', 'typeId', 'term', 'caseSignificanceId'];

const KINDS: { kind: Rf2Kind; pattern: RegExp; columns: string[] }[] = [
  { kind: 'concept', pattern: /^x?sct2_Concept_Snapshot/i, columns: ['id', 'effectiveTime', 'active', 'moduleId', 'definitionStatusId'] },
  { kind: 'description', pattern: /^x?sct2_Description_Snapshot/i, columns: DESCRIPTION },
  { kind: 'textDefinition', pattern: /^x?sct2_TextDefinition_Snapshot/i, columns: DESCRIPTION },
  {
    kind: 'relationship',
    pattern: /^x?sct2_Relationship_Snapshot/i,
    columns: ['id', 'effectiveTime', 'active', 'moduleId', 'sourceId', 'destinationId', 'relationshipGroup', 'typeId', 'characteristicTypeId', 'modifierId'],
  },
  {
    kind: 'concreteValue',
    pattern: /^x?sct2_RelationshipConcreteValues_Snapshot/i,
    columns: ['id', 'effectiveTime', 'active', 'moduleId', 'sourceId', 'value', 'relationshipGroup', 'typeId', 'characteristicTypeId', 'modifierId'],
  },
  { kind: 'language', pattern: /^x?der2_cRefset_Language\w*?Snapshot/i, columns: [...MEMBER, 'acceptabilityId'] },
  { kind: 'simple', pattern: /^x?der2_Refset_Simple\w*?Snapshot/i, columns: MEMBER },
  { kind: 'association', pattern: /^x?der2_cRefset_Association\w*?Snapshot/i, columns: [...MEMBER, 'targetComponentId'] },
  { kind: 'attributeValue', pattern: /^x?der2_cRefset_AttributeValue\w*?Snapshot/i, columns: [...MEMBER, 'valueId'] },
  { kind: 'simpleMap', pattern: /^x?der2_sRefset_SimpleMap\w*?Snapshot/i, columns: [...MEMBER, 'mapTarget'] },
  {
    kind: 'mrcmAttributeDomain',
    pattern: /^x?der2_cissccRefset_MRCMAttributeDomain\w*?Snapshot/i,
    columns: [...MEMBER, 'domainId', 'grouped', 'attributeCardinality', 'attributeInGroupCardinality', 'ruleStrengthId', 'contentTypeId'],
  },
  {
    kind: 'mrcmAttributeRange',
    pattern: /^x?der2_ssccRefset_MRCMAttributeRange\w*?Snapshot/i,
    columns: [...MEMBER, 'rangeConstraint', 'attributeRule', 'ruleStrengthId', 'contentTypeId'],
  },
  { kind: 'moduleDependency', pattern: /^x?der2_ssRefset_ModuleDependency\w*?Snapshot/i, columns: [...MEMBER, 'sourceEffectiveTime', 'targetEffectiveTime'] },
];

export interface Rf2File {
  kind: Rf2Kind;
  /** absolute path */
  path: string;
  /** path relative to the release folder, for messages */
  name: string;
  /** the release date in the file name (…_20250909.txt), if any */
  date?: string;
}

/** A row that breaks the format: where, and what is wrong. */
export class Rf2FormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'Rf2FormatError';
  }
}

/** The RF2 files of a release folder (searched recursively), and the .txt files that were not used. */
export function findRf2Files(root: string): { files: Rf2File[]; ignored: string[] } {
  const files: Rf2File[] = [];
  const ignored: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.txt')) {
        const known = KINDS.find((k) => k.pattern.test(entry.name));
        const name = path.relative(root, full);
        if (known) files.push({ kind: known.kind, path: full, name, date: /_(\d{8})(?:T\d+Z?)?\.txt$/.exec(entry.name)?.[1] });
        else if (!/readme/i.test(entry.name)) ignored.push(name);
      }
    }
  };
  walk(root);
  return { files, ignored };
}

export function columnsOf(kind: Rf2Kind): string[] {
  return KINDS.find((k) => k.kind === kind)!.columns;
}

/**
 * Reads a file line by line without loading it whole (release files reach hundreds of MB), with
 * CRLF or LF endings and an optional byte-order mark. Splitting on the LF byte is safe in UTF-8.
 */
export function* readLines(file: string): Generator<string> {
  const fd = fs.openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let rest: Buffer = Buffer.alloc(0);
    let first = true;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      const buf = rest.length ? Buffer.concat([rest, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      // the whole lines of the chunk decoded at once, then split (decoding line by line costs twice as much)
      const end = buf.lastIndexOf(10);
      if (end >= 0) {
        const lines = buf.toString('utf8', 0, end).split('\n');
        if (first) {
          lines[0] = lines[0].replace(/^\uFEFF/, '');
          first = false;
        }
        for (const line of lines) yield line.endsWith('\r') ? line.slice(0, -1) : line;
      }
      rest = Buffer.from(buf.subarray(end + 1));
      if (n === 0) {
        if (rest.length) yield (first ? rest.toString('utf8').replace(/^\uFEFF/, '') : rest.toString('utf8')).replace(/\r$/, '');
        return;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Checks the header line of a file: exactly the RF2 columns of its kind, in order. */
export function checkHeader(f: Rf2File): void {
  const lines = readLines(f.path);
  const header = lines.next();
  lines.return(undefined);
  const want = columnsOf(f.kind);
  const got = header.done ? [] : header.value.split('\t');
  if (got.join('\t') !== want.join('\t')) {
    const missing = want.filter((c) => !got.includes(c));
    const detail = missing.length ? `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : `columns in the wrong order or extra columns`;
    throw new Rf2FormatError(f.name, 1, undefined, `not an RF2 ${f.kind} file: ${detail} (expected: ${want.join(' ')})`);
  }
}

const DATE = /^\d{8}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Every data row of a file as its fields, each checked: the right number of fields, SCTIDs that are
 * SCTIDs (check digit and partition), dates, flags. The first bad row stops the import.
 */
export function* readRows(f: Rf2File): Generator<string[]> {
  const columns = columnsOf(f.kind);
  // the SCTID last found valid in each column: modules, types and refsets repeat row after row
  const valid: string[] = [];
  let line = 0;
  for (const text of readLines(f.path)) {
    line++;
    if (line === 1 || text === '') continue;
    const fields = text.split('\t');
    const fail = (column: string | undefined, message: string) => new Rf2FormatError(f.name, line, column, message);
    if (fields.length !== columns.length) throw fail(undefined, `${fields.length} fields where ${columns.length} were expected`);
    if (!DATE.test(fields[1])) throw fail('effectiveTime', `'${fields[1]}' is not a date (YYYYMMDD)`);
    if (fields[2] !== '0' && fields[2] !== '1') throw fail('active', `'${fields[2]}' is not 0 or 1`);
    checkRow(f.kind, fields, fail, valid);
    yield fields;
  }
}

type Fail = (column: string | undefined, message: string) => Rf2FormatError;

function checkRow(kind: Rf2Kind, r: string[], fail: Fail, valid: string[]): void {
  const id = (i: number, column: string, k?: 'concept' | 'description' | 'relationship') => {
    if (r[i] === valid[i]) return;
    if (!isSctid(r[i], k)) throw fail(column, `'${r[i]}' is not a valid ${k ?? 'component'} SCTID`);
    valid[i] = r[i];
  };
  switch (kind) {
    case 'concept':
      id(0, 'id', 'concept');
      id(3, 'moduleId', 'concept');
      id(4, 'definitionStatusId', 'concept');
      return;
    case 'description':
    case 'textDefinition':
      id(0, 'id', 'description');
      id(4, 'conceptId', 'concept');
      id(6, 'typeId', 'concept');
      if (!/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(r[5])) throw fail('languageCode', `'${r[5]}' is not a language code`);
      if (r[7] === '') throw fail('term', 'empty term');
      return;
    case 'relationship':
    case 'concreteValue':
      id(0, 'id', 'relationship');
      id(4, 'sourceId', 'concept');
      if (kind === 'relationship') id(5, 'destinationId', 'concept');
      else if (!/^(#-?\d+(\.\d+)?|".*"|true|false)$/.test(r[5])) throw fail('value', `'${r[5]}' is not a concrete value (#number or "string")`);
      if (!/^\d+$/.test(r[6])) throw fail('relationshipGroup', `'${r[6]}' is not a group number`);
      id(7, 'typeId', 'concept');
      id(8, 'characteristicTypeId', 'concept');
      return;
    default:
      if (!UUID.test(r[0])) throw fail('id', `'${r[0]}' is not a member UUID`);
      id(4, 'refsetId', 'concept');
      id(5, 'referencedComponentId');
      if (kind === 'language') id(6, 'acceptabilityId', 'concept');
      if (kind === 'association' || kind === 'attributeValue') id(6, kind === 'association' ? 'targetComponentId' : 'valueId');
      if (kind === 'mrcmAttributeDomain') {
        id(6, 'domainId', 'concept');
        if (r[7] !== '0' && r[7] !== '1') throw fail('grouped', `'${r[7]}' is not 0 or 1`);
        id(10, 'ruleStrengthId', 'concept');
        id(11, 'contentTypeId', 'concept');
      }
      if (kind === 'mrcmAttributeRange') {
        id(8, 'ruleStrengthId', 'concept');
        id(9, 'contentTypeId', 'concept');
      }
  }
}
