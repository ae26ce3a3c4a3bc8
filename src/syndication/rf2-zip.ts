import path from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { findRf2Files } from '../terminology/snomed/rf2-reader';

/**
 * The zip of a release's RF2 files (the Snapshot files the importer reads, found anywhere under
 * `folder`) as a stream. yazl writes it as it goes (a national edition is hundreds of MB) with
 * every entry dated by the release (YYYYMMDD; 1970 without one), so the same files give the same
 * bytes wherever they are zipped. Kept apart from rf2-archive so the zipping thread
 * (rf2-archive-worker) loads only this.
 */
export function rf2ZipStream(folder: string, releaseDate?: string): Readable {
  const { files } = findRf2Files(folder);
  const day = releaseDate && /^\d{8}$/.test(releaseDate) ? new Date(Date.UTC(+releaseDate.slice(0, 4), +releaseDate.slice(4, 6) - 1, +releaseDate.slice(6, 8))) : new Date(0);
  const zip = new yazl.ZipFile();
  // the fastest deflate level: zipping is part of `kodverk import rf2`, and at 350,000 concepts
  // level 1 takes 3 s for 77 MB where the default level 6 took 8.4 s for 66 MB
  for (const f of files) zip.addFile(f.path, f.name.split(path.sep).join('/'), { mtime: day, mode: 0o100644, compressionLevel: 1 });
  zip.end();
  return Readable.from(zip.outputStream);
}

/** What the zipping thread is given: the release folder and date, and where to write the zip. */
export interface Rf2ZipTask {
  folder: string;
  releaseDate?: string;
  artefactDir: string;
  staged: string;
}
