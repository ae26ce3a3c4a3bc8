import zlib from 'node:zlib';
import * as tar from 'tar';

/**
 * FHIR NPM packages (.tgz) in memory. The writer is deterministic: the same files always give the same bytes —
 * entries in the order given, fixed modes and owners, one mtime for every entry, and gzip without
 * a timestamp — so a package can be built again and keep its sha256. The tar is written here
 * (plain ustar) rather than through node-tar's Pack, which reads files from disk with their own
 * modes and times; node-tar reads packages back.
 */

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(path: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for a tar entry: ${path}`);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** The files (path → bytes) as a gzipped tar; `mtime` in seconds since the epoch. */
export function writeTgz(files: [string, Buffer][], mtime: number): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, data] of files) {
    blocks.push(tarHeader(path, data.length, mtime), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks), { level: 9 });
}

/** JSON as package files hold it: two-space indented, a final newline. */
export function jsonFile(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
}

/**
 * The most a package may hold unpacked, and the most entries it may have. A few MB of gzip can
 * inflate to gigabytes (a package from another instance's feed, an upload): past either limit
 * reading stops, before the bytes are held or written.
 */
export interface PackageLimits {
  bytes: number;
  entries: number;
}
export const PACKAGE_LIMITS: PackageLimits = { bytes: 256 * 1024 * 1024, entries: 100_000 };

/** A package past PACKAGE_LIMITS (or not a tar.gz at all). */
export class PackageRefused extends Error {}

/** Regular files: links, devices and the like are never content of a package. */
export const isPackageFile = (type: string): boolean => type === 'File' || type === 'OldFile' || type === 'ContiguousFile';

/**
 * Reads a .tgz entry by entry within the limits: `take` gets each regular file's path (`./`
 * dropped) and says whether its bytes are wanted. Rejects with PackageRefused past a limit.
 */
export async function scanTgz(source: Buffer | NodeJS.ReadableStream, take: (path: string) => ((bytes: Buffer) => void) | undefined, limits: PackageLimits = PACKAGE_LIMITS): Promise<void> {
  let bytes = 0;
  let entries = 0;
  await new Promise<void>((resolve, reject) => {
    const parser: tar.Parser = new tar.Parser({
      onReadEntry: (entry) => {
        if (++entries > limits.entries) return parser.abort(new PackageRefused(`the package has more than ${limits.entries} entries`));
        bytes += entry.size ?? 0;
        if (bytes > limits.bytes) return parser.abort(new PackageRefused(`the package holds more than ${limits.bytes} bytes unpacked`));
        const into = isPackageFile(entry.type) ? take(entry.path.replace(/^\.\//, '')) : undefined;
        if (!into) return void entry.resume();
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => into(Buffer.concat(chunks)));
      },
    });
    parser.on('abort', (e: Error) => reject(e instanceof PackageRefused ? e : new PackageRefused(e.message)));
    parser.on('error', reject);
    parser.on('close', () => resolve());
    parser.on('end', () => resolve());
    if (Buffer.isBuffer(source)) parser.end(source);
    else {
      source.on('error', reject);
      source.pipe(parser as unknown as NodeJS.WritableStream);
    }
  });
}

/** The regular files of a .tgz held in memory (path → bytes, `./` dropped); rejects what is not a tar.gz or is past the limits. */
export async function readTgz(tgz: Buffer, limits: PackageLimits = PACKAGE_LIMITS): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await scanTgz(tgz, (p) => (b) => files.set(p, b), limits);
  return files;
}
