import { mrcmRangeText, mrcmRuleText } from '../terminology/snomed/mrcm';
import type { ConceptInput } from '../store/concept-store';
import { Rf2Staging, StagedConcept, StagedDescription, StagedTable } from '../store/snomed-store';
import { Rf2File, Rf2FormatError, readRows } from '../terminology/snomed/rf2-reader';
import { SCT } from '../terminology/snomed/sctid';
import { designationUse } from '../terminology/snomed/model';
import { ImportError, Progress } from './importer';

/**
 * The two halves of an RF2 import that need no store: staging the files' rows (read and checked)
 * into a throw-away SQLite file, and assembling each concept from the staged rows. Both run on the
 * staging thread (rf2-stage-worker.ts) while the import's thread writes the store.
 */

const REPORT_EVERY = 50_000;

/** Runs fn, turning a row-format error into the ImportError that names file, line and column. */
export function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Rf2FormatError) throw new ImportError(e.message, { file: e.file, row: e.line, column: e.column });
    throw e;
  }
}

/** The staged table that a kind of RF2 file goes into. */
const TABLE_OF: Partial<Record<Rf2File['kind'], StagedTable>> = {
  concept: 'concept',
  description: 'description',
  textDefinition: 'description',
  language: 'language',
  relationship: 'relationship',
  concreteValue: 'relationship',
  simple: 'member',
  association: 'member',
  attributeValue: 'member',
  simpleMap: 'member',
  mrcmAttributeDomain: 'member',
  mrcmAttributeRange: 'member',
};

/**
 * Reads, checks and stages every row of the release's files that go into the staging file's tables
 * (all of them, or one part), then indexes the staged rows; a bad row throws its Rf2FormatError.
 */
export function stageRelease(st: Rf2Staging, files: Rf2File[], progress: Progress): void {
  const order: Rf2File['kind'][] = ['concept', 'description', 'textDefinition', 'language', 'relationship', 'concreteValue', 'simple', 'association', 'attributeValue', 'simpleMap', 'mrcmAttributeDomain', 'mrcmAttributeRange'];
  for (const kind of order.filter((k) => st.tables.has(TABLE_OF[k]!))) {
    for (const f of files.filter((x) => x.kind === kind)) {
      progress.start(`reading ${f.name}`);
      let n = 0;
      st.load(() => {
        for (const r of readRows(f)) {
          stageRow(st, f.kind, r);
          if (++n % REPORT_EVERY === 0) progress.update(n);
        }
      });
      progress.stop();
    }
  }
  progress.start('indexing the release');
  st.index();
  progress.stop();
}

function stageRow(st: Rf2Staging, kind: Rf2File['kind'], r: string[]): void {
  const active = r[2] === '1' ? 1 : 0;
  switch (kind) {
    case 'concept':
      return st.concept(r[0], r[1], active, r[3], r[4]);
    case 'description':
    case 'textDefinition':
      return st.description(r[0], r[1], active, r[3], r[4], r[5], r[6], r[7]);
    case 'language':
      return st.language(r[0], r[1], active, r[4], r[5], r[6]);
    case 'relationship':
      return st.relationship(r[0], r[1], active, r[4], r[5], null, Number(r[6]), r[7], r[8]);
    case 'concreteValue':
      return st.relationship(r[0], r[1], active, r[4], null, r[5], Number(r[6]), r[7], r[8]);
    case 'mrcmAttributeDomain':
      // the rule as the member's target text: domain, grouped (0/1), content type, rule strength
      return st.member(r[0], r[1], active, r[3], r[4], r[5], mrcmRuleText(r[6], r[7], r[11], r[10], r[8], r[9]));
    case 'mrcmAttributeRange':
      // the rule as the member's target text: content type, rule strength, range constraint
      return st.member(r[0], r[1], active, r[3], r[4], r[5], mrcmRangeText(r[6], r[9], r[8]));
    default:
      return st.member(r[0], r[1], active, r[3], r[4], r[5], r.length > 6 ? r[6] : null);
  }
}

/**
 * Orders a concept's descriptions so that the one to show comes first: the synonym preferred in US
 * English, then in GB English, then preferred in any other language refset (e.g. Swedish), then
 * the rest in file order, text definitions last. Displays in other languages are chosen from this
 * order by language, so the Swedish preferred term leads the Swedish descriptions.
 */
function rank(d: StagedDescription): number {
  if (d.type === SCT.synonym) {
    if (d.acc[SCT.usEnglish] === SCT.preferred) return 0;
    if (d.acc[SCT.gbEnglish] === SCT.preferred) return 1;
    if (Object.values(d.acc).includes(SCT.preferred)) return 2;
  }
  return d.type === SCT.definition ? 4 : 3;
}

/** Language refset acceptabilities as stored with a designation: refset id -> P(referred) or A(cceptable). */
function acceptabilities(acc: Record<string, string>): Record<string, 'P' | 'A'> {
  const out: Record<string, 'P' | 'A'> = {};
  for (const [refset, value] of Object.entries(acc)) out[refset] = value === SCT.preferred ? 'P' : 'A';
  return out;
}

export function conceptInputOf(c: StagedConcept, descriptions: StagedDescription[], parents: string[]): ConceptInput {
  const ranked = descriptions.map((d, i) => ({ d, acc: acceptabilities(d.acc), i, rank: rank(d) }));
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  // the display is a current term: the preferred synonym, else the FSN, else any active description
  const current = ranked.filter((x) => x.d.active);
  const display = current.find((x) => x.rank <= 2) ?? current.find((x) => x.d.type === SCT.fsn) ?? current[0] ?? ranked[0];
  return {
    code: c.id,
    display: display?.d.term,
    inactive: c.active === 0,
    parents,
    designations: ranked.map(({ d, acc }) => ({
      language: d.lang,
      use: designationUse(d.type),
      value: d.term,
      inactive: !d.active || undefined,
      // effective time and module for ECL description filters; the module only where it is not the concept's
      extra: { id: d.id, acc, t: Number(d.effective), ...(d.module !== c.module ? { m: d.module } : {}) },
    })),
  };
}
