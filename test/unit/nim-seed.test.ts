import { Nim } from '../../src/nim';
import { SeededStore, seededStore } from '../helpers/seeded-store';
import { TerminologyError } from '../../src/terminology/issues';

/** The seed in terminology/nim/ loads into a real SQLite file and shows the workflow. */

let seeded: SeededStore;
let nim: Nim;

beforeAll(() => {
  seeded = seededStore();
  nim = seeded.nim;
});

afterAll(() => seeded.close());

describe('NIM seed', () => {
  it('holds the nine NIMs of Tabell 2 plus Framställning and Uppföljning', () => {
    expect(nim.models.list().map((n) => n.name).sort()).toEqual(
      ['aktualisera-arende', 'annan-person', 'brukare', 'framstallning', 'insats', 'kommunikationssatt', 'kontaktuppgifter', 'myndighetsbeslut', 'organisation', 'personal', 'uppfoljning'],
    );
  });

  it('has one adopted release of the four published NIMs and one on påseende with the others', () => {
    const [review, adopted] = nim.releases.list();
    expect(adopted.version).toBe('1.0.0');
    expect(adopted.status).toBe('faststalld');
    expect(nim.releases.summary(adopted).nims.map((n) => n.url.split('/').pop()).sort()).toEqual(['nim-annan-person', 'nim-brukare', 'nim-kommunikationssatt', 'nim-kontaktuppgifter']);
    expect(review.version).toBe('1.1.0');
    expect(review.status).toBe('paseende');
    expect(nim.releases.summary(review).nims).toHaveLength(11);
    const snap = nim.releases.snapshotOf(adopted);
    expect(snap.leadTime?.override?.reason).toMatch(/Socialstyrelsen/);
    expect(nim.releases.snapshotOf(review).changeClass).toBe('minor');
  });

  it('keeps a derived rule whole (Brukare.kon: a comma inside the rule)', () => {
    const brukare = nim.models.definition(nim.models.get('brukare'));
    expect(brukare.attributes.find((a) => a.id === 'kon')!.derived).toEqual({ from: ['personId'], rule: 'Framgår av personnumrets näst sista siffra (udda man, jämn kvinna).' });
  });

  it('refuses (409) a package whose NIM version on påseende would sit beside another working version here, naming it', () => {
    // README: POST /releases/import takes "a package from another instance: same content hash,
    // same package bytes" — its NIM versions as they were; a NIM has one working version at a time
    const other = seededStore();
    try {
      const a = other.nim;
      a.releases.transition('1.1.0', 'faststalld', { effectiveFrom: '2027-06-08', overrideLeadTime: 'Test.' });
      const def = a.models.definition(a.models.newVersion('myndighetsbeslut'));
      def.attributes = def.attributes.filter((x) => x.id !== 'lagrum');
      a.models.update('myndighetsbeslut', '1.1.0', def, '2.0.0');
      a.releases.create({ version: '2.0.0', title: 'Myndighetsbeslut 2.0.0' });
      a.releases.transition('2.0.0', 'paseende');
      const snapshot = a.releases.snapshotOf(a.releases.get('2.0.0'));
      expect(snapshot.nims.find((n) => n.name === 'myndighetsbeslut')).toMatchObject({ version: '2.0.0', status: 'paseende' });
      // here (a fresh seed) Myndighetsbeslut 1.0.0 is on påseende in release 1.1.0
      const releases = nim.releases.list().map((r) => r.version);
      let refused: unknown;
      try {
        nim.releases.importSnapshot(snapshot);
      } catch (e) {
        refused = e;
      }
      expect(refused).toBeInstanceOf(TerminologyError);
      expect((refused as TerminologyError).httpStatus).toBe(409);
      expect((refused as TerminologyError).message).toMatch(/NIM myndighetsbeslut 2\.0\.0 is paseende in the package, but myndighetsbeslut 1\.0\.0 is paseende here/);
      expect(nim.releases.list().map((r) => r.version)).toEqual(releases);
      expect(nim.models.working('myndighetsbeslut')?.version).toBe('1.0.0');
    } finally {
      other.close();
    }
  });

  it('keeps the codes of every bound value set for fast membership checks by release', () => {
    const adopted = nim.releases.get('1.0.0');
    const kon = nim.releases.snapshotOf(adopted).bindings.find((b) => b.nim.endsWith('nim-brukare') && b.attribute === 'kon')!;
    expect(kon).toMatchObject({ resolved: 'https://kodverk.se/fhir/ValueSet/juridiskt-kon|2026.1', state: 'expanded', strength: 'required' });
    expect(nim.store.releaseCode(adopted.pk, kon.resolved, 'https://kodverk.se/fhir/CodeSystem/juridiskt-kon', 'kvinna')).toMatchObject({ display: 'Kvinna', inactive: false });
    expect(nim.store.releaseCode(adopted.pk, kon.resolved, 'https://kodverk.se/fhir/CodeSystem/juridiskt-kon', 'okand')).toBeUndefined();
  });
});
