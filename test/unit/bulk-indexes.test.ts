import { openDatabase, sortingOnDisk } from '../../src/store/database';
import { ConceptStore } from '../../src/store/concept-store';
import { ResourceStore } from '../../src/store/resource-store';

/**
 * A bulk write of concept rows builds the tables' secondary indexes after the rows: the schema
 * afterwards is the one the migrations made, the indexes answer queries, and a write that fails
 * leaves the indexes as they were (they come back in the same transaction).
 */
function indexes(db: ReturnType<typeof openDatabase>): string[] {
  return (db.prepare("SELECT name || ': ' || coalesce(sql, '') AS s FROM sqlite_master WHERE type = 'index' ORDER BY name").pluck().all() as string[]);
}

describe('ConceptStore.withIndexesDeferred', () => {
  it('writes the rows, then the same indexes as before', () => {
    const db = openDatabase(':memory:');
    const before = indexes(db);
    const resources = new ResourceStore(db);
    const { stored } = resources.put({ resourceType: 'CodeSystem', id: 'bulk', url: 'http://example.org/bulk', status: 'active', content: 'complete' });
    const concepts = new ConceptStore(db);
    let insideIndexes: string[] = [];
    sortingOnDisk(db, () =>
      db.transaction(() =>
        concepts.withIndexesDeferred(() => {
          insideIndexes = indexes(db);
          concepts.write(stored.pk, [
            { code: 'A', display: 'Alfa' },
            { code: 'B', display: 'Beta', parents: ['A'] },
            { code: 'C', display: 'Gamma', parents: ['B'], properties: [{ code: 'kind', valueKey: 'valueCode', value: 'x' }] },
          ]);
        }),
      )(),
    );
    expect(insideIndexes.length).toBeLessThan(before.length);
    expect(indexes(db)).toEqual(before);
    expect(Number(db.pragma('temp_store', { simple: true }))).toBe(2); // back in memory
    // the closure's index by descendant answers
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT ancestor_pk FROM concept_closure WHERE descendant_pk = 1').all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/concept_closure_by_descendant/);
    expect(concepts.count(stored.pk)).toBe(3);
  });

  it('a bulk write that fails leaves the schema and the rows as they were', () => {
    const db = openDatabase(':memory:');
    const before = indexes(db);
    const concepts = new ConceptStore(db);
    expect(() =>
      sortingOnDisk(db, () =>
        db.transaction(() =>
          concepts.withIndexesDeferred(() => {
            throw new Error('the release is damaged');
          }),
        )(),
      ),
    ).toThrow('the release is damaged');
    expect(indexes(db)).toEqual(before);
  });
});
