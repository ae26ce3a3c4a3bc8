import type { SyndicationItem } from '../../src/store/syndication-store';
import { ASF_PROFILE, ASF_SCHEME, NCTS_NS } from '../../src/syndication/asf';
import { readFeed } from '../../src/syndication/feed-reader';
import { errorsOf, validateFeed } from '../../src/syndication/feed-validator';
import { feedXml, supersededBy, versionPart } from '../../src/syndication/feed-writer';
import { dependencyOrder } from '../../src/syndication/follower';
import { nameUuid, rfc3339 } from '../../src/syndication/publisher';
import { resourceIdentity, resourcePackage } from '../../src/syndication/packages';
import { readTgz } from '../../src/importers/npm-package';

/**
 * The feed format on its own: what Kodverk writes reads back and conforms to the IG's rules, and
 * the validator finds each rule a feed can break (any publisher's, whatever prefixes it binds).
 */

const SHA = 'a'.repeat(64);
const HEAD = { id: 'urn:uuid:00000000-0000-4000-8000-000000000000', title: 'Test feed', selfUrl: 'http://127.0.0.1/syndication/feed.xml', generator: 'Kodverk test' };

function item(civ: string, over: Partial<SyndicationItem> = {}): SyndicationItem {
  const identifier = civ.replace(/[|#][^|#]*$/, '');
  return {
    contentItemVersion: civ,
    contentItemIdentifier: identifier,
    category: 'FHIR_Package',
    entryId: nameUuid(civ),
    title: `Title of ${civ}`,
    updated: '2026-01-02T03:04:05.000Z',
    fhirVersion: '4.0.1',
    artefact: { mediaType: 'application/gzip', fileName: 'p.tgz', sha256: SHA, length: 123 },
    permissions: [],
    dependencies: [],
    extraCategories: [],
    origin: 'resource',
    ...over,
  };
}

/** A minimal conforming feed with the entries given, binding the NCTS namespace to `prefix`. */
function feedWith(entries: string, prefix = 'ncts'): string {
  return `<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:${prefix}="${NCTS_NS}">
  <id>urn:uuid:1</id><title>T</title><updated>2026-01-01T00:00:00Z</updated>
  <link rel="self" type="application/atom+xml" href="http://x/feed.xml"/>
  <${prefix}:atomSyndicationFormatProfile>${ASF_PROFILE}</${prefix}:atomSyndicationFormatProfile>
  ${entries}
</feed>`;
}

function entry(parts: { id?: string; term?: string; civ?: string; cii?: string; link?: string; fhirVersion?: string | null; extra?: string }, prefix = 'ncts'): string {
  const term = parts.term ?? 'FHIR_ValueSet';
  return `<entry>
    ${parts.id === '' ? '' : `<id>${parts.id ?? 'urn:uuid:e1'}</id>`}<title>E</title><updated>2026-01-01T00:00:00Z</updated>
    <category scheme="${ASF_SCHEME}" term="${term}"/>
    ${parts.link ?? `<link rel="alternate" type="application/fhir+json" href="http://x/a.json" length="10" ${prefix}:sha256Hash="${SHA}"/>`}
    <${prefix}:contentItemIdentifier>${parts.cii ?? 'http://x/ValueSet/a'}</${prefix}:contentItemIdentifier>
    ${parts.civ === '' ? '' : `<${prefix}:contentItemVersion>${parts.civ ?? 'http://x/ValueSet/a|1.0.0'}</${prefix}:contentItemVersion>`}
    ${parts.fhirVersion === null ? '' : `<${prefix}:fhirVersion>${parts.fhirVersion ?? '4.0.1'}</${prefix}:fhirVersion>`}
    ${parts.extra ?? ''}
  </entry>`;
}

const errorTexts = (xml: string) => errorsOf(validateFeed(readFeed(xml))).map((p) => p.text);

describe('the feed Kodverk writes', () => {
  it('reads back with every element and conforms to the IG', () => {
    const items = [
      item('https://kodverk.se/fhir/CodeSystem/ksi|2024', { summary: 'KSI 2024 & <more>' }),
      item('https://kodverk.se/fhir/CodeSystem/ksi|2025', { updated: '2026-02-01T00:00:00.000Z', dependencies: ['https://kodverk.se/fhir/CodeSystem/icf|2025'] }),
      item('http://snomed.info/sct/45991000052106/version/20250930', {
        contentItemIdentifier: 'http://snomed.info/sct/45991000052106',
        category: 'SCT_RF2_SNAPSHOT',
        fhirVersion: undefined,
        permissions: ['snomed-ct'],
        artefact: { mediaType: 'application/zip', fileName: 's.zip', sha256: 'b'.repeat(64), length: 9 },
        dependencies: ['http://snomed.info/sct/900000000000207008/version/20250101'],
      }),
      item('https://kodverk.se/fhir/ValueSet/gone|1', { category: 'FHIR_ValueSet_RETRACT', artefact: undefined }),
    ];
    const xml = feedXml(HEAD, items, 'http://127.0.0.1:1234');
    const feed = readFeed(xml);
    expect(validateFeed(feed)).toEqual([]);
    expect(feed.id).toBe(HEAD.id);
    expect(feed.profile).toBe(ASF_PROFILE);
    expect(feed.updated).toBe('2026-02-01T00:00:00.000Z');
    expect(feed.entries.map((e) => e.contentItemVersion)[0]).toBe('https://kodverk.se/fhir/CodeSystem/ksi|2025');
    const ksi25 = feed.entries.find((e) => e.contentItemVersion?.endsWith('|2025'))!;
    expect(ksi25.supersedes).toBe('https://kodverk.se/fhir/CodeSystem/ksi|2024');
    expect(ksi25.dependencies).toEqual(['https://kodverk.se/fhir/CodeSystem/icf|2025']);
    expect(feed.entries.find((e) => e.contentItemVersion?.endsWith('|2024'))!.summary).toBe('KSI 2024 & <more>');
    const sct = feed.entries.find((e) => e.categories[0].term === 'SCT_RF2_SNAPSHOT')!;
    expect(sct.permissions).toEqual(['snomed-ct']);
    expect(sct.dependencies).toEqual(['http://snomed.info/sct/900000000000207008/version/20250101']);
    expect(sct.links[0]).toMatchObject({ rel: 'alternate', type: 'application/zip', length: '9', sha256: 'b'.repeat(64) });
    expect(sct.links[0].href).toBe(`http://127.0.0.1:1234/syndication/artefacts/${'b'.repeat(64)}/s.zip`);
    const retracted = feed.entries.find((e) => e.categories[0].term === 'FHIR_ValueSet_RETRACT')!;
    expect(retracted.links).toEqual([]);
    expect(retracted.fhirVersion).toBe('4.0.1');
  });

  it('writes text XML 1.0 cannot hold (control characters, lone surrogates) as U+FFFD, so a strict parser still reads the feed', () => {
    const title = 'Titel\u0001\u001b med \uD800 och \uFFFE';
    const xml = feedXml(HEAD, [item('https://kodverk.se/fhir/CodeSystem/ksi|2024', { title, summary: 'ok \u0000 <b>' })], 'http://127.0.0.1:1234');
    // XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    expect(xml).not.toMatch(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    const entry = readFeed(xml).entries[0];
    expect(entry.title).toBe('Titel\uFFFD\uFFFD med \uFFFD och \uFFFD');
    expect(entry.summary).toBe('ok \uFFFD <b>');
    // a character outside the BMP (a pair of surrogates) is kept
    expect(readFeed(feedXml(HEAD, [item('https://kodverk.se/fhir/CodeSystem/ksi|2024', { title: 'Emoji \u{1F600}' })], 'http://x')).entries[0].title).toBe('Emoji \u{1F600}');
  });

  it('names the version each release supersedes by the version order of its content item', () => {
    const s = supersededBy([item('u|1.10.0'), item('u|1.9.2'), item('u|2.0.0-beta'), item('v|1'), item('u|0.1', { category: 'FHIR_CodeSystem_RETRACT' })]);
    expect(s.get('u|1.10.0')).toBe('u|1.9.2');
    expect(s.get('u|2.0.0-beta')).toBe('u|1.10.0');
    expect(s.has('u|1.9.2')).toBe(false);
    expect(s.has('v|1')).toBe(false);
    expect(versionPart('http://snomed.info/sct/1/version/20250101')).toBe('20250101');
    expect(versionPart('se.kodverk.nim#1.1.0')).toBe('1.1.0');
  });

  it('identifies resources as the IG aligns them, and builds the same package twice', async () => {
    const cs = { resourceType: 'CodeSystem', id: 'X', url: 'https://e/cs', version: '2', date: '2025-10-17', meta: { versionId: '3', lastUpdated: '2026-01-01T00:00:00Z', tag: [{ code: 't' }] }, concept: [{ code: 'a' }] };
    const id = resourceIdentity(cs)!;
    expect(id).toEqual({ identifier: 'https://e/cs', version: '2', contentItemVersion: 'https://e/cs|2' });
    expect(resourceIdentity({ ...cs, version: undefined })).toBeUndefined();
    expect(resourceIdentity({ resourceType: 'NamingSystem', date: '2025-10-17', uniqueId: [{ type: 'oid', value: '1.2.3', preferred: true }] })!.contentItemVersion).toBe('urn:oid:1.2.3|2025-10-17');
    const a = resourcePackage(cs, id);
    const b = resourcePackage({ ...cs, meta: { ...cs.meta, versionId: '9' } }, id);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    const files = await readTgz(a.bytes);
    expect(JSON.parse(files.get('package/package.json')!.toString())).toMatchObject({ name: 'kodverk.codesystem.x', version: '2', fhirVersions: ['4.0.1'] });
    const stored = JSON.parse(files.get('package/CodeSystem-X.json')!.toString());
    expect(stored.meta).toEqual({ tag: [{ code: 't' }] });
    expect(rfc3339('2025')).toBe('2025-01-01T00:00:00Z');
    expect(rfc3339('2025-10-17T10:00:00+02:00')).toBe('2025-10-17T10:00:00+02:00');
    expect(nameUuid('x')).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameUuid('x')).toBe(nameUuid('x'));
  });
});

describe('the validator (any publisher\'s feed)', () => {
  it('accepts a conforming feed whatever prefix binds the NCTS namespace', () => {
    expect(errorTexts(feedWith(entry({}, 'n'), 'n'))).toEqual([]);
    // an undeclared prefix is not the NCTS namespace
    expect(errorTexts(feedWith(entry({}), 'n'))).toContain('ncts:contentItemVersion must occur exactly once (found 0)');
    const feed = readFeed(feedWith(entry({}, 'n'), 'n'));
    expect(feed.entries[0].contentItemVersion).toBe('http://x/ValueSet/a|1.0.0');
  });

  it('finds each broken rule', () => {
    expect(errorTexts(feedWith(entry({ civ: '' })))).toContain('ncts:contentItemVersion must occur exactly once (found 0)');
    expect(errorTexts(feedWith(entry({ id: '' })))).toContain('atom:id must occur exactly once (found 0)');
    expect(errorTexts(feedWith(entry({ fhirVersion: null })))).toContain('ncts:fhirVersion is required with the category FHIR_ValueSet');
    expect(errorTexts(feedWith(entry({ fhirVersion: '4.0.1.1' })))[0]).toMatch(/not <major>.<minor>/);
    expect(errorTexts(feedWith(entry({ term: 'FHIR_ValueSet_RETRACT' })))).toContain('a retraction must not carry a link rel="alternate" (entry-retract-no-alternate-link)');
    expect(errorTexts(feedWith(entry({ link: '' })))).toContain('an entry that is not a retraction needs at least one link (entry-non-retract-has-link)');
    expect(errorTexts(feedWith(entry({ link: '<link rel="alternate" type="x" href="h" length="-1" ncts:sha256Hash="ABC"/>' })))).toEqual(
      expect.arrayContaining([expect.stringMatching(/length '-1'/), expect.stringMatching(/sha256Hash is not 64 lowercase hex/)]),
    );
    expect(errorTexts(feedWith(entry({ link: '<link rel="alternate" href="h"/>' })))).toContain('link rel="alternate" has no type (the media type is 1..1)');
    expect(errorTexts(feedWith(entry({ term: 'SCT_RF2_PURPLE' })))).toContain("'SCT_RF2_PURPLE' is not a term of the NCTS ASF scheme");
    expect(errorTexts(feedWith(entry({ id: 'urn:uuid:a' }) + entry({ id: 'urn:uuid:b' })))[0]).toMatch(/is also the version of urn:uuid:a/);
    expect(errorTexts('<rss><channel/></rss>')[0]).toMatch(/not an Atom feed/);
    const noProfile = feedWith(entry({})).replace(/<ncts:atomSyndicationFormatProfile>.*<\/ncts:atomSyndicationFormatProfile>/, '');
    expect(errorTexts(noProfile)).toContain('ncts:atomSyndicationFormatProfile is required when NCTS ASF elements are used');
    expect(() => readFeed('<feed><unclosed></feed>')).toThrow(/well-formed|root/);
  });

  it('warns where the IG says SHOULD', () => {
    const problems = validateFeed(readFeed(feedWith(entry({ link: '<link rel="alternate" type="application/zip" href="h"/>', term: 'SCT_RF2_FULL', fhirVersion: null, cii: 'x', civ: 'y' }))));
    expect(errorsOf(problems)).toEqual([]);
    expect(problems.map((p) => p.text)).toEqual(
      expect.arrayContaining([
        'link rel="alternate" carries no hash (ncts:sha256Hash or sct:md5Hash)',
        'a Snomed CT release should be identified by its module URI (http://snomed.info/sct/<moduleId>)',
        'a Snomed CT release version should be its version URI (http://snomed.info/sct/<moduleId>/version/<YYYYMMDD>)',
      ]),
    );
  });
});

describe('the order a follower takes entries in', () => {
  const p = (civ: string, term: string, dependencies: string[] = [], updated = '2026-01-01T00:00:00Z') => ({ civ, term, entry: { updated, dependencies } });

  it('takes dependencies first, then code systems before value sets before packages, oldest first', () => {
    const plan = [
      p('nim#1', 'FHIR_Package', ['vs|1', 'cs|1']),
      p('vs|1', 'FHIR_ValueSet', ['cs|1']),
      p('cs|1', 'FHIR_Package'),
      p('sct/ext', 'SCT_RF2_SNAPSHOT', ['sct/int']),
      p('sct/int', 'SCT_RF2_SNAPSHOT', [], '2026-02-01T00:00:00Z'),
      p('other|1', 'FHIR_CodeSystem'),
    ];
    expect(dependencyOrder(plan).map((x) => x.civ)).toEqual(['sct/int', 'sct/ext', 'other|1', 'cs|1', 'vs|1', 'nim#1']);
  });

  it('does not stall on a cycle', () => {
    expect(dependencyOrder([p('a', 'FHIR_Package', ['b']), p('b', 'FHIR_Package', ['a'])]).map((x) => x.civ).sort()).toEqual(['a', 'b']);
  });
});
