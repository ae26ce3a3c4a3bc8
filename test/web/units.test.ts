import { html, linkIf, query, raw } from '../../src/web/html';
import { searchTerms, stem, wordsOf } from '../../src/web/swedish';
import { toCsv } from '../../src/web/downloads';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEXTS, designationUseWord, tr, word } from '../../src/web/i18n';
import { designationUse } from '../../src/terminology/snomed/model';
import { SCT } from '../../src/terminology/snomed/sctid';
import { propertyName, sakomradeLabel, sakomradeWrittenOut } from '../../src/web/labels';
import { SNOMED_PROPERTIES } from '../../src/terminology/snomed/model';
import type { Importer } from '../../src/importers/importer';
import { ksiImporter } from '../../src/importers/ksi';
import { icfImporter } from '../../src/importers/icf';
import { kvaImporter } from '../../src/importers/kva';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { SHARED_DATA } from '../helpers/server';

/** The pieces of the pages that need no browser: escaping, Swedish words, CSV, texts. */
describe('html templates', () => {
  test('escape every interpolated value unless it is already markup', () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(html`<p title="${evil}">${evil}</p>`.text).toBe('<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>');
    expect(html`<div>${html`<b>${'å'}</b>`}${raw('<i>ok</i>')}${[1, null, undefined, false, 'x']}</div>`.text).toBe('<div><b>å</b><i>ok</i>1x</div>');
    expect(linkIf(undefined, 'd4500').text).toBe('d4500');
    expect(linkIf('/a?b=1&c=2', 'x').text).toBe('<a href="/a?b=1&amp;c=2">x</a>');
  });

  test('query strings leave out empty parameters', () => {
    expect(query({ q: 'bedömning lärande', system: '', sida: 2, x: undefined })).toBe('?q=bed%C3%B6mning+l%C3%A4rande&sida=2');
    expect(query({})).toBe('');
  });
});

describe('Swedish words for search', () => {
  test('inflected forms share a stem that is a prefix of each', () => {
    expect(stem('bedömningar')).toBe('bedömning');
    expect(stem('lärande')).toBe('lär');
    expect(stem('insatser')).toBe('insats');
    for (const w of ['bedömningar', 'lärande', 'insatser', 'åtgärder', 'färdighetsträning']) expect(w.startsWith(stem(w))).toBe(true);
  });

  test('å, ä and ö stay letters of their own', () => {
    expect(searchTerms('Bröd')).toEqual(['bröd']);
    expect(searchTerms('brod')).toEqual(['brod']);
    expect(wordsOf('ÅTGÄRD Öppenvård')).toEqual(['åtgärd', 'öppenvård']);
  });

  test('codes split as the text index splits them', () => {
    expect(wordsOf('SA1.AA.ZZ')).toEqual(['sa1', 'aa', 'zz']);
  });
});

describe('downloads and texts', () => {
  test('CSV for Swedish Excel: BOM, semicolons, quoted fields, CRLF', () => {
    const csv = toCsv({ name: 't', headers: ['kod', 'benämning'], rows: [['a', 'x; "y"'], ['b', 'rad 1\nrad 2']] });
    expect(csv).toBe('\uFEFFkod;benämning\r\na;"x; ""y"""\r\nb;"rad 1\nrad 2"\r\n');
  });

  test('CSV: a value that begins like a formula is written as text, never run by Excel', () => {
    const csv = toCsv({ name: 't', headers: ['kod', 'benämning'], rows: [['=1+1', '=HYPERLINK("http://evil.example";"Klicka")'], ['@SUM(1)', "+cmd|' /C calc'!A0"], ['-2', '\tflik'], ['a-b', 'x = y']] });
    expect(csv.split('\r\n').slice(1, 5)).toEqual(["'=1+1;\"'=HYPERLINK(\"\"http://evil.example\"\";\"\"Klicka\"\")\"", "'@SUM(1);'+cmd|' /C calc'!A0", "'-2;'\tflik", 'a-b;x = y']);
  });

  test('every text exists in both languages, with the same placeholders', () => {
    const places = (t: string) => (t.match(/\{\d+\}/g) ?? []).sort().join();
    for (const [key, [sv, en]] of Object.entries(TEXTS)) {
      expect([key, sv.length > 0, en.length > 0, places(sv)]).toEqual([key, true, true, places(en)]);
    }
    expect(tr('sv', 'searchResultsFor', 'hemtjänst')).toBe('Sökresultat för "hemtjänst"');
    expect(tr('en', 'searchResultsFor', 'hemtjänst')).toBe('Results for "hemtjänst"');
  });
});

describe("Socialstyrelsen's words on the pages", () => {
  const SOCIALSTYRELSEN = path.join(SHARED_DATA, 'socialstyrelsen');
  const files: [string, Importer, string][] = [
    ['ksi-2025.xlsx', ksiImporter, 'KSI'],
    ['icf-2025-inkl-core-sets.xlsx', icfImporter, 'ICF'],
    ['kva-inkl-beskrivningstexter-2026.xlsx', kvaImporter, 'KVÅ'],
  ];
  const quiet = { start() {}, update() {}, stop() {} };

  test("Snomed CT's description types are named in the page's language (a Swedish page said 'Fully specified name')", () => {
    for (const type of [SCT.fsn, SCT.synonym, SCT.definition]) {
      const use = designationUse(type);
      const row = { use_system: use.system!, use_code: use.code!, use_display: use.display ?? null };
      expect(designationUseWord('en', row).toLowerCase()).toBe(use.display!.toLowerCase());
      expect(designationUseWord('sv', row)).not.toBe(use.display);
    }
    expect(designationUseWord('sv', { use_system: 'http://snomed.info/sct', use_code: SCT.fsn, use_display: 'Fully specified name' })).toBe('fullständigt specificerat namn');
    // a use the server has no words for keeps the source's display
    expect(designationUseWord('sv', { use_system: 'http://example.org/use', use_code: 'x', use_display: 'Kort namn' })).toBe('Kort namn');
  });

  test('every property of Snomed CT has a Swedish and an English name', () => {
    for (const p of SNOMED_PROPERTIES) expect([p.code, propertyName('sv', p.code) !== undefined, propertyName('en', p.code) !== undefined]).toEqual([p.code, true, true]);
  });

  const haveFiles = files.every(([f]) => fs.existsSync(path.join(SOCIALSTYRELSEN, f)));
  if (!haveFiles) console.warn(`Property names of KSI, ICF and KVÅ not checked: Socialstyrelsen's files are not in ${SOCIALSTYRELSEN}`);
  (haveFiles ? test : test.skip)('every property KSI, ICF and KVÅ declare (and every property their concepts carry) has a Swedish and an English name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-labels-'));
    const db = openDatabase(path.join(dir, 'kodverk.db'));
    try {
      for (const [file, importer, name] of files) {
        const { resources } = await importer.read(path.join(SOCIALSTYRELSEN, file), {}, quiet, new ResourceStore(db));
        const codes = new Set<string>();
        const walk = (list: any[] | undefined) => list?.forEach((c) => (c.property?.forEach((p: any) => codes.add(p.code)), walk(c.concept)));
        for (const cs of resources.filter((r) => r.resourceType === 'CodeSystem')) {
          cs.property?.forEach((p: any) => codes.add(p.code));
          walk(cs.concept);
        }
        for (const code of codes) expect([name, code, propertyName('sv', code) !== undefined, propertyName('en', code) !== undefined]).toEqual([name, code, true, true]);
      }
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('sakområde abbreviations are written out', () => {
    expect(sakomradeLabel('sv', 'ÄOH')).toBe('ÄOH – äldreomsorg, handläggare');
    expect(sakomradeLabel('sv', 'EkBistHU')).toBe('EkBistHU – ekonomiskt bistånd, handläggare och utförare');
    expect(sakomradeLabel('en', 'BoUH')).toBe('BoUH – children and young people, case officers');
    expect(propertyName('sv', 'FunkU')).toBe('Urval FunkU – funktionsnedsättning, utförare');
    // in a note of the KSI import, and left alone where the meaning already follows
    expect(sakomradeWrittenOut('sv', 'BoUU: 2; ÄOH: 1?')).toBe('BoUU (barn och unga, utförare): 2; ÄOH (äldreomsorg, handläggare): 1?');
    expect(sakomradeWrittenOut('sv', 'ÄOH – äldreomsorg, handläggare; KSIUrvalAOH')).toBe('ÄOH – äldreomsorg, handläggare; KSIUrvalAOH');
    expect(propertyName('sv', 'kalla')).toBe('Källa');
  });

  test('the pages say utgåva, informationsmängd, värdemängd, fastställd, på påseende, upphävd — never release', () => {
    const swedish = Object.values(TEXTS).map(([sv]) => sv as string);
    expect(swedish.filter((t) => /\brelease/i.test(t))).toEqual([]);
    expect(tr('sv', 'releases')).toBe('Utgåvor');
    expect(word('sv', 'paseende')).toBe('på påseende');
    expect(word('sv', 'faststalld')).toBe('fastställd');
    expect(word('sv', 'upphavd')).toBe('upphävd');
  });
});
