import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import yauzl from 'yauzl';
import { compiledBeside } from '../config';
import type { ArtefactRef, ArtefactStore } from '../store/artefact-store';
import type { ResourceStore } from '../store/resource-store';
import { SyndicationStore } from '../store/syndication-store';
import type { Db } from '../store/database';
import { findRf2Files } from '../terminology/snomed/rf2-reader';
import { SCT_URI, parseEditionUri } from '../terminology/snomed/sctid';
import { MEDIA_TYPES } from './asf';
import { nameUuid, rfc3339 } from './publisher';
import { Rf2ZipTask, rf2ZipStream } from './rf2-zip';

/**
 * Snomed CT releases travel as what they were imported from: the RF2 Snapshot files, zipped
 * (as release centres publish them; rf2-zip makes the same bytes of the same files). yauzl reads
 * zips entry by entry, refusing paths that leave the target folder.
 */

/** Zips the RF2 files the importer reads (Snapshot files, found anywhere under `folder`). */
export async function archiveRf2(folder: string, artefacts: ArtefactStore, releaseDate?: string): Promise<ArtefactRef> {
  return artefacts.putStream(rf2ZipStream(folder, releaseDate));
}

/**
 * An RF2 archive being zipped in a worker thread while the release is imported: it becomes an
 * artefact only when `keep` is called (after the import has committed); `discard` stops the
 * thread and removes what it wrote, so a failed import leaves nothing behind.
 */
export class PendingRf2Archive {
  private readonly worker: Worker;
  /** the archive once zipped (a staging file, not yet an artefact) */
  readonly zipped: Promise<ArtefactRef>;
  private readonly staged: string;

  private constructor(
    private readonly artefacts: ArtefactStore,
    folder: string,
    /** the date the entries carry: kept only for a release of this date */
    readonly releaseDate: string,
  ) {
    this.staged = artefacts.stagingPath();
    const task: Rf2ZipTask = { folder, releaseDate, artefactDir: artefacts.dir, staged: this.staged };
    // small heap limits: the thread only streams files through deflate, and its memory adds to the import's peak
    this.worker = new Worker(compiledBeside(__filename, 'rf2-archive-worker'), { workerData: task, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 } });
    this.zipped = new Promise((resolve, reject) => {
      this.worker.once('message', (m: { ok: true; ref: ArtefactRef } | { ok: false; message: string }) => (m.ok ? resolve(m.ref) : reject(new Error(`zipping the RF2 release failed: ${m.message}`))));
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the RF2 zipping thread stopped (${code})`)));
    });
    // a rejection nobody awaits (the import failed first) is not an unhandled one
    this.zipped.catch(() => undefined);
  }

  /**
   * Starts zipping the release in `folder` for an import of content with this sha256, unless
   * the catalogue already holds it as the archive of that content (the import will keep that one)
   * or the release's date cannot be told from the file names or the --uri.
   */
  static start(db: Db, artefacts: ArtefactStore, folder: string, sourceSha256: string, uri?: string): PendingRf2Archive | undefined {
    const held = new SyndicationStore(db).byOrigin('rf2', sourceSha256).some((i) => i.artefact && artefacts.has(i.artefact.sha256));
    if (held || !fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return undefined;
    const releaseDate = uri ? parseEditionUri(uri)?.date : newestFileDate(folder);
    return releaseDate ? new PendingRf2Archive(artefacts, folder, releaseDate) : undefined;
  }

  /** The archive, made an artefact of the store. */
  async keep(): Promise<ArtefactRef> {
    const ref = await this.zipped;
    this.artefacts.adopt(this.staged, ref);
    return ref;
  }

  /** Stops the thread (when still zipping) and removes what it wrote, unless kept. */
  async discard(): Promise<void> {
    await this.worker.terminate();
    fs.rmSync(this.staged, { force: true });
  }
}

/** The release date an import of `folder` without --uri gives: the newest in the RF2 file names. */
function newestFileDate(folder: string): string | undefined {
  return findRf2Files(folder).files.reduce<string | undefined>((a, f) => (f.date && (!a || f.date > a) ? f.date : a), undefined);
}

/**
 * How many times its own size a zip may unpack to: RF2's text files compress about ten to fifteen
 * times; a zip bomb, thousands of times (2 MB that wrote 2 GiB to disk).
 */
export const MAX_ZIP_RATIO = 50;

/**
 * Unpacks a zip into `into` (created); refuses entries outside it, and more than `maxBytes` or
 * MAX_ZIP_RATIO times the zip's size in all (yauzl holds each entry to its declared size).
 */
export async function unpackZip(file: string, into: string, maxBytes = 64 * 1024 ** 3): Promise<void> {
  maxBytes = Math.min(maxBytes, MAX_ZIP_RATIO * fs.statSync(file).size);
  fs.mkdirSync(into, { recursive: true });
  const root = path.resolve(into);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (e, z) => (e ? reject(e) : resolve(z!))));
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => {
      zip.close();
      reject(e);
    };
    zip.on('error', fail);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const target = path.resolve(root, entry.fileName);
      if (!target.startsWith(root + path.sep)) return fail(new Error(`the zip entry ${entry.fileName} points outside the release folder`));
      if (/\/$/.test(entry.fileName)) {
        fs.mkdirSync(target, { recursive: true });
        return zip.readEntry();
      }
      total += entry.uncompressedSize;
      if (total > maxBytes) return fail(new Error(`the zip unpacks to more than ${maxBytes} bytes`));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      zip.openReadStream(entry, (e, stream) => {
        if (e) return fail(e);
        pipeline(stream!, fs.createWriteStream(target)).then(() => zip.readEntry(), fail);
      });
    });
    zip.readEntry();
  });
}

/**
 * After an RF2 import: the release's Snomed CT edition version enters the catalogue with the
 * zipped RF2 files it was imported from (once; importing the same release again reuses them).
 * The archive zipped alongside the import (`pending`) is kept when it carries the release's date;
 * otherwise the files are zipped now. The caller discards `pending` whatever happens.
 */
export async function recordRf2Release(db: Db, store: ResourceStore, artefacts: ArtefactStore, folder: string, editionVersion: string, sourceSha256: string, pending?: PendingRf2Archive): Promise<boolean> {
  const items = new SyndicationStore(db);
  const held = items.get(editionVersion);
  if (held?.origin === 'rf2' && held.originKey === sourceSha256 && held.artefact && artefacts.has(held.artefact.sha256)) return false;
  const edition = parseEditionUri(editionVersion);
  const cs = store.byUrl('CodeSystem', SCT_URI).find((r) => r.version === editionVersion)?.resource;
  if (!edition?.date || !cs) return false;
  // a zipping thread that failed costs only the time: the files are zipped here as before
  const ref = pending?.releaseDate === edition.date ? await pending.keep().catch(() => archiveRf2(folder, artefacts, edition.date)) : await archiveRf2(folder, artefacts, edition.date);
  const identifier = `http://snomed.info/${edition.unpublished ? 'x' : ''}sct/${edition.module}`;
  items.put({
    contentItemVersion: editionVersion,
    contentItemIdentifier: identifier,
    category: 'SCT_RF2_SNAPSHOT',
    entryId: nameUuid(editionVersion),
    title: `${cs.title ?? 'SNOMED CT'} ${edition.date} (RF2 Snapshot)`,
    summary: cs.description,
    rights: cs.copyright,
    author: cs.publisher,
    published: rfc3339(cs.date),
    updated: new Date().toISOString(),
    artefact: { mediaType: MEDIA_TYPES.zip, fileName: `SnomedCT_${edition.module}_${edition.date}_RF2_Snapshot.zip`, ...ref },
    permissions: [],
    dependencies: [],
    extraCategories: [],
    origin: 'rf2',
    originKey: sourceSha256,
  });
  return true;
}
