import fs from 'node:fs';
import path from 'node:path';
import { isSctid } from '../../src/terminology/snomed/sctid';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { openTempDatabase, tempDir } from '../helpers/temp-store';

/**
 * A tiny synthetic RF2 Snapshot release written for the tests (nothing from a real release but a
 * few well-known concept ids): a hierarchy with multiple parents, role groups, English and Swedish
 * descriptions with language refsets (and a term the GB English refset prefers), an inactive
 * description (and its inactive language refset member), a simple refset and a REPLACED BY
 * association.
 */

/** An SCTID from an item number and partition ('00' concept, '01' description, '02' relationship). */
export function sctid(item: number, partition: '00' | '01' | '02'): string {
  for (let d = 0; d <= 9; d++) {
    const id = `${item}${partition}${d}`;
    if (isSctid(id)) return id;
  }
  throw new Error('no check digit');
}

export const ID = {
  root: '138875005',
  isA: '116680003',
  attribute: '410662002',
  findingSite: '363698007',
  morphology: '116676008',
  finding: '404684003',
  disease: '64572001',
  body: '123037004',
  liver: '10200004',
  liverPart: sctid(9000101, '00'),
  hand: '85562004',
  abnormal: '49755003',
  inflammation: '23583003',
  hepatitis: sctid(9000102, '00'),
  chronicHepatitis: sctid(9000103, '00'),
  liverLobeDisorder: sctid(9000104, '00'),
  handDisorder: sctid(9000105, '00'),
  retired: sctid(9000106, '00'),
  refsetParent: '900000000000455006',
  careRefset: sctid(9000107, '00'),
  replacedBy: '900000000000526001',
  fsn: '900000000000003001',
  synonym: '900000000000013009',
  us: '900000000000509007',
  gb: '900000000000508004',
  sv: '46011000052107',
  preferred: '900000000000548007',
  acceptable: '900000000000549004',
  core: '900000000000207008',
  swedish: '45991000052106',
  primitive: '900000000000074008',
  defined: '900000000000073002',
};

const CONCEPT_HEADER = 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId';
const DESCRIPTION_HEADER = 'id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId';
const RELATIONSHIP_HEADER = 'id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId';
const LANGUAGE_HEADER = 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId';
const SIMPLE_HEADER = 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId';
const ASSOCIATION_HEADER = 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\ttargetComponentId';

/** [id, english preferred term, swedish preferred term?, active, parents, defined] */
const CONCEPTS: [string, string, string | undefined, boolean, string[], boolean][] = [
  [ID.root, 'SNOMED CT Concept', undefined, true, [], false],
  [ID.attribute, 'Concept model attribute', undefined, true, [ID.root], false],
  [ID.isA, 'Is a', undefined, true, [ID.attribute], false],
  [ID.findingSite, 'Finding site', 'Fyndlokal', true, [ID.attribute], false],
  [ID.morphology, 'Associated morphology', undefined, true, [ID.attribute], false],
  [ID.finding, 'Clinical finding', 'Kliniskt fynd', true, [ID.root], false],
  [ID.disease, 'Disease', 'Sjukdom', true, [ID.finding], false],
  [ID.body, 'Body structure', undefined, true, [ID.root], false],
  [ID.liver, 'Liver structure', 'Leverstruktur', true, [ID.body], false],
  [ID.liverPart, 'Liver part', undefined, true, [ID.liver], false],
  [ID.hand, 'Hand structure', 'Handstruktur', true, [ID.body], false],
  [ID.abnormal, 'Morphologically abnormal structure', undefined, true, [ID.body], false],
  [ID.inflammation, 'Inflammation', undefined, true, [ID.abnormal], false],
  [ID.hepatitis, 'Hepatitis', 'Hepatit', true, [ID.disease], true],
  [ID.chronicHepatitis, 'Chronic hepatitis', undefined, true, [ID.hepatitis], false],
  [ID.liverLobeDisorder, 'Liver lobe disorder', undefined, true, [ID.disease], false],
  [ID.handDisorder, 'Hand disorder', undefined, true, [ID.disease, ID.finding], false],
  [ID.retired, 'Old hepatitis', undefined, false, [], false],
  [ID.refsetParent, 'Reference set', undefined, true, [ID.root], false],
  [ID.careRefset, 'Primary care refset', 'Primärvårdsurval', true, [ID.refsetParent], false],
  [ID.replacedBy, 'REPLACED BY association reference set', undefined, true, [ID.refsetParent], false],
  [ID.core, 'SNOMED CT core', undefined, true, [ID.root], false],
  [ID.swedish, 'Swedish module', undefined, true, [ID.root], false],
];

/** [source, type, destination, group] */
export const ATTRIBUTES: [string, string, string, number][] = [
  [ID.hepatitis, ID.findingSite, ID.liver, 1],
  [ID.hepatitis, ID.morphology, ID.inflammation, 1],
  [ID.chronicHepatitis, ID.findingSite, ID.liver, 1],
  [ID.chronicHepatitis, ID.morphology, ID.inflammation, 1],
  [ID.liverLobeDisorder, ID.findingSite, ID.liverPart, 1],
  [ID.liverLobeDisorder, ID.findingSite, ID.liver, 2],
  [ID.handDisorder, ID.findingSite, ID.hand, 0],
];

/** A description of hepatitis that is no longer current (inactive, as is its language refset member). */
export const INACTIVE_TERM = 'Hepatitis NOS';

/** The term the GB English language refset prefers for the hand (the US one prefers 'Hand structure'). */
export const GB_TERM = 'Hand structure (British)';

/** Members of the simple refset. */
export const CARE_MEMBERS = [ID.hepatitis, ID.handDisorder];

function file(dir: string, rel: string, header: string, rows: string[][]): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), [header, ...rows.map((r) => r.join('\t'))].join('\r\n') + '\r\n');
}

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** Writes the release into a new temporary folder and returns the folder. */
export function writeFixtureRelease(): string {
  const dir = tempDir('kodverk-rf2-fixture-');
  const date = '20250930';
  let d = 1;
  let r = 1;
  let m = 1;
  const descriptions: string[][] = [];
  const svDescriptions: string[][] = [];
  const language: string[][] = [];
  const svLanguage: string[][] = [];
  const relationships: string[][] = [];
  for (const [id, en, sv, active, parents] of CONCEPTS) {
    const fsn = sctid(8000000 + d++, '01');
    const pt = sctid(8000000 + d++, '01');
    const syn = sctid(8000000 + d++, '01');
    descriptions.push([fsn, date, '1', ID.core, id, 'en', ID.fsn, `${en} (fixture)`, '900000000000448009']);
    descriptions.push([pt, date, '1', ID.core, id, 'en', ID.synonym, en, '900000000000448009']);
    descriptions.push([syn, date, '1', ID.core, id, 'en', ID.synonym, `${en} synonym`, '900000000000448009']);
    language.push([uuid(m++), date, '1', ID.core, ID.us, fsn, ID.preferred]);
    language.push([uuid(m++), date, '1', ID.core, ID.us, pt, ID.preferred]);
    language.push([uuid(m++), date, '1', ID.core, ID.us, syn, ID.acceptable]);
    if (sv) {
      const svId = sctid(8000000 + d++, '01');
      svDescriptions.push([svId, date, '1', ID.swedish, id, 'sv', ID.synonym, sv, '900000000000448009']);
      svLanguage.push([uuid(m++), date, '1', ID.swedish, ID.sv, svId, ID.preferred]);
    }
    for (const p of parents) relationships.push([sctid(7000000 + r++, '02'), date, active ? '1' : '0', ID.core, id, p, '0', ID.isA, '900000000000011006', '900000000000451002']);
  }
  const gb = sctid(8000000 + d++, '01');
  descriptions.push([gb, date, '1', ID.core, ID.hand, 'en', ID.synonym, GB_TERM, '900000000000448009']);
  language.push([uuid(m++), date, '1', ID.core, ID.gb, gb, ID.preferred]);
  const nos = sctid(8000000 + d++, '01');
  descriptions.push([nos, '20200131', '0', ID.core, ID.hepatitis, 'en', ID.synonym, INACTIVE_TERM, '900000000000448009']);
  language.push([uuid(m++), '20200131', '0', ID.core, ID.us, nos, ID.acceptable]);
  for (const [s, t, v, g] of ATTRIBUTES) relationships.push([sctid(7000000 + r++, '02'), date, '1', ID.core, s, v, String(g), t, '900000000000011006', '900000000000451002']);
  // a stated relationship would be in another file; an inactive inferred one must be ignored
  relationships.push([sctid(7000000 + r++, '02'), '20200131', '0', ID.core, ID.handDisorder, ID.liver, '0', ID.findingSite, '900000000000011006', '900000000000451002']);
  file(dir, 'Terminology/sct2_Concept_Snapshot_INT_20250930.txt', CONCEPT_HEADER, CONCEPTS.map(([id, , , active, , defined]) => [id, date, active ? '1' : '0', ID.core, defined ? ID.defined : ID.primitive]));
  file(dir, 'Terminology/sct2_Description_Snapshot-en_INT_20250930.txt', DESCRIPTION_HEADER, descriptions);
  file(dir, 'Terminology/sct2_Description_Snapshot-sv_SE1000052_20250930.txt', DESCRIPTION_HEADER, svDescriptions);
  file(dir, 'Terminology/sct2_Relationship_Snapshot_INT_20250930.txt', RELATIONSHIP_HEADER, relationships);
  file(dir, 'Refset/Language/der2_cRefset_LanguageSnapshot-en_INT_20250930.txt', LANGUAGE_HEADER, language);
  file(dir, 'Refset/Language/der2_cRefset_LanguageSnapshot-sv_SE1000052_20250930.txt', LANGUAGE_HEADER, svLanguage);
  // the hand disorder member is older: ECL member filters on effectiveTime tell the two apart
  file(dir, 'Refset/Content/der2_Refset_SimpleSnapshot_SE1000052_20250930.txt', SIMPLE_HEADER, CARE_MEMBERS.map((c) => [uuid(m++), c === ID.handDisorder ? '20240131' : date, '1', ID.swedish, ID.careRefset, c]));
  file(dir, 'Refset/Content/der2_cRefset_AssociationSnapshot_INT_20250930.txt', ASSOCIATION_HEADER, [[uuid(m++), date, '1', ID.core, ID.replacedBy, ID.retired, ID.hepatitis]]);
  return dir;
}

/** An engine over a fresh store holding the fixture release, imported as `uri`. */
export async function fixtureEngine(prefix: string, uri: string): Promise<TerminologyEngine> {
  const db = openTempDatabase(path.join(tempDir(prefix), 'store.db'));
  const store = new ResourceStore(db);
  await runImport(db, store, rf2Importer, writeFixtureRelease(), { uri });
  return new TerminologyEngine(new StoreResourceSource(store));
}
