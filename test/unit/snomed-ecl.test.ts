import path from 'node:path';
import { ResourceStore } from '../../src/store/resource-store';
import { SnomedStore } from '../../src/store/snomed-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { parseEcl, EclSyntaxError } from '../../src/terminology/snomed/ecl-parser';
import { EclEvaluator, EclEvaluationError } from '../../src/terminology/snomed/ecl-evaluator';
import { parseExpression } from '../../src/terminology/snomed/expression';
import { CARE_MEMBERS, ID, INACTIVE_TERM, writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

describe('ECL parser', () => {
  it('parses operators, memberOf, wildcard, terms and long syntax', () => {
    expect(parseEcl('<< 10200004 |Liver structure|')).toEqual({ kind: 'sub', op: '<<', memberOf: false, focus: { kind: 'concept', id: '10200004', term: 'Liver structure' }, filters: [] });
    for (const [text, op] of [['<', '<'], ['<!', '<!'], ['<<!', '<<!'], ['>', '>'], ['>>', '>>'], ['>!', '>!'], ['>>!', '>>!'], ['descendantOrSelfOf', '<<'], ['parentOf', '>!']]) {
      expect(parseEcl(`${text} 404684003`)).toMatchObject({ kind: 'sub', op, focus: { id: '404684003' } });
    }
    expect(parseEcl('^ 900000000000526001')).toMatchObject({ memberOf: true, focus: { id: '900000000000526001' } });
    expect(parseEcl('*')).toMatchObject({ focus: { kind: 'wildcard' } });
    expect(parseEcl('/* a comment */ 404684003')).toMatchObject({ focus: { id: '404684003' } });
  });

  it('keeps AND, OR and MINUS apart as the specification requires', () => {
    expect(parseEcl('<< 1000005 AND << 1000004 and << 1000006')).toMatchObject({ kind: 'and', operands: [{}, {}, {}] });
    expect(parseEcl('<< 1000005 , << 1000004')).toMatchObject({ kind: 'and' });
    expect(parseEcl('(<< 1000005 OR << 1000004) AND << 1000006')).toMatchObject({ kind: 'and', operands: [{ focus: { kind: 'or' } }, {}] });
    expect(parseEcl('* MINUS << 1000005')).toMatchObject({ kind: 'minus', left: { focus: { kind: 'wildcard' } } });
    expect(() => parseEcl('<< 1000005 OR << 1000004 AND << 1000006')).toThrow(/^mixed AND\/OR operators must be enclosed in parentheses$/);
    expect(() => parseEcl('<< 1000005 MINUS << 1000004 MINUS << 1000006')).toThrow(/exactly two operands/);
    expect(() => parseEcl('< 1000005 : 1000001 = 1000002 OR 1000003 = 1000004 AND 1000001 = 1000006')).toThrow(/^mixed AND\/OR operators must be enclosed in parentheses$/);
  });

  it('parses refinements: cardinality, groups, reverse, concrete values, dotted attributes', () => {
    expect(parseEcl('< 64572001 : [1..1] { [0..*] 363698007 = << 10200004, R 116676008 != 23583003 }')).toMatchObject({
      kind: 'refined',
      refinement: {
        kind: 'group',
        cardinality: { min: 1, max: 1 },
        inner: { kind: 'and', items: [{ cardinality: { min: 0 }, reverse: false, comparison: { op: '=' } }, { reverse: true, comparison: { op: '!=' } }] },
      },
    });
    expect(parseEcl('< 27658006 : 411116001 >= #5.5')).toMatchObject({ refinement: { comparison: { type: 'numeric', op: '>=', value: 5.5 } } });
    expect(parseEcl('< 64572001 . 363698007')).toMatchObject({ kind: 'dotted', attributes: [{ focus: { id: '363698007' } }] });
    expect(() => parseEcl('< 64572001 : [2..1] 363698007 = *')).toThrow(/maximum below its minimum/);
    expect(parseEcl('< 27658006 : 1142139005 = ("tablet" "capsule")')).toMatchObject({ refinement: { comparison: { type: 'string', op: '=', values: ['tablet', 'capsule'] } } });
    expect(parseEcl('< 27658006 : 1142139005 != "tablet"')).toMatchObject({ refinement: { comparison: { type: 'string', op: '!=', values: ['tablet'] } } });
  });

  it('parses description and concept filters', () => {
    expect(parseEcl('<< 404684003 {{ term = "hjärt", language = sv, type = syn }} {{ C definitionStatus = primitive }}')).toMatchObject({
      filters: [
        { kind: 'description', items: [{ kind: 'term', terms: [{ type: 'match', text: 'hjärt' }] }, { kind: 'language', codes: ['sv'] }, { kind: 'type', concepts: { ids: ['900000000000013009'] } }] },
        { kind: 'concept', items: [{ kind: 'definitionStatus', concepts: { ids: ['900000000000074008'] } }] },
      ],
    });
  });

  it('parses the filter values the ECL grammar allows: constraints and sets of concepts, date sets, active != and *', () => {
    expect(parseEcl('<< 404684003 {{ C moduleId = << 900000000000445007 }}')).toMatchObject({
      filters: [{ kind: 'concept', items: [{ kind: 'module', op: '=', concepts: { constraint: { op: '<<', focus: { id: '900000000000445007' } } } }] }],
    });
    expect(parseEcl('<< 404684003 {{ C moduleId = (900000000000207008 |core| 45991000052106) }}')).toMatchObject({
      filters: [{ kind: 'concept', items: [{ kind: 'module', concepts: { ids: ['900000000000207008', '45991000052106'] } }] }],
    });
    expect(parseEcl('<< 404684003 {{ C definitionStatusId = (<< 900000000000074008) }}')).toMatchObject({
      filters: [{ kind: 'concept', items: [{ kind: 'definitionStatus', concepts: { constraint: { focus: { kind: 'sub' } } } }] }],
    });
    expect(parseEcl('<< 404684003 {{ D typeId = (900000000000013009 900000000000003001), moduleId != 900000000000207008 }}')).toMatchObject({
      filters: [{ kind: 'description', items: [{ kind: 'type', concepts: { ids: ['900000000000013009', '900000000000003001'] } }, { kind: 'module', op: '!=' }] }],
    });
    expect(parseEcl('<< 404684003 {{ D effectiveTime >= ("20200131" "20210731") }} {{ C effectiveTime < "20250101" }}')).toMatchObject({
      filters: [
        { kind: 'description', items: [{ kind: 'effectiveTime', time: { op: '>=', dates: [20200131, 20210731] } }] },
        { kind: 'concept', items: [{ kind: 'effectiveTime', time: { op: '<', dates: [20250101] } }] },
      ],
    });
    expect(() => parseEcl('<< 404684003 {{ C effectiveTime = "20251301" }}')).toThrow(/'20251301' is not a date/);
    expect(() => parseEcl('<< 404684003 {{ C effectiveTime = "20230229" }}')).toThrow(/'20230229' is not a date/);
    expect(parseEcl('<< 404684003 {{ C effectiveTime = "20240229" }}')).toMatchObject({ filters: [{ items: [{ time: { dates: [20240229] } }] }] });
    // a bracketed concept followed by a filter is a constraint, not a set of one
    expect(parseEcl('<< 404684003 {{ C moduleId = (900000000000207008) {{ C active = 1 }} }}')).toMatchObject({
      filters: [{ items: [{ kind: 'module', concepts: { constraint: { focus: { kind: 'sub' }, filters: [{ kind: 'concept' }] } } }] }],
    });
    expect(parseEcl('<< 404684003 {{ D dialectId = (900000000000508004) {{ C active = 1 }} }}')).toMatchObject({
      filters: [{ items: [{ kind: 'dialect', dialects: [{ refsets: { constraint: { filters: [{ kind: 'concept' }] } } }] }] }],
    });
    expect(parseEcl('<< 404684003 {{ C active != * }}')).toMatchObject({ filters: [{ items: [{ kind: 'active', value: 'none' }] }] });
    expect(parseEcl('< 27658006 : 1142139005 = ( /* either */ "tablet" "capsule")')).toMatchObject({ refinement: { comparison: { values: ['tablet', 'capsule'] } } });
    expect(parseEcl('<< 404684003 {{ D active != 1 }} {{ C active = * }}')).toMatchObject({
      filters: [{ kind: 'description', items: [{ kind: 'active', value: false }] }, { kind: 'concept', items: [{ kind: 'active', value: 'any' }] }],
    });
  });

  it('parses dialects with their acceptabilities: per dialect, for the whole set, by token or by concept', () => {
    expect(parseEcl('<< 404684003 {{ D dialect = (en-gb (prefer) en-us) (accept) }}')).toMatchObject({
      filters: [{ items: [{ kind: 'dialect', dialects: [{ refsets: { ids: ['900000000000508004'] }, acceptability: ['P'] }, { refsets: { ids: ['900000000000509007'] }, acceptability: ['A'] }] }] }],
    });
    expect(parseEcl('<< 404684003 {{ D dialectId = (900000000000509007 (900000000000548007 accept)) }}')).toMatchObject({
      filters: [{ items: [{ kind: 'dialect', dialects: [{ refsets: { ids: ['900000000000509007'] }, acceptability: ['P', 'A'] }] }] }],
    });
    expect(parseEcl('<< 404684003 {{ D dialectId = << 900000000000506000 (prefer) }}')).toMatchObject({
      filters: [{ items: [{ kind: 'dialect', dialects: [{ refsets: { constraint: { op: '<<' } }, acceptability: ['P'] }] }] }],
    });
    expect(parseEcl('<< 404684003 {{ D dialectId = (<< 900000000000506000) }}')).toMatchObject({
      filters: [{ items: [{ kind: 'dialect', dialects: [{ refsets: { constraint: { focus: { kind: 'sub', op: '<<' } } }, acceptability: [] }] }] }],
    });
    expect(() => parseEcl('<< 404684003 {{ D dialect = en-gb (900000000000207008) }}')).toThrow(/is not an acceptability/);
    expect(() => parseEcl('<< 404684003 {{ D dialect = en-gb (prefer) (accept) }}')).toThrow(/already has its acceptability/);
  });

  it('parses member filters, on the members of ^ only', () => {
    expect(parseEcl('^ 447562003 {{ M mapTarget = wild:"J45*", referencedComponentId = << 195967001 }}')).toMatchObject({
      filters: [{ kind: 'member', items: [{ kind: 'mapTarget', op: '=', terms: [{ type: 'wild', text: 'J45*' }] }, { kind: 'concept', field: 'referencedComponentId', op: '=' }] }],
    });
    expect(parseEcl('^ 900000000000526001 {{ M targetComponentId != 74400008 }}')).toMatchObject({ filters: [{ kind: 'member', items: [{ kind: 'concept', field: 'target', op: '!=' }] }] });
    expect(() => parseEcl('<< 404684003 {{ M mapTarget = "x" }}')).toThrow(/apply to the members of a reference set/);
    expect(() => parseEcl('^ 447562003 {{ M mapGroup = #1 }}')).toThrow(/'mapGroup' are not supported/);
    expect(parseEcl('^ 447562003 {{ M moduleId = (900000000000207008 45991000052106), effectiveTime >= "20200101", active = 1 }}')).toMatchObject({
      filters: [{ kind: 'member', items: [{ kind: 'module', op: '=', concepts: { ids: ['900000000000207008', '45991000052106'] } }, { kind: 'effectiveTime', time: { op: '>=', dates: [20200101] } }, { kind: 'active', value: true }] }],
    });
    expect(parseEcl('^ 447562003 {{ M moduleId != << 900000000000445007 }}')).toMatchObject({ filters: [{ kind: 'member', items: [{ kind: 'module', op: '!=', concepts: { constraint: { op: '<<' } } }] }] });
    // the keywords take any letter case (ECL 2.2), as in description and concept filters
    expect(parseEcl('^ 447562003 {{ M MODULEID = 900000000000207008, effectivetime = "20200101", Active = 1 }}')).toMatchObject({
      filters: [{ kind: 'member', items: [{ kind: 'module' }, { kind: 'effectiveTime' }, { kind: 'active' }] }],
    });
    // only active members are kept: a filter that asks for inactive ones is refused, with the reason
    for (const active of ['active = 0', 'active = false', 'active != 1', 'active = *']) {
      expect(() => parseEcl(`^ 447562003 {{ M ${active} }}`)).toThrow(/only the active members of a reference set are kept/);
    }
    expect(() => parseEcl('^ 447562003 {{ M effectiveTime > "20230229" }}')).toThrow(/date/);
    // an empty time value is ECL 2.2's "not yet published": equal or not, never before or after
    expect(parseEcl('<< 404684003 {{ C effectiveTime = "" }}')).toMatchObject({ filters: [{ kind: 'concept', items: [{ kind: 'effectiveTime', time: { op: '=', dates: [0] } }] }] });
    expect(() => parseEcl('<< 404684003 {{ D effectiveTime < "" }}')).toThrow(/has no order/);
  });

  it('parses member field selection: one field of concepts', () => {
    expect(parseEcl('^ [targetComponentId] 900000000000526001')).toMatchObject({ memberOf: true, memberField: 'target', focus: { id: '900000000000526001' } });
    expect(parseEcl('^[valueId] 900000000000489007')).toMatchObject({ memberField: 'target' });
    expect(parseEcl('^ [referencedComponentId] 900000000000526001')).not.toHaveProperty('memberField');
    expect(() => parseEcl('^ [*] 900000000000526001')).toThrow(/select one field/);
    expect(() => parseEcl('^ [referencedComponentId, targetComponentId] 900000000000526001')).toThrow(/select one field/);
    expect(() => parseEcl('^ [mapTarget] 447562003')).toThrow(/not a field of concepts/);
    expect(() => parseEcl('^ [,targetComponentId] 900000000000526001')).toThrow(/expected a word/);
  });

  it('parses history supplements', () => {
    expect(parseEcl('<< 404684003 {{ +HISTORY-MIN }}')).toMatchObject({ history: { profile: 'MIN' } });
    expect(parseEcl('<< 404684003 {{ +history_mod }}')).toMatchObject({ history: { profile: 'MOD' } });
    expect(parseEcl('<< 404684003 {{ + HISTORY }}')).toMatchObject({ history: { profile: 'MAX' } });
    expect(parseEcl('<< 404684003 {{ +HISTORY (900000000000526001) }}')).toMatchObject({ history: { refsets: { focus: { id: '900000000000526001' } } } });
    expect(() => parseEcl('<< 404684003 {{ +HISTORY-ALL }}')).toThrow(/not a history profile/);
    expect(() => parseEcl('<< 404684003 {{ +HISTORY }} {{ +HISTORY }}')).toThrow(/only one history supplement/);
  });

  it('parses the description active and id filters', () => {
    expect(parseEcl('<< 404684003 {{ D active = 0, id = (123456011 223456012) }}')).toMatchObject({
      filters: [{ kind: 'description', items: [{ kind: 'active', value: false }, { kind: 'id', op: '=', ids: ['123456011', '223456012'] }] }],
    });
    expect(() => parseEcl('<< 404684003 {{ D id = abc }}')).toThrow(/expected a description id/);
  });

  it('counts filters as nesting: a chain of filters in filter values stops at the depth limit', () => {
    const chain = (n: number) => '< 64572001 ' + '{{ C moduleId = << 138875005 '.repeat(n) + '}} '.repeat(n);
    expect(parseEcl(chain(20))).toMatchObject({ kind: 'sub' });
    expect(() => parseEcl(chain(150))).toThrow(/nested deeper than 100/);
  });

  it('says where the syntax is wrong', () => {
    expect(() => parseEcl('<<')).toThrow(new EclSyntaxError("Syntax error at character 3: expected a concept id, '*' or '(' but the expression ended"));
    expect(() => parseEcl('< 12')).toThrow(/'12' is not an SCTID/);
    expect(() => parseEcl('(<< 1000005')).toThrow(/expected '\)'/);
    expect(() => parseEcl('')).toThrow(/empty/);
  });
});

describe('ECL evaluation (synthetic release)', () => {
  let ev: EclEvaluator;
  let codes: (pks: Iterable<number>) => string[];
  let all: number[];
  let descriptionIdOf: (code: string, term: string) => string;
  let addMapMember: (refset: string, code: string, mapTarget: string) => void;
  let addOldMember: (refset: string, code: string) => void;
  let addTextDefinition: (code: string, text: string) => void;
  let addConcreteValue: (code: string, type: string, value: string) => void;

  beforeAll(async () => {
    const dir = tempDir('kodverk-ecl-');
    const db = openTempDatabase(path.join(dir, 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, writeFixtureRelease(), {});
    const sct = new SnomedStore(db, store.byUrl('CodeSystem', 'http://snomed.info/sct')[0].pk);
    ev = new EclEvaluator(sct);
    codes = (pks) => [...sct.codesOf(pks).values()].sort();
    all = sct.allPks();
    addMapMember = (refset, code, mapTarget) => {
      db.prepare('INSERT INTO sct_refset_member (refset_pk, referenced_pk, referenced_id, target_pk, target, module_pk, effective_time) VALUES (?, ?, ?, NULL, ?, ?, 20250930)').run(
        sct.pkOf(refset),
        sct.pkOf(code),
        code,
        mapTarget,
        sct.pkOf(ID.swedish),
      );
    };
    // a member as imported before migration 012: no module, no effective time
    addOldMember = (refset, code) => {
      db.prepare('INSERT INTO sct_refset_member (refset_pk, referenced_pk, referenced_id) VALUES (?, ?, ?)').run(sct.pkOf(refset), sct.pkOf(code), code);
    };
    addConcreteValue = (code, type, value) => {
      db.prepare('INSERT INTO sct_relationship (source_pk, type_pk, dest_pk, value, grp) VALUES (?, ?, NULL, ?, 0)').run(sct.pkOf(code), sct.pkOf(type), value);
    };
    addTextDefinition = (code, text) => {
      db.prepare("INSERT INTO concept_designation (concept_pk, language, use_system, use_code, use_display, value, inactive, extra) VALUES (?, 'en', 'http://snomed.info/sct', '900000000000550004', 'Definition', ?, 0, ?)").run(
        sct.pkOf(code),
        text,
        JSON.stringify({ id: '9999991011', acc: {}, t: 20250930 }),
      );
    };
    descriptionIdOf = (code, term) => {
      const pk = all.find((p) => sct.codesOf([p]).get(p) === code)!;
      const d = sct.descriptionsOf([pk]).get(pk)!.find((x) => x.value === term)!;
      return JSON.parse(d.extra!).id;
    };
  });

  /** Evaluated by listing and by testing every concept one at a time: both must agree. */
  function members(ecl: string): string[] {
    const listed = codes(ev.members(parseEcl(ecl)));
    const node = parseEcl(ecl);
    const tested = codes(all.filter((p) => ev.has(node, p)));
    expect(tested).toEqual(listed);
    return listed;
  }

  const sorted = (...c: string[]) => [...c].sort();

  it('hierarchy operators', () => {
    expect(members(`< ${ID.disease}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis, ID.liverLobeDisorder, ID.handDisorder));
    expect(members(`<< ${ID.hepatitis}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    expect(members(`<! ${ID.finding}`)).toEqual(sorted(ID.disease, ID.handDisorder));
    expect(members(`<<! ${ID.hepatitis}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    expect(members(`> ${ID.chronicHepatitis}`)).toEqual(sorted(ID.hepatitis, ID.disease, ID.finding, ID.root));
    expect(members(`>! ${ID.handDisorder}`)).toEqual(sorted(ID.disease, ID.finding));
    expect(members(`>>! ${ID.liverPart}`)).toEqual(sorted(ID.liverPart, ID.liver));
  });

  it('memberOf, wildcard and set operators', () => {
    expect(members(`^ ${ID.careRefset}`)).toEqual(sorted(...CARE_MEMBERS));
    expect(members(`^ ${ID.liver}`)).toEqual([]);
    expect(members(`^ ${ID.replacedBy}`)).toEqual([ID.retired]);
    expect(members('*')).not.toContain(ID.retired);
    expect(members(`< ${ID.disease} MINUS << ${ID.hepatitis}`)).toEqual(sorted(ID.liverLobeDisorder, ID.handDisorder));
    expect(members(`(< ${ID.disease} OR << ${ID.liver}) AND < ${ID.finding}`)).toEqual(members(`< ${ID.disease}`));
    expect(members(`<< ${ID.disease} AND ^ ${ID.careRefset}`)).toEqual(sorted(...CARE_MEMBERS));
  });

  it('refinements with cardinality, groups, reverse attributes and dotted attributes', () => {
    expect(members(`< ${ID.disease} : ${ID.findingSite} = << ${ID.liver}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis, ID.liverLobeDisorder));
    // the liver lobe disorder has two liver finding sites (two groups): not exactly one
    expect(members(`< ${ID.disease} : [1..1] ${ID.findingSite} = << ${ID.liver}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    expect(members(`< ${ID.disease} : [0..0] ${ID.findingSite} = << ${ID.liver}`)).toEqual([ID.handDisorder]);
    expect(members(`< ${ID.disease} : { ${ID.findingSite} = << ${ID.liver}, ${ID.morphology} = ${ID.inflammation} }`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    expect(members(`< ${ID.disease} : [2..*] { ${ID.findingSite} = << ${ID.liver} }`)).toEqual([ID.liverLobeDisorder]);
    // ungrouped attributes belong to no role group
    expect(members(`< ${ID.disease} : { ${ID.findingSite} = ${ID.hand} }`)).toEqual([]);
    expect(members(`< ${ID.disease} : ${ID.findingSite} = *`)).toHaveLength(4);
    expect(members(`< ${ID.body} : R ${ID.findingSite} = << ${ID.hepatitis}`)).toEqual([ID.liver]);
    expect(members(`< ${ID.disease} . ${ID.findingSite}`)).toEqual(sorted(ID.liver, ID.liverPart, ID.hand));
    expect(members(`< ${ID.disease} : ${ID.findingSite} != << ${ID.liver}`)).toEqual([ID.handDisorder]);
  });

  it('description and concept filters', () => {
    expect(members(`< ${ID.disease} {{ term = "hepat" }}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    expect(members(`< ${ID.disease} {{ term = "hepatit", language = sv }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ term = wild:"*lobe*" }}`)).toEqual([ID.liverLobeDisorder]);
    expect(members(`< ${ID.disease} {{ C definitionStatus = defined }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D dialect = sv (prefer) }}`)).toEqual([ID.hepatitis]);
  });

  it('history supplements add the inactive concepts whose historical associations point into the result', () => {
    expect(members(`<< ${ID.hepatitis}`)).not.toContain(ID.retired);
    // REPLACED BY is in the MOD and MAX profiles and plain HISTORY, not in MIN (SAME AS only)
    for (const h of ['+HISTORY', '+HISTORY-MAX', '+HISTORY-MOD', `+HISTORY (${ID.replacedBy})`]) {
      expect(members(`<< ${ID.hepatitis} {{ ${h} }}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis, ID.retired));
    }
    expect(members(`<< ${ID.hepatitis} {{ +HISTORY-MIN }}`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    // only associations whose target is in the set count
    expect(members(`<< ${ID.liver} {{ +HISTORY }}`)).not.toContain(ID.retired);
    expect(members(`(<< ${ID.hepatitis} {{ +HISTORY }}) MINUS << ${ID.hepatitis}`)).toEqual([ID.retired]);
  });

  it('member filters select the members of ^ by their fields: the referenced concept, the association target, the map target', () => {
    expect(members(`^ ${ID.replacedBy} {{ M targetComponentId = << ${ID.disease} }}`)).toEqual([ID.retired]);
    expect(members(`^ ${ID.replacedBy} {{ M targetComponentId = << ${ID.liver} }}`)).toEqual([]);
    expect(members(`^ ${ID.replacedBy} {{ M targetComponentId != ${ID.liver}, referencedComponentId = ${ID.retired} }}`)).toEqual([ID.retired]);
    // a simple map member (the store keeps its map target as text)
    addMapMember(ID.careRefset, ID.hepatitis, 'K75.9');
    expect(members(`^ ${ID.careRefset}`)).toEqual(sorted(...CARE_MEMBERS));
    expect(members(`^ ${ID.careRefset} {{ M mapTarget = "K75" }}`)).toEqual([ID.hepatitis]);
    expect(members(`^ ${ID.careRefset} {{ M mapTarget = wild:"K7*.9" }}`)).toEqual([ID.hepatitis]);
    expect(members(`^ ${ID.careRefset} {{ M mapTarget = "F32" }}`)).toEqual([]);
  });

  it('member filters on a member\'s module, effective time and state', () => {
    // care members: Swedish module, hand disorder from 20240131, hepatitis from 20250930; the REPLACED BY member: core module
    expect(members(`^ ${ID.careRefset} {{ M moduleId = ${ID.swedish} }}`)).toEqual(sorted(...CARE_MEMBERS));
    expect(members(`^ ${ID.careRefset} {{ M moduleId != ${ID.swedish} }}`)).toEqual([]);
    expect(members(`^ ${ID.replacedBy} {{ M moduleId = ${ID.swedish} }}`)).toEqual([]);
    expect(members(`^ ${ID.replacedBy} {{ M moduleId = (${ID.core} ${ID.swedish}) }}`)).toEqual([ID.retired]);
    expect(members(`^ ${ID.careRefset} {{ M moduleId = << ${ID.root} }}`)).toEqual(sorted(...CARE_MEMBERS));
    expect(members(`^ ${ID.careRefset} {{ M effectiveTime >= "20250101" }}`)).toEqual([ID.hepatitis]);
    expect(members(`^ ${ID.careRefset} {{ M effectiveTime = ("20240131" "20200101") }}`)).toEqual([ID.handDisorder]);
    expect(members(`^ ${ID.careRefset} {{ M effectiveTime != "20240131", active = true }}`)).toEqual([ID.hepatitis]);
    expect(members(`^ ${ID.careRefset} {{ M active = 1 }}`)).toEqual(sorted(...CARE_MEMBERS));
    // "" is no effective time (not yet published): every imported member has one
    expect(members(`^ ${ID.careRefset} {{ M effectiveTime = "" }}`)).toEqual([]);
    expect(members(`^ ${ID.careRefset} {{ M effectiveTime != "" }}`)).toEqual(sorted(...CARE_MEMBERS));
    expect(members(`^ ${ID.careRefset} {{ M effectiveTime = ("" "20240131") }}`)).toEqual([ID.handDisorder]);
    expect(members(`^ ${ID.careRefset} {{ M active != * }}`)).toEqual([]);
    // two member filters: both hold
    expect(members(`^ ${ID.careRefset} {{ M moduleId = ${ID.swedish} }} {{ M effectiveTime < "20250101" }}`)).toEqual([ID.handDisorder]);
  });

  it('a member imported before members kept their module and effective time asks for a new import', () => {
    addOldMember(ID.refsetParent, ID.liver);
    expect(members(`^ ${ID.refsetParent}`)).toEqual([ID.liver]);
    expect(members(`^ ${ID.refsetParent} {{ M referencedComponentId = ${ID.liver} }}`)).toEqual([ID.liver]);
    expect(() => members(`^ ${ID.refsetParent} {{ M moduleId = ${ID.swedish} }}`)).toThrow(/import it again/);
    expect(() => members(`^ ${ID.refsetParent} {{ M effectiveTime > "20200101" }}`)).toThrow(/import it again/);
  });

  it('member field selection yields the members\' targets instead of their referenced concepts', () => {
    expect(members(`^ [targetComponentId] ${ID.replacedBy}`)).toEqual([ID.hepatitis]);
    expect(members(`^ [targetComponentId] ${ID.replacedBy} {{ M referencedComponentId = ${ID.retired} }}`)).toEqual([ID.hepatitis]);
    expect(members(`^ [targetComponentId] ${ID.replacedBy} {{ M referencedComponentId = ${ID.liver} }}`)).toEqual([]);
    expect(members(`<< (^ [targetComponentId] ${ID.replacedBy})`)).toEqual(sorted(ID.hepatitis, ID.chronicHepatitis));
    expect(members(`^ [referencedComponentId] ${ID.careRefset}`)).toEqual(sorted(...CARE_MEMBERS));
    expect(members(`^ [targetComponentId] ${ID.careRefset}`)).toEqual([]);
  });

  it('description module and effective-time filters read each description\'s own', () => {
    // the Swedish descriptions are in the Swedish module; the inactive "NOS" description is from 2020
    expect(members(`< ${ID.disease} {{ D moduleId = ${ID.swedish} }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D moduleId = << ${ID.swedish} }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D moduleId = (${ID.core} ${ID.swedish}) }}`)).toHaveLength(4);
    expect(members(`< ${ID.disease} {{ D moduleId != ${ID.core} }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D moduleId = ${ID.swedish}, term = "hepatit" }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D moduleId = ${ID.swedish}, language = en }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ D effectiveTime < "20250101" }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D effectiveTime = ("20200131" "20190731") }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D effectiveTime != "20250930" }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D effectiveTime >= "20250930", active = 0 }}`)).toEqual([]);
  });

  it('concept filters take constraints and sets; active takes != and *', () => {
    expect(members(`< ${ID.disease} {{ C moduleId = < ${ID.root} }}`)).toHaveLength(4);
    expect(members(`< ${ID.disease} {{ C moduleId = (${ID.swedish} ${ID.liver}) }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ C definitionStatusId = (${ID.defined}) }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ C effectiveTime = ("20250930" "20200131") }}`)).toHaveLength(4);
    expect(members(`< ${ID.disease} {{ C active != 1 }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ C active = * }}`)).toHaveLength(4);
    expect(members(`< ${ID.disease} {{ C active != * }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ D active != 1 }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D typeId = (${ID.fsn} ${ID.synonym}) }}`)).toHaveLength(4);
    // a module the release does not hold is an error found before evaluation, as any concept the constraint names
    expect(() => ev.check(parseEcl(`< ${ID.disease} {{ C moduleId = 999999999999 }}`))).toThrow(EclEvaluationError);
    expect(() => ev.check(parseEcl(`< ${ID.disease} {{ D moduleId != (${ID.core} 999999999999) }}`))).toThrow(EclEvaluationError);
  });

  it('concrete string values compare exactly, with one string or any of a set', () => {
    addConcreteValue(ID.handDisorder, ID.morphology, '"left hand"');
    expect(members(`< ${ID.disease} : ${ID.morphology} = "left hand"`)).toEqual([ID.handDisorder]);
    expect(members(`< ${ID.disease} : ${ID.morphology} = "left"`)).toEqual([]);
    expect(members(`< ${ID.disease} : ${ID.morphology} = ("right hand" "left hand")`)).toEqual([ID.handDisorder]);
    expect(members(`< ${ID.disease} : ${ID.morphology} != ("right hand" "left hand")`)).toEqual([]);
    expect(members(`< ${ID.disease} : ${ID.morphology} != ("right hand")`)).toEqual([ID.handDisorder]);
  });

  it('description filters pass over text definitions unless they ask for a type', () => {
    addTextDefinition(ID.handDisorder, 'A zygomorphic disorder of the hand');
    expect(members(`< ${ID.disease} {{ term = "zygomorphic" }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ term = "zygomorphic", type = def }}`)).toEqual([ID.handDisorder]);
    expect(members(`< ${ID.disease} {{ term = "zygomorphic", typeId = (${ID.fsn} 900000000000550004) }}`)).toEqual([ID.handDisorder]);
    expect(members(`< ${ID.disease} {{ term = "zygomorphic", type = syn }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ D id = 9999991011 }}`)).toEqual([ID.handDisorder]);
  });

  it('dialect filters: acceptability per dialect or for the whole set', () => {
    expect(members(`< ${ID.disease} {{ D dialect = (en-gb (prefer) sv) }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D dialect = (en-us sv) (prefer) }}`)).toHaveLength(4);
    expect(members(`< ${ID.disease} {{ D dialectId = (${ID.sv} (prefer)) }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D dialectId = ${ID.us} (accept), term = "NOS" }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ D dialectId != ${ID.us} }}`)).toEqual([ID.hepatitis]);
  });

  it('description active and id filters: the same description must pass every item of one filter', () => {
    expect(members(`< ${ID.disease} {{ term = "NOS", active = false }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ term = "NOS", active = true }}`)).toEqual([]);
    expect(members(`< ${ID.disease} {{ D active = 0 }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D active = true }}`)).toHaveLength(4);
    const nos = descriptionIdOf(ID.hepatitis, INACTIVE_TERM);
    expect(members(`< ${ID.disease} {{ D id = ${nos} }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D id = (${nos} 123456789) }}`)).toEqual([ID.hepatitis]);
    expect(members(`< ${ID.disease} {{ D id != ${nos} }}`)).toHaveLength(4);
  });

  it('post-coordinated expressions: below their focus, never equal to it; attributes are the focus concept\'s plus their own', () => {
    const e = parseExpression(`${ID.disease} : ${ID.findingSite} = ${ID.liverPart}`);
    const has = (ecl: string) => ev.hasExpression(parseEcl(ecl), e);
    expect(has(`<< ${ID.disease}`)).toBe(true);
    expect(has(`< ${ID.disease}`)).toBe(true);
    expect(has(ID.disease)).toBe(false);
    expect(has(`<! ${ID.disease}`)).toBe(false);
    expect(has(`> ${ID.disease}`)).toBe(false);
    expect(has(`^ ${ID.careRefset}`)).toBe(false);
    expect(has('*')).toBe(true);
    expect(has(`< ${ID.disease} : ${ID.findingSite} = << ${ID.liver}`)).toBe(true);
    expect(has(`< ${ID.disease} : { ${ID.findingSite} = << ${ID.liver} }`)).toBe(false);
    expect(ev.hasExpression(parseEcl(`< ${ID.disease} : { ${ID.findingSite} = << ${ID.liver} }`), parseExpression(`${ID.disease} : { ${ID.findingSite} = ${ID.liverPart} }`))).toBe(true);
    expect(ev.hasExpression(parseEcl(`< ${ID.disease} : ${ID.morphology} = ${ID.inflammation}`), parseExpression(`${ID.hepatitis} : ${ID.findingSite} = ${ID.liverPart}`))).toBe(true);
  });

  it('refuses unknown and malformed concept ids', () => {
    expect(() => ev.check(parseEcl('< 99999999'))).toThrow(new EclEvaluationError('99999999 is not a valid Snomed CT concept id'));
    expect(() => ev.check(parseEcl('< 1234567000'))).toThrow(/Unknown Snomed CT concept 1234567000|not a valid/);
  });
});

describe('ECL description module and effective-time filters on a release imported before descriptions kept them', () => {
  it('asks for a new import instead of answering wrongly', async () => {
    const dir = tempDir('kodverk-ecl-old-');
    const db = openTempDatabase(path.join(dir, 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, writeFixtureRelease(), {});
    // what an earlier version stored: the description id and acceptabilities only
    db.prepare("UPDATE concept_designation SET extra = json_remove(extra, '$.t', '$.m') WHERE extra IS NOT NULL").run();
    const ev = new EclEvaluator(new SnomedStore(db, store.byUrl('CodeSystem', 'http://snomed.info/sct')[0].pk));
    expect(() => ev.check(parseEcl(`< ${ID.disease} {{ D effectiveTime > "20200101" }}`))).toThrow(/import it again/);
    expect(() => ev.check(parseEcl(`< ${ID.disease} {{ D moduleId = ${ID.core} }}`))).toThrow(/import it again/);
    // the other filters still work
    expect(ev.members(parseEcl(`< ${ID.disease} {{ D term = "hepat" }} {{ C moduleId = ${ID.core} }}`)).size).toBe(2);
    db.close();
  });
});
