import fs from 'node:fs';
import path from 'node:path';
import { readLines } from '../../src/terminology/snomed/rf2-reader';
import { removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

function linesOf(content: string | Buffer): string[] {
  const file = path.join(tempDir('kodverk-rf2-lines-'), 'f.txt');
  fs.writeFileSync(file, content);
  return [...readLines(file)];
}

describe('RF2 files read line by line', () => {
  it('takes CRLF and LF endings, a byte-order mark, empty lines and a last line without an ending', () => {
    expect(linesOf('\uFEFFid\tterm\r\n1\tå ä ö\r\n\r\n2\tx\n3\tlast')).toEqual(['id\tterm', '1\tå ä ö', '', '2\tx', '3\tlast']);
    expect(linesOf('\uFEFFonly')).toEqual(['only']);
    expect(linesOf('')).toEqual([]);
  });

  it('keeps lines and multi-byte characters whole across the 1 MB chunks it reads', () => {
    const long = 'ä'.repeat(700_000); // 1.4 MB in UTF-8: longer than a chunk
    const lines = ['header', ...Array.from({ length: 60_000 }, (_, i) => `${i}\tåäö ${'x'.repeat(i % 40)}`), long, 'end'];
    expect(linesOf(lines.join('\r\n') + '\r\n')).toEqual(lines);
  });
});
