import type { CodeSystem } from 'fhir/r4';
import type { ConceptInput } from '../store/concept-store';
import type { ResourceStore } from '../store/resource-store';
import type { Db } from '../store/database';

/** Where something is wrong in an input file, as precisely as the format allows. */
export interface SourceLocation {
  file?: string;
  sheet?: string;
  column?: string;
  /** 1-based row of a sheet or line of a text file */
  row?: number;
}

/** A file of the wrong shape: the message names the sheet/column/line that is wrong. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly location: SourceLocation = {},
  ) {
    super(ImportError.describe(message, location));
    this.name = 'ImportError';
  }

  static describe(message: string, loc: SourceLocation): string {
    const where = [
      loc.file ? `file ${loc.file}` : undefined,
      loc.sheet !== undefined ? `sheet "${loc.sheet}"` : undefined,
      loc.column !== undefined ? `column "${loc.column}"` : undefined,
      loc.row !== undefined ? (loc.sheet !== undefined ? `row ${loc.row}` : `line ${loc.row}`) : undefined,
    ].filter(Boolean);
    return where.length ? `${where.join(', ')}: ${message}` : message;
  }
}

/** Reports progress of long work (a progress bar on a terminal, nothing in tests). */
export interface Progress {
  /** starts a phase with a known or unknown total */
  start(phase: string, total?: number): void;
  /** work done so far in the current phase */
  update(done: number): void;
  stop(): void;
}

export const NO_PROGRESS: Progress = { start() {}, update() {}, stop() {} };

/** A code system whose concepts are too many to carry inside the resource (Snomed CT). */
export interface StreamedCodeSystem {
  /** the CodeSystem resource without its concepts */
  resource: CodeSystem;
  /** the concepts, read lazily from the source */
  concepts: () => Iterable<ConceptInput>;
  /**
   * extra tables the code-system kind fills (e.g. Snomed relationships, refset members), after the
   * concepts, in the same transaction (hence the connection that holds it)
   */
  writeExtra?: (csPk: number, progress: Progress, db: Db) => void;
}

/** What an importer produces from its input: everything is loaded in one transaction. */
export interface ImportResult {
  /** FHIR resources: code systems with inline concepts, value sets, concept maps, naming systems */
  resources: any[];
  streamed?: StreamedCodeSystem[];
  /** the publisher's version of the release, for provenance */
  publisherVersion?: string;
  /** lines for the summary: what was found in the input */
  notes?: string[];
}

export interface ImportOptions {
  /** format-specific options from the command line (e.g. rf2 --uri) */
  [name: string]: string | boolean | undefined;
}

/** One source format (ksi, icf, urval, kva, oid, rf2, fhir). */
export interface Importer {
  format: string;
  description: string;
  /**
   * Reads the input (a file or a folder); throws ImportError when it has the wrong shape.
   * `store` is the store being imported into, for reading what is already there (e.g. ICF codes
   * that KSI's ranges resolve to); importers never write to it — runImport does.
   */
  read(input: string, options: ImportOptions, progress: Progress, store: ResourceStore): Promise<ImportResult>;
}
