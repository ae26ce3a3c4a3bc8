import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader, emptySummary } from '../../src/importers/loader';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { codeSystem } from '../integration/support/fixtures';

/**
 * The engine's view of the store is read in several steps within one request (the code system by
 * URL, then its provider). A write by another connection between two steps must not make the
 * second step lose what the first found: the code system's concept rows are still there.
 */
const colours = codeSystem({ id: 'colours' });

describe('StoreResourceSource across a change by another connection', () => {
  it('a code system read before the change still gets the provider of its stored concepts', () => {
    const db = openDatabase(':memory:');
    const store = new ResourceStore(db);
    new ResourceLoader(db, store).load([colours]);
    const source = new StoreResourceSource(store);
    const [cs] = source.byUrl('CodeSystem', colours.url!);
    expect(cs).toBeDefined();
    // stored code systems are kept without their concepts inline: the provider reads the rows
    store.touch();
    const provider = source.providerFor(cs, []);
    expect(provider.locate('red').concept?.display).toBe('Red');
  });

  it('so does a code system kept only as concept rows (the Snomed CT way)', () => {
    const db = openDatabase(':memory:');
    const store = new ResourceStore(db);
    const { concept, ...resource } = { ...colours, id: 'rows', url: 'http://example.org/fhir/CodeSystem/rows' };
    const loader = new ResourceLoader(db, store);
    db.transaction(() => loader.saveStreamed({ resource, concepts: () => concept!.map((c) => ({ code: c.code, display: c.display })) }, 'sha', emptySummary()))();
    const source = new StoreResourceSource(store);
    const [cs] = source.byUrl('CodeSystem', resource.url);
    store.touch();
    expect(source.providerFor(cs, []).locate('red').concept?.display).toBe('Red');
    // and the provider built after the change is not kept for the next request in a broken state
    store.touch();
    const [again] = source.byUrl('CodeSystem', resource.url);
    expect(source.providerFor(again, []).locate('green').concept?.display).toBe('Green');
  });
});
