import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';
import type { ArtefactRef, ArtefactStore } from '../store/artefact-store';
import type { ResourceStore } from '../store/resource-store';
import { SyndicationStore } from '../store/syndication-store';
import type { Db } from '../store/database';
import { findRf2Files } from '../terminology/snomed/rf2-reader';
import { SCT_URI, parseEditionUri } from '../terminology/snomed/sctid';
import { MEDIA_TYPES } from './asf';
import { nameUuid, rfc3339 } from './publisher';

/**
 * Snomed CT releases travel as what they were imported from: the RF2 Snapshot files, zipped
 * (as release centres publish them). yazl writes the zip as a stream (a national edition is
 * hundreds of MB) with every entry dated by the release, so the same files give the same bytes;
 * yauzl reads zips entry by entry, refusing paths that leave the target folder.
 */

/** Zips the RF2 files the importer reads (Snapshot files, found anywhere under `folder`). */
export async function archiveRf2(folder: string, artefacts: ArtefactStore, releaseDate?: string): Promise<ArtefactRef> {
  const { files } = findRf2Files(folder);
  const day = releaseDate && /^\d{8}$/.test(releaseDate) ? new Date(Date.UTC(+releaseDate.slice(0, 4), +releaseDate.slice(4, 6) - 1, +releaseDate.slice(6, 8))) : new Date(0);
  const zip = new yazl.ZipFile();
  // the fastest deflate level: zipping is part of `kodverk import rf2`, and at 350,000 concepts
  // level 1 takes 3 s for 77 MB where the default level 6 took 8.4 s for 66 MB
  for (const f of files) zip.addFile(f.path, f.name.split(path.sep).join('/'), { mtime: day, mode: 0o100644, compressionLevel: 1 });
  zip.end();
  return artefacts.putStream(Readable.from(zip.outputStream));
}

/** Unpacks a zip into `into` (created); refuses entries outside it and more than `maxBytes` in all. */
export async function unpackZip(file: string, into: string, maxBytes = 64 * 1024 ** 3): Promise<void> {
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
 */
export async function recordRf2Release(db: Db, store: ResourceStore, artefacts: ArtefactStore, folder: string, editionVersion: string, sourceSha256: string): Promise<boolean> {
  const items = new SyndicationStore(db);
  const held = items.get(editionVersion);
  if (held?.origin === 'rf2' && held.originKey === sourceSha256 && held.artefact && artefacts.has(held.artefact.sha256)) return false;
  const edition = parseEditionUri(editionVersion);
  const cs = store.byUrl('CodeSystem', SCT_URI).find((r) => r.version === editionVersion)?.resource;
  if (!edition?.date || !cs) return false;
  const ref = await archiveRf2(folder, artefacts, edition.date);
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
