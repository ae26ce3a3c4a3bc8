import path from 'node:path';
import { Rf2Staging, StagedMember, acceptabilityOf, addMemberRow } from '../../src/store/snomed-store';
import { ID } from './snomed-fixture';
import { removeTempStores, tempDir } from '../helpers/temp-store';

const { isA: IS_A, us: US, gb: GB, preferred: PREFERRED, acceptable: ACCEPTABLE, synonym: SYNONYM } = ID;
const INFERRED = '900000000000011006';
/** 18 digits: more than a JavaScript number holds exactly */
const LONG_CONCEPT = '999999999999999018';
const LONG_DESCRIPTION = '999999999999999119';

afterAll(removeTempStores);

function staging(): Rf2Staging {
  return new Rf2Staging(path.join(tempDir('kodverk-staging-test-'), 'staging.db'));
}

function assemble(st: Rf2Staging) {
  st.index();
  return [...st.assembled(IS_A, INFERRED, 2)];
}

describe('RF2 staging: which row of a component wins', () => {
  it('a language-refset member is what its latest row says, in the place where it first appeared', () => {
    const members: StagedMember[] = [];
    addMemberRow(members, { id: 'a', effective: '20240101', active: 1, refset: US, acceptability: PREFERRED, seq: 5 });
    addMemberRow(members, { id: 'b', effective: '20240101', active: 1, refset: GB, acceptability: PREFERRED, seq: 6 });
    addMemberRow(members, { id: 'a', effective: '20250101', active: 1, refset: US, acceptability: ACCEPTABLE, seq: 9 });
    addMemberRow(members, { id: 'b', effective: '20240101', active: 0, refset: GB, acceptability: PREFERRED, seq: 10 });
    expect(members).toEqual([
      { id: 'a', effective: '20250101', active: 1, refset: US, acceptability: ACCEPTABLE, seq: 5 },
      // of two rows of one effectiveTime the first stands
      { id: 'b', effective: '20240101', active: 1, refset: GB, acceptability: PREFERRED, seq: 6 },
    ]);
    // rows met out of file order still give the first row's place and the latest row's content
    const reversed: StagedMember[] = [];
    addMemberRow(reversed, { id: 'a', effective: '20250101', active: 0, refset: US, acceptability: PREFERRED, seq: 9 });
    addMemberRow(reversed, { id: 'a', effective: '20240101', active: 1, refset: US, acceptability: PREFERRED, seq: 5 });
    expect(reversed).toEqual([{ id: 'a', effective: '20250101', active: 0, refset: US, acceptability: PREFERRED, seq: 5 }]);
  });

  it('only active members count, and of two active members of one refset the later in file order wins', () => {
    const later = { id: 'x', effective: '20240101', active: 1, refset: US, acceptability: ACCEPTABLE, seq: 8 };
    const earlier = { id: 'y', effective: '20240101', active: 1, refset: US, acceptability: PREFERRED, seq: 3 };
    const retired = { id: 'z', effective: '20250101', active: 0, refset: GB, acceptability: PREFERRED, seq: 4 };
    expect(acceptabilityOf([later, earlier, retired])).toEqual({ [US]: ACCEPTABLE });
    expect(acceptabilityOf([])).toEqual({});
  });

  it('assembles concepts with descriptions, acceptabilities and parents as the latest rows say', () => {
    const CORE = '900000000000207008';
    const SWEDISH = '45991000052106';
    const st = staging();
    st.load(() => {
      st.concept('138875005', '20020131', 1, '900000000000207008', '900000000000074008');
      st.concept(LONG_CONCEPT, '20240101', 1, '45991000052106', '900000000000074008');
      st.concept(LONG_CONCEPT, '20250101', 0, '45991000052106', '900000000000073002');
      st.description('1000001', '20240101', 1, CORE, LONG_CONCEPT, 'en', SYNONYM, 'first term');
      st.description(LONG_DESCRIPTION, '20240101', 1, SWEDISH, LONG_CONCEPT, 'sv', SYNONYM, 'svensk term');
      st.description('1000002', '20240101', 1, CORE, '138875005', 'en', SYNONYM, 'root');
      // re-released with a later date (and moved to another module): its content wins, its place stays
      st.description('1000001', '20250101', 0, SWEDISH, LONG_CONCEPT, 'en', SYNONYM, 'first term, corrected');
      st.description('1000002', '20230101', 1, SWEDISH, '138875005', 'en', SYNONYM, 'older root');
      st.language('11111111-1111-1111-1111-111111111111', '20240101', 1, US, '1000001', PREFERRED);
      st.language('22222222-2222-2222-2222-222222222222', '20240101', 1, '46011000052107', LONG_DESCRIPTION, PREFERRED);
      st.language('33333333-3333-3333-3333-333333333333', '20240101', 1, US, '1000002', PREFERRED);
      st.language('11111111-1111-1111-1111-111111111111', '20250101', 1, US, '1000001', ACCEPTABLE);
      st.language('33333333-3333-3333-3333-333333333333', '20250101', 0, US, '1000002', PREFERRED);
      st.relationship('100000028', '20240101', 1, LONG_CONCEPT, '138875005', null, 0, IS_A, INFERRED);
      st.relationship('100001029', '20240101', 1, '138875005', LONG_CONCEPT, null, 0, IS_A, '900000000000010007');
    });
    const assembled = assemble(st);
    expect(assembled.map((a) => a.concept.id)).toEqual(['138875005', LONG_CONCEPT]);
    const [root, long] = assembled;
    expect(root.descriptions).toEqual([{ id: '1000002', effective: '20240101', module: CORE, active: true, lang: 'en', type: SYNONYM, term: 'root', acc: {} }]);
    expect(root.parents).toEqual([]);
    expect(long.concept).toMatchObject({ id: LONG_CONCEPT, effective: '20250101', active: 0, status: '900000000000073002' });
    expect(long.descriptions).toEqual([
      { id: '1000001', effective: '20250101', module: SWEDISH, active: false, lang: 'en', type: SYNONYM, term: 'first term, corrected', acc: { [US]: ACCEPTABLE } },
      { id: LONG_DESCRIPTION, effective: '20240101', module: SWEDISH, active: true, lang: 'sv', type: SYNONYM, term: 'svensk term', acc: { '46011000052107': PREFERRED } },
    ]);
    // an inactive concept has no parents in the hierarchy
    expect(long.parents).toEqual([]);
    expect(st.counts).toEqual({ descriptions: 3, activeDescriptions: 2, activeLanguageMembers: 2 });
    st.close();
  });

  it('reads SCTIDs back exactly, relationships included', () => {
    const st = staging();
    st.load(() => {
      st.concept('138875005', '20020131', 1, '900000000000207008', '900000000000074008');
      st.concept(LONG_CONCEPT, '20240101', 1, '45991000052106', '900000000000074008');
      st.relationship('100000028', '20240101', 1, LONG_CONCEPT, '138875005', null, 0, IS_A, INFERRED);
      st.relationship('100002020', '20240101', 1, LONG_CONCEPT, LONG_CONCEPT, null, 1, '999999999999999217', INFERRED);
    });
    const [, long] = assemble(st);
    expect(long.parents).toEqual(['138875005']);
    expect([...st.concepts()].map((c) => c.id)).toEqual(['138875005', LONG_CONCEPT]);
    expect([...st.attributeRelationships(IS_A, INFERRED)]).toEqual([{ source: LONG_CONCEPT, dest: LONG_CONCEPT, value: null, grp: 1, type: '999999999999999217' }]);
    st.close();
  });
});
