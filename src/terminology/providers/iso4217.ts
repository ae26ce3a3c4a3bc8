import type { CodeSystemConcept } from 'fhir/r4';
import currencies from 'currency-codes';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { builtInResource, listedKind } from './builtin';

/**
 * ISO 4217 currency codes (urn:iso:std:iso:4217): the alphabetic codes of the current list, from
 * `currency-codes` (maintained from ISO's published list; code, number, minor unit, English
 * name), Swedish names from Intl.DisplayNames ("Svensk krona"). Each concept carries the number of
 * decimals of its minor unit (`decimals`), which Money amounts in NIM records are checked against.
 */
export const ISO4217_URL = 'urn:iso:std:iso:4217';

const RESOURCE = builtInResource(
  { url: ISO4217_URL, oid: '1.0.4217', name: 'ISO4217', title: 'ISO 4217 Currency codes', publisher: 'ISO', description: 'Valutakoder enligt ISO 4217, med svenska och engelska namn.' },
  {
    version: currencies.publishDate,
    filter: [{ code: 'decimals', operator: ['='], value: 'the number of decimals of the minor unit (0, 2, 3, 4)' }],
    property: [
    { code: 'decimals', description: 'Decimaler i valutans minsta enhet (ISO 4217 minor unit)', type: 'integer' },
    { code: 'number', description: 'ISO 4217 numeric code', type: 'string' },
    ],
  },
);

const swedish = new Intl.DisplayNames(['sv'], { type: 'currency', fallback: 'none' });

function concepts(): CodeSystemConcept[] {
  return currencies.data.map((c) => {
    const sv = swedish.of(c.code);
    const concept: CodeSystemConcept = { code: c.code, display: c.currency, property: [{ code: 'number', valueString: c.number }] };
    if (typeof c.digits === 'number') concept.property!.push({ code: 'decimals', valueInteger: c.digits });
    if (sv) concept.designation = [{ language: 'sv', value: sv.charAt(0).toLocaleUpperCase('sv') + sv.slice(1) }];
    return concept;
  });
}

listedKind('iso4217', RESOURCE, concepts, (full, supplements) => new FhirCodeSystemProvider(full, supplements));
