import fs from 'node:fs';
import path from 'node:path';
import { ImportLog } from '../../src/store/import-log';
import { runImport } from '../../src/importers/run-import';
import { fhirImporter } from '../../src/importers/fhir-package';
import { ImportError, Importer } from '../../src/importers/importer';
import { freshTempStore, removeTempStores } from '../helpers/temp-store';

afterAll(removeTempStores);

const CONTENT = path.resolve(__dirname, '../../terminology');

const freshStore = () => freshTempStore('kodverk-import-');

describe('import framework', () => {
  it('imports a folder of FHIR JSON once, and a second time changes nothing and says so', async () => {
    const { db, store } = freshStore();
    const first = await runImport(db, store, fhirImporter, CONTENT);
    expect(first.noChange).toBe(false);
    expect(first.created).toBeGreaterThan(0);
    const runs = new ImportLog(db).all();
    expect(runs).toHaveLength(1);
    expect(runs[0].sha256).toBe(first.sha256);
    const second = await runImport(db, store, fhirImporter, CONTENT);
    expect(second.noChange).toBe(true);
    expect(second.previousImport).toBe(runs[0].importedAt);
    expect(new ImportLog(db).all()).toHaveLength(1);
  });

  it('leaves the store exactly as it was when an import fails half way', async () => {
    const { db, store } = freshStore();
    await runImport(db, store, fhirImporter, CONTENT);
    const before = store.count('CodeSystem', {});
    const failing: Importer = {
      format: 'broken',
      description: 'writes one good resource, then one without an id',
      async read() {
        return { resources: [{ resourceType: 'CodeSystem', id: 'ok', url: 'urn:x:ok', status: 'active', content: 'complete', concept: [{ code: 'a' }] }, { resourceType: 'CodeSystem', url: 'urn:x:bad' }] };
      },
    };
    await expect(runImport(db, store, failing, CONTENT)).rejects.toThrow(/needs a resourceType and an id/);
    expect(store.count('CodeSystem', {})).toBe(before);
    expect(store.read('CodeSystem', 'ok')).toBeUndefined();
  });

  it('names the file that is not JSON', async () => {
    const { db, store, dir } = freshStore();
    const bad = path.join(dir, 'bad');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'cs.json'), '{ not json');
    await expect(runImport(db, store, fhirImporter, bad)).rejects.toThrow(ImportError);
    await expect(runImport(db, store, fhirImporter, bad)).rejects.toThrow(/file cs\.json: not valid JSON/);
  });
});
