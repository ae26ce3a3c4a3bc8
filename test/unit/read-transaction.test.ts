import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, readingOnce } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';

/**
 * A worker thread reads a batch of point calls in one read transaction (readingOnce): the calls
 * see the store as it was when the batch began, and a writer (an import in another connection)
 * is not held up meanwhile.
 */
describe('reading the store in one read transaction', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-read-once-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sees one state of the store throughout; a write by another connection goes through and shows afterwards', () => {
    const file = path.join(dir, 'kodverk.db');
    const writer = openDatabase(file);
    writer.exec('CREATE TABLE scratch (x INTEGER)');
    const reader = openDatabase(file, undefined, { readonly: true });
    const readerStore = new ResourceStore(reader);
    const rows = () => (reader.prepare('SELECT count(*) AS n FROM scratch').get() as { n: number }).n;
    const before = readerStore.changeCounter;

    const seen = readingOnce(reader, () => {
      const first = [rows(), readerStore.changeCounter];
      // the writer is not blocked by the open read transaction
      writer.prepare('INSERT INTO scratch VALUES (1)').run();
      expect(reader.inTransaction).toBe(true);
      return [first, [rows(), readerStore.changeCounter]];
    });
    expect(seen).toEqual([
      [0, before],
      [0, before],
    ]);
    expect(reader.inTransaction).toBe(false);
    // the next read sees the write
    expect(rows()).toBe(1);
    expect(readerStore.changeCounter).not.toBe(before);
    reader.close();
    writer.close();
  });

  it('ends the transaction when the reading fails, and nests inside a transaction already open', () => {
    const db = openDatabase(path.join(dir, 'kodverk.db'));
    expect(() =>
      readingOnce(db, () => {
        throw new Error('failed');
      }),
    ).toThrow('failed');
    expect(db.inTransaction).toBe(false);
    db.transaction(() => {
      expect(readingOnce(db, () => db.inTransaction)).toBe(true);
    })();
    db.close();
  });
});
