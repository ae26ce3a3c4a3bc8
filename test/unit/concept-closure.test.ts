import { openDatabase } from '../../src/store/database';
import { ConceptStore } from '../../src/store/concept-store';
import { ResourceStore } from '../../src/store/resource-store';

/** The closure as ancestor > descendant codes, sorted. */
function closureOf(parents: Record<string, string[]>): string[] {
  const db = openDatabase(':memory:');
  const store = new ResourceStore(db);
  const cs = store.put({ resourceType: 'CodeSystem', id: 'h', url: 'http://example.org/h', status: 'active', content: 'complete' }).stored.pk;
  new ConceptStore(db).write(cs, Object.entries(parents).map(([code, ps]) => ({ code, parents: ps })));
  const rows = db
    .prepare('SELECT a.code AS a, d.code AS d FROM concept_closure x JOIN concept a ON a.pk = x.ancestor_pk JOIN concept d ON d.pk = x.descendant_pk')
    .all() as { a: string; d: string }[];
  db.close();
  return rows.map((r) => `${r.a}>${r.d}`).sort();
}

describe('the is-a closure of written concepts', () => {
  it('holds every ancestor of every concept once, whatever order the concepts come in', () => {
    // a diamond (D below B and C), a concept listed before its parents, a parent not in the system
    expect(closureOf({ E: ['D'], D: ['B', 'C'], A: [], B: ['A'], C: ['A', 'missing'], F: ['A', 'B'] })).toEqual(
      ['A>B', 'A>C', 'A>D', 'A>E', 'A>F', 'B>D', 'B>E', 'B>F', 'C>D', 'C>E', 'D>E'].sort(),
    );
  });

  it('cuts a cycle instead of following it, and never makes a concept its own ancestor', () => {
    // X and Y are each other's parent: each is the other's ancestor, R theirs through X only
    expect(closureOf({ R: [], X: ['R', 'Y'], Y: ['X'], S: ['S', 'R'] })).toEqual(['R>S', 'R>X', 'X>Y', 'Y>X']);
  });
});
