import type { CodeSystemConcept } from 'fhir/r4';
import { iso31662 } from 'iso-3166';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { builtInResource, listedKind } from './builtin';

/**
 * ISO 3166-2 country subdivision codes (urn:iso:std:iso:3166:-2, the URI FHIR and HL7 Terminology
 * give Part 2): `SE-AB` Stockholms län, `US-CA` California, from `iso-3166` (its list of ISO 3166-2
 * entries). A subdivision inside another subdivision (`AZ-BAB` in `AZ-NX`) is its child, so `is-a`
 * and `descendent-of` follow ISO's nesting; property `country` is the ISO 3166-1 alpha-2 code of
 * the country it divides (filter `country = SE`). Names are ISO's, in the languages of the
 * country (`Stockholms län`, `Bayern`), so the code system names no one language; no version, as
 * for Part 1.
 */
export const ISO3166_2_URL = 'urn:iso:std:iso:3166:-2';

const RESOURCE = builtInResource(
  { url: ISO3166_2_URL, oid: '1.0.3166.2', name: 'ISO3166Part2', title: 'ISO 3166-2 Codes for the representation of names of countries and their subdivisions — Part 2: Country subdivision code', publisher: 'ISO', description: 'Koder för länders indelningar (län, delstater, provinser) enligt ISO 3166-2, med namnen på landets språk.' },
  {
    language: undefined,
    // written in upper case, compared without regard to case (as Part 1)
    caseSensitive: false,
    hierarchyMeaning: 'part-of',
    filter: [
      { code: 'country', operator: ['='], value: 'an ISO 3166-1 alpha-2 code: the subdivisions of that country' },
      { code: 'code', operator: ['regex'], value: 'a regular expression the whole code matches' },
      { code: 'concept', operator: ['is-a', 'descendent-of'], value: 'a subdivision: it and the subdivisions inside it' },
    ],
    property: [{ code: 'country', description: 'The ISO 3166-1 alpha-2 code of the country the subdivision divides', type: 'code' }],
  },
);

function concepts(): CodeSystemConcept[] {
  const byCode = new Map<string, CodeSystemConcept>();
  for (const s of iso31662) byCode.set(s.code, { code: s.code, display: s.name, property: [{ code: 'country', valueCode: s.code.split('-')[0] }] });
  const roots: CodeSystemConcept[] = [];
  for (const s of iso31662) {
    const parent = byCode.get(s.parent);
    const concept = byCode.get(s.code)!;
    if (parent && parent !== concept) (parent.concept ??= []).push(concept);
    else roots.push(concept);
  }
  return roots;
}

listedKind('iso3166-2', RESOURCE, concepts, (full, supplements) => new FhirCodeSystemProvider(full, supplements));
