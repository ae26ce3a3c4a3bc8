import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What a stored artefact is: its sha256 (lowercase hex) and length in bytes. */
export interface ArtefactRef {
  sha256: string;
  length: number;
}

/** A downloaded artefact that is not what its feed entry announced. */
export class ArtefactMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtefactMismatch';
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Content-addressed files: every artefact the syndication feed offers (FHIR packages, RF2
 * archives, NIM release packages) is kept once under its sha256 — `<dir>/<aa>/<sha256>` — and never
 * changes, so it can be served as immutable. Files appear by an atomic rename, so a reader never
 * sees half an artefact, and writing the same content twice leaves one file.
 */
export class ArtefactStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return SHA256.test(sha256) && fs.existsSync(this.pathOf(sha256));
  }

  /** The stored file's length, or undefined when it is not here. */
  lengthOf(sha256: string): number | undefined {
    if (!SHA256.test(sha256)) return undefined;
    try {
      return fs.statSync(this.pathOf(sha256)).size;
    } catch {
      return undefined;
    }
  }

  putBuffer(bytes: Buffer): ArtefactRef {
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    if (!this.has(sha256)) {
      const staged = this.stagingPath();
      fs.writeFileSync(staged, bytes);
      this.adopt(staged, { sha256, length: bytes.length });
    }
    return { sha256, length: bytes.length };
  }

  /**
   * Stores what a stream delivers, hashing it on the way; when `expected` is given, a stream of
   * another length or hash is refused (ArtefactMismatch) and nothing is kept. Past `maxLength`
   * bytes the stream is cut off.
   */
  async putStream(stream: Readable, expected: Partial<ArtefactRef> = {}, maxLength = Number.MAX_SAFE_INTEGER): Promise<ArtefactRef> {
    const staged = this.stagingPath();
    const ref = await this.stage(stream, staged, expected, maxLength);
    this.adopt(staged, ref);
    return ref;
  }

  /**
   * Writes what a stream delivers to `staged` (a stagingPath) as putStream checks it, without
   * making it an artefact yet: `adopt` does that, or the caller removes the file. A failed or
   * refused stream leaves no file.
   */
  async stage(stream: Readable, staged: string, expected: Partial<ArtefactRef> = {}, maxLength = Number.MAX_SAFE_INTEGER): Promise<ArtefactRef> {
    const hash = crypto.createHash('sha256');
    let length = 0;
    try {
      await pipeline(
        stream,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            length += chunk.length;
            if (length > maxLength) throw new ArtefactMismatch(`longer than ${maxLength} bytes`);
            if (expected.length !== undefined && length > expected.length) throw new ArtefactMismatch(`longer than the ${expected.length} bytes announced`);
            hash.update(chunk);
            yield chunk;
          }
        },
        fs.createWriteStream(staged),
      );
      const sha256 = hash.digest('hex');
      if (expected.length !== undefined && length !== expected.length) throw new ArtefactMismatch(`${length} bytes, ${expected.length} announced`);
      if (expected.sha256 !== undefined && sha256 !== expected.sha256.toLowerCase()) throw new ArtefactMismatch(`sha256 ${sha256}, ${expected.sha256} announced`);
      return { sha256, length };
    } catch (e) {
      fs.rmSync(staged, { force: true });
      throw e;
    }
  }

  async putFile(file: string): Promise<ArtefactRef> {
    return this.putStream(fs.createReadStream(file));
  }

  open(sha256: string): fs.ReadStream {
    return fs.createReadStream(this.pathOf(sha256));
  }

  read(sha256: string): Buffer {
    return fs.readFileSync(this.pathOf(sha256));
  }

  /** A new file name in the store's staging folder, where artefacts are written before they appear. */
  stagingPath(): string {
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
    return path.join(this.dir, 'tmp', `${process.pid}-${crypto.randomUUID()}`);
  }

  /**
   * Removes staging files nobody finished: a process killed mid-write (or mid-import, holding a
   * zip made alongside it) leaves its file in tmp/. No writer keeps a staged file untouched for
   * a day, and age is all that can be judged safely — the pid in the name may belong to another
   * container sharing the folder. Returns how many were removed.
   */
  sweepStaging(olderThanMs = 24 * 3600 * 1000, now = Date.now()): number {
    const tmp = path.join(this.dir, 'tmp');
    let removed = 0;
    let names: string[];
    try {
      names = fs.readdirSync(tmp);
    } catch {
      return 0;
    }
    for (const name of names) {
      const file = path.join(tmp, name);
      try {
        const st = fs.statSync(file);
        if (st.isFile() && now - st.mtimeMs > olderThanMs) {
          fs.rmSync(file, { force: true });
          removed++;
        }
      } catch {
        // gone meanwhile: another process swept or adopted it
      }
    }
    return removed;
  }

  /** Makes a staged file (whose sha256 the caller checked) the artefact: renamed into place, or removed when that is already here. */
  adopt(staged: string, ref: ArtefactRef): void {
    const target = this.pathOf(ref.sha256);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (fs.existsSync(target)) fs.rmSync(staged, { force: true });
    else fs.renameSync(staged, target);
  }
}
