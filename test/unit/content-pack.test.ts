import fs from 'node:fs';
import path from 'node:path';
import { SchemaValidator } from '../../src/terminology/resource-schema';

/**
 * The content pack (terminology/) that the server loads into an empty store: the national lists
 * authored from Socialstyrelsen's and Umeå's documents. Every file must be one valid FHIR R4
 * CodeSystem, ValueSet or ConceptMap, in Swedish, and every code a value set or concept map
 * names must exist in the pack.
 */

const PACK = path.resolve(__dirname, '../../terminology');
const BASE = 'https://kodverk.se/fhir';
const KSI_URL = `${BASE}/CodeSystem/ksi`;
const KSI_TSV = path.resolve(__dirname, '../../../shared/data/socialstyrelsen/ksi.tsv');
const TYPES = ['CodeSystem', 'ValueSet', 'ConceptMap'];

interface PackFile {
  file: string;
  resource: any;
}

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out;
}

function flatten(concepts: any[] | undefined, out: any[] = []): any[] {
  for (const c of concepts ?? []) {
    out.push(c);
    flatten(c.concept, out);
  }
  return out;
}

const files: PackFile[] = fs.existsSync(PACK)
  ? jsonFiles(PACK).map((file) => ({ file: path.relative(PACK, file), resource: JSON.parse(fs.readFileSync(file, 'utf8')) }))
  : [];
const ofType = (t: string) => files.filter((f) => f.resource.resourceType === t);
const codeSystems = new Map<string, any>(ofType('CodeSystem').map((f) => [f.resource.url, f.resource]));
const codesOf = (cs: any) => new Map<string, any>(flatten(cs.concept).map((c) => [c.code, c]));
let validator: SchemaValidator | undefined;
const schema = () => (validator ??= new SchemaValidator());

describe('content pack (terminology/)', () => {
  it('holds the national lists', () => {
    expect(files.length).toBeGreaterThan(0);
    const urls = [...codeSystems.keys()];
    for (const id of ['lagrum', 'beslut-utfall', 'aktualiseringstyp', 'kontaktsatt', 'verkstallighetsstatus', 'avslutsorsak', 'juridiskt-kon', 'sakomrade', 'insatskategori']) {
      expect(urls).toContain(`${BASE}/CodeSystem/${id}`);
    }
  });

  describe.each(files.map((f) => [f.file, f.resource] as [string, any]))('%s', (file, r) => {
    it('is one CodeSystem, ValueSet or ConceptMap with url, version, status, publisher and Swedish language', () => {
      expect(TYPES).toContain(r.resourceType);
      expect(r.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
      expect(r.url).toBe(`${BASE}/${r.resourceType}/${r.id}`);
      expect(typeof r.version).toBe('string');
      expect(r.version).not.toBe('');
      expect(['draft', 'active', 'retired', 'unknown']).toContain(r.status);
      expect(typeof r.publisher).toBe('string');
      expect(r.publisher).not.toBe('');
      expect(r.language).toMatch(/^sv(-SE)?$/);
      expect(typeof r.name).toBe('string');
      expect(typeof r.title).toBe('string');
      // every list names the documents (and lines) it was taken from
      expect(r.description).toMatch(/Källa|domänbeskrivning/);
      // in Socialstyrelsen's Swedish a release of NIMs is an utgåva, not a "release"
      expect(`${r.title} ${r.description}`).not.toMatch(/\breleaser?n?a?\b/i);
      const expectedName = { CodeSystem: 'codesystem', ValueSet: 'valueset', ConceptMap: 'conceptmap' }[r.resourceType as string];
      expect(path.basename(file)).toBe(`${expectedName}-${r.id}.json`);
    });

    it('is valid FHIR R4 (official JSON schema)', () => {
      expect(() => schema().check(r)).not.toThrow();
    });

    if (r.resourceType === 'CodeSystem') {
      it('is a complete, case-sensitive code system whose concepts all have a Swedish display and a source', () => {
        expect(r.content).toBe('complete');
        expect(r.caseSensitive).toBe(true);
        const all = flatten(r.concept);
        expect(all.length).toBeGreaterThan(0);
        expect(r.count).toBe(all.length);
        const codes = all.map((c) => c.code);
        expect(new Set(codes).size).toBe(codes.length);
        const declared = new Set((r.property ?? []).map((p: any) => p.code));
        for (const c of all) {
          expect(typeof c.display).toBe('string');
          expect(c.display.trim()).toBe(c.display);
          expect(c.display.length).toBeGreaterThan(0);
          // Swedish: no English placeholder displays, and every designation is Swedish
          expect(c.display).not.toMatch(/^(TODO|TBD|unknown|other)$/i);
          for (const d of c.designation ?? []) expect(d.language).toMatch(/^sv/);
          if (c.definition !== undefined) expect(c.definition.length).toBeGreaterThan(0);
          for (const p of c.property ?? []) expect(declared).toContain(p.code);
          const source = (c.property ?? []).find((p: any) => p.code === 'kalla');
          expect(source?.valueString).toMatch(/\d{3}:L\d+|Domänbeskrivningen/);
          // Coding-valued properties point at codes of the pack
          for (const p of c.property ?? []) {
            if (!p.valueCoding) continue;
            const target = codeSystems.get(p.valueCoding.system);
            expect(target).toBeDefined();
            expect(codesOf(target).get(p.valueCoding.code)?.display).toBe(p.valueCoding.display);
          }
        }
        if (r.valueSet) expect(ofType('ValueSet').map((f) => f.resource.url)).toContain(r.valueSet);
      });
    }

    if (r.resourceType === 'ValueSet') {
      it('only includes codes that exist in the named code systems of the pack', () => {
        const includes = [...(r.compose?.include ?? []), ...(r.compose?.exclude ?? [])];
        expect(r.compose?.include?.length).toBeGreaterThan(0);
        for (const inc of includes) {
          const cs = codeSystems.get(inc.system);
          expect(cs).toBeDefined();
          if (inc.version) expect(inc.version).toBe(cs.version);
          const codes = codesOf(cs);
          for (const c of inc.concept ?? []) {
            expect(codes.has(c.code)).toBe(true);
            if (c.display) expect(c.display).toBe(codes.get(c.code).display);
          }
        }
      });
    }

    if (r.resourceType === 'ConceptMap') {
      it('maps only codes that exist in its source (and, when in the pack, target) code system', () => {
        expect(r.group?.length).toBeGreaterThan(0);
        for (const g of r.group) {
          const source = codeSystems.get(g.source);
          expect(source).toBeDefined();
          if (g.sourceVersion) expect(g.sourceVersion).toBe(source.version);
          const sourceCodes = codesOf(source);
          const target = codeSystems.get(g.target);
          const targetCodes = target ? codesOf(target) : undefined;
          for (const e of g.element) {
            expect(sourceCodes.has(e.code)).toBe(true);
            if (e.display) expect(e.display).toBe(sourceCodes.get(e.code).display);
            for (const t of e.target ?? []) {
              expect(['relatedto', 'equivalent', 'equal', 'wider', 'subsumes', 'narrower', 'specializes', 'inexact', 'unmatched', 'disjoint']).toContain(t.equivalence);
              if (['narrower', 'inexact', 'wider'].includes(t.equivalence)) expect(t.comment).toBeTruthy();
              if (targetCodes) {
                expect(targetCodes.has(t.code)).toBe(true);
                if (t.display) expect(t.display).toBe(targetCodes.get(t.code).display);
              } else {
                expect(g.target).toBe(KSI_URL);
              }
            }
          }
        }
      });
    }
  });

  it('is checked by a schema validation that rejects R5-only elements', () => {
    const cm = ofType('ConceptMap')[0].resource;
    const r5 = JSON.parse(JSON.stringify(cm));
    const t = r5.group[0].element[0].target[0];
    delete t.equivalence;
    t.relationship = 'equivalent';
    expect(() => schema().check(r5)).toThrow();
  });

  it('has unique ids per resource type and unique url|version', () => {
    for (const t of TYPES) {
      const ids = ofType(t).map((f) => f.resource.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const canon = files.map((f) => `${f.resource.url}|${f.resource.version}`);
    expect(new Set(canon).size).toBe(canon.length);
  });

  it('has a value set with all the codes of each code system', () => {
    for (const cs of codeSystems.values()) {
      const vs = ofType('ValueSet').find((f) => f.resource.url === cs.valueSet)?.resource;
      expect(vs).toBeDefined();
      const listed = new Set(vs.compose.include.filter((i: any) => i.system === cs.url).flatMap((i: any) => (i.concept ?? []).map((c: any) => c.code)));
      for (const code of codesOf(cs).keys()) expect(listed).toContain(code);
    }
  });

  const ksiPresent = fs.existsSync(KSI_TSV);
  (ksiPresent ? it : it.skip)('maps to KSI codes that exist in Socialstyrelsen\'s KSI export (../shared/data)', () => {
    const ksi = new Map<string, string>();
    for (const line of fs.readFileSync(KSI_TSV, 'utf8').split(/\r?\n/).slice(1)) {
      const cols = line.split('\t').map((s) => s.replace(/^"|"$/g, ''));
      if (cols[0]) ksi.set(cols[0], cols[2]);
    }
    let checked = 0;
    for (const f of ofType('ConceptMap')) {
      for (const g of f.resource.group.filter((x: any) => x.target === KSI_URL)) {
        for (const e of g.element) {
          for (const t of e.target ?? []) {
            expect(ksi.has(t.code)).toBe(true);
            expect(t.display).toBe(ksi.get(t.code));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('maps old SoL (2001:453) paragraphs to new SoL (2025:400) paragraphs', () => {
    const cm = ofType('ConceptMap').find((f) => f.resource.id === 'lagrum-sol2001-till-sol2025')?.resource;
    expect(cm).toBeDefined();
    for (const e of cm.group[0].element) {
      expect(e.code).toMatch(/^SoL2001-/);
      for (const t of e.target) expect(t.code).toMatch(/^SoL2025-/);
    }
    const hemtjanst = cm.group[0].element.find((e: any) => e.code === 'SoL2001-7:1:6');
    expect(hemtjanst.target[0]).toMatchObject({ code: 'SoL2025-26:1:6', equivalence: 'equivalent' });
  });
});
