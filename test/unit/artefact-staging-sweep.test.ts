import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArtefactStore } from '../../src/store/artefact-store';

// A writer killed mid-write leaves its staging file; the next start removes it once it is old
// enough that no live writer can still hold it, and never touches artefacts themselves.
describe('artefact staging sweep', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-artefacts-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('removes staging files untouched for longer than the limit and keeps fresh ones and artefacts', () => {
    const store = new ArtefactStore(dir);
    const ref = store.putBuffer(Buffer.from('a published artefact'));
    const old = store.stagingPath();
    const fresh = store.stagingPath();
    fs.writeFileSync(old, 'abandoned');
    fs.writeFileSync(fresh, 'being written');
    const day = 24 * 3600 * 1000;
    const twoDaysAgo = (Date.now() - 2 * day) / 1000;
    fs.utimesSync(old, twoDaysAgo, twoDaysAgo);
    expect(store.sweepStaging(day)).toBe(1);
    expect(fs.existsSync(old)).toBe(false);
    expect(fs.existsSync(fresh)).toBe(true);
    expect(store.has(ref.sha256)).toBe(true);
    expect(store.read(ref.sha256).toString()).toBe('a published artefact');
  });

  it('is a no-op when nothing was ever staged', () => {
    expect(new ArtefactStore(dir).sweepStaging()).toBe(0);
  });
});
