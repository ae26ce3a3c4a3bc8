import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeSystem } from 'fhir/r4';
import type { ConceptInput } from '../store/concept-store';
import type { Db } from '../store/database';
import { Rf2Staging, SnomedStore } from '../store/snomed-store';
import { Rf2StagingThread } from './rf2-stage-thread';
import { Rf2File, Rf2FormatError, checkHeader, findRf2Files, readRows } from '../terminology/snomed/rf2-reader';
import { guarded } from './rf2-assembly';
import { EditionUri, SCT, SCT_URI, editionName, editionUri, isSctid, parseEditionUri } from '../terminology/snomed/sctid';
import { SNOMED_EDITION_EXT, SNOMED_FILTERS, SNOMED_PROPERTIES } from '../terminology/snomed/model';
import { ImportError, ImportOptions, Importer, Progress, StreamedCodeSystem } from './importer';

const REPORT_EVERY = 50_000;

function* guardedRows(f: Rf2File): Generator<string[]> {
  try {
    yield* readRows(f);
  } catch (e) {
    if (e instanceof Rf2FormatError) throw new ImportError(e.message, { file: e.file, row: e.line, column: e.column });
    throw e;
  }
}

/** The release as found in a folder: its files, which edition and version it is, how many concepts. */
interface ReleaseFacts {
  edition: EditionUri;
  editionName: string;
  concepts: number;
}

/**
 * Finds out which edition a release is: the --uri when given, else the module no other module
 * depends on (the module-dependency refset) or the extension module with most concepts, and the
 * newest release date in the file names.
 */
function releaseFacts(files: Rf2File[], options: ImportOptions): ReleaseFacts {
  const dependsOn = new Map<string, string[]>();
  for (const f of files.filter((x) => x.kind === 'moduleDependency')) {
    for (const r of guardedRows(f)) {
      if (r[2] !== '1') continue;
      dependsOn.set(r[3], [...(dependsOn.get(r[3]) ?? []), r[5]]);
    }
  }
  const ids = new Set<string>();
  const modules = new Map<string, number>();
  let newest = '';
  for (const f of files.filter((x) => x.kind === 'concept')) {
    for (const r of guardedRows(f)) {
      ids.add(r[0]);
      modules.set(r[3], (modules.get(r[3]) ?? 0) + 1);
      if (r[1] > newest) newest = r[1];
    }
  }
  let edition: EditionUri | undefined;
  if (typeof options.uri === 'string') {
    edition = parseEditionUri(options.uri);
    if (!edition?.date) throw new ImportError(`--uri '${options.uri}' is not an edition/version URI (http://snomed.info/sct/<module>/version/<YYYYMMDD>, or .../xsct/... for an unpublished release)`);
  } else {
    const dependedOn = new Set([...dependsOn.entries()].flatMap(([m, targets]) => targets.filter((t) => t !== m)));
    const top = [...dependsOn.keys()].filter((m) => !dependedOn.has(m));
    const extension = [...modules.entries()].filter(([m]) => m !== SCT.coreModule && m !== SCT.modelModule).sort((a, b) => b[1] - a[1])[0]?.[0];
    const module = top.length === 1 ? top[0] : (extension ?? SCT.coreModule);
    const date = files.map((f) => f.date ?? '').reduce((a, b) => (b > a ? b : a), '') || newest;
    edition = parseEditionUri(editionUri(module, date))!;
  }
  const name = editionName(edition.module) ?? (dependsOn.get(edition.module) ?? []).map(editionName).find((n) => n) ?? `edition ${edition.module}`;
  return { edition, editionName: name, concepts: ids.size };
}

/** The CodeSystem resource of a release (its concepts are streamed into the concept tables). */
function codeSystemOf(facts: ReleaseFacts): CodeSystem {
  const { edition } = facts;
  const date = edition.date!;
  const swedish = edition.module === SCT.swedishModule;
  return {
    resourceType: 'CodeSystem',
    id: `${edition.unpublished ? 'x' : ''}sct-${edition.module}-${date}`,
    extension: [{ url: SNOMED_EDITION_EXT, valueString: facts.editionName }],
    url: SCT_URI,
    version: edition.uri,
    name: 'SNOMED_CT',
    title: `SNOMED CT ${facts.editionName}`,
    status: 'active',
    experimental: false,
    date: `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`,
    publisher: swedish ? 'Socialstyrelsen' : 'SNOMED International',
    description: `SNOMED CT ${facts.editionName}, release ${date}${edition.unpublished ? ' (unpublished)' : ''}`,
    copyright:
      'This content includes SNOMED Clinical Terms® (SNOMED CT®), used by permission of SNOMED International. SNOMED CT is a registered trademark of SNOMED International; use requires a licence (in Sweden, through Socialstyrelsen as the national release centre).',
    caseSensitive: true,
    valueSet: `${SCT_URI}?fhir_vs`,
    hierarchyMeaning: 'is-a',
    compositional: true,
    versionNeeded: false,
    content: 'complete',
    count: facts.concepts,
    filter: SNOMED_FILTERS,
    property: SNOMED_PROPERTIES,
  };
}

export { conceptInputOf } from './rf2-assembly';

/**
 * One RF2 release being imported. Reading is lazy: the rows are staged (into a temporary SQLite
 * file, on a worker thread) only when the loader asks for the concepts, i.e. inside the import
 * transaction and only when the release differs from what the store holds; a bad row then rolls
 * the whole import back. The worker assembles the concepts while this thread writes them.
 */
class Rf2Release {
  private thread?: Rf2StagingThread;
  private dir?: string;

  constructor(
    private readonly files: Rf2File[],
    private readonly progress: Progress,
    private readonly notes: string[],
    private readonly total: number,
  ) {}

  private stage(): Rf2StagingThread {
    if (this.thread) return this.thread;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-rf2-'));
    // the links part is staged on this thread meanwhile (see Rf2StagingThread)
    const options = { total: this.total, phase: `concepts of ${SCT_URI}`, isA: SCT.isA, chartype: SCT.inferred, links: path.join(this.dir, 'links.db') };
    return (this.thread = new Rf2StagingThread(this.files, path.join(this.dir, 'staging.db'), options));
  }

  *concepts(): Generator<ConceptInput> {
    let finished = false;
    try {
      const thread = this.stage();
      yield* thread.concepts(this.progress);
      const c = thread.counts!;
      this.notes.push(
        `concepts: ${c.concepts} (${c.activeConcepts} active); descriptions: ${c.descriptions} (${c.activeDescriptions} active); language refset members: ${c.activeLanguageMembers} active`,
      );
      finished = true;
    } finally {
      if (!finished) this.close();
    }
  }

  /** Concept details, attribute relationships and refset members into the Snomed tables. */
  writeExtra(csPk: number, progress: Progress, db: Db): void {
    let st: Rf2Staging | undefined;
    try {
      const thread = this.stage();
      thread.finish(progress);
      st = new Rf2Staging(thread.file, true, { attach: thread.links });
      const store = new SnomedStore(db, csPk);
      const pks = store.pkByCode();
      progress.start('Snomed CT concept details', this.total);
      let n = 0;
      for (const c of st.concepts()) {
        store.insertConcept({ concept_pk: pks.get(c.id)!, module_pk: pks.get(c.module) ?? null, effective_time: Number(c.effective), defined: c.status === SCT.defined ? 1 : 0 });
        if (++n % REPORT_EVERY === 0) progress.update(n);
      }
      progress.start('Snomed CT relationships');
      let rels = 0;
      let unresolved = 0;
      for (const r of st.attributeRelationships(SCT.isA, SCT.inferred)) {
        const source = pks.get(r.source);
        const type = pks.get(r.type);
        const dest = r.dest === null ? null : pks.get(r.dest);
        if (source === undefined || type === undefined || dest === undefined) {
          unresolved++;
          continue;
        }
        store.insertRelationship({ source_pk: source, type_pk: type, dest_pk: dest, value: r.value, grp: r.grp });
        if (++rels % REPORT_EVERY === 0) progress.update(rels);
      }
      progress.start('Snomed CT reference set members');
      let members = 0;
      let skipped = 0;
      for (const m of st.activeMembers()) {
        const refset = pks.get(m.refset);
        if (refset === undefined) {
          skipped++;
          continue;
        }
        const target = m.target !== null && isSctid(m.target, 'concept') ? pks.get(m.target) : undefined;
        store.insertMember({
          refset_pk: refset,
          referenced_pk: pks.get(m.referenced) ?? null,
          referenced_id: m.referenced,
          target_pk: target ?? null,
          target: m.target,
          module_pk: pks.get(m.module) ?? null,
          effective_time: Number(m.effective),
        });
        if (++members % REPORT_EVERY === 0) progress.update(members);
      }
      progress.stop();
      this.notes.push(`attribute relationships: ${rels} active inferred${unresolved ? ` (${unresolved} naming concepts not in the release were left out)` : ''}`);
      this.notes.push(`reference set members: ${members} active${skipped ? ` (${skipped} of reference sets not in the release were left out)` : ''}`);
    } finally {
      st?.close();
      this.close();
    }
  }

  close(): void {
    this.thread?.close();
    this.thread = undefined;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/**
 * `kodverk import rf2 <folder> [--uri http://snomed.info/sct/<module>/version/<date>]`: an RF2
 * Snapshot release (International and a national extension may share the folder) as the code
 * system http://snomed.info/sct with the edition/version URI as its version.
 */
export const rf2Importer: Importer = {
  format: 'rf2',
  description: 'Snomed CT RF2 Snapshot release folder (International + national extension); --uri gives the edition/version URI',
  async read(input, options, progress) {
    if (!fs.existsSync(input) || !fs.statSync(input).isDirectory()) throw new ImportError(`${input} is not a folder holding an RF2 release`);
    const { files, ignored } = findRf2Files(input);
    if (!files.some((f) => f.kind === 'concept')) throw new ImportError(`no RF2 Snapshot concept file (sct2_Concept_Snapshot_*.txt) in ${input}`);
    guarded(() => files.forEach(checkHeader));
    progress.start('checking the concept files');
    const facts = releaseFacts(files, options);
    progress.stop();
    const notes = [`edition ${facts.edition.uri} (SNOMED CT ${facts.editionName}), ${files.length} RF2 files`];
    if (ignored.length) {
      const names = ignored.map((f) => path.basename(f));
      notes.push(`not used: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more (Full/Delta files, OWL, MRCM, ...)` : ''}`);
    }
    const release = new Rf2Release(files, progress, notes, facts.concepts);
    const streamed: StreamedCodeSystem = {
      resource: codeSystemOf(facts),
      concepts: () => release.concepts(),
      writeExtra: (csPk, p, db) => release.writeExtra(csPk, p, db),
    };
    return { resources: [], streamed: [streamed], publisherVersion: facts.edition.uri, notes };
  },
};
