import type { ConceptMap, ConceptMapGroupElementTarget } from 'fhir/r4';
import type { ReleaseLookup } from '../providers/registry';
import { TerminologyError } from '../issues';
import { ASSOCIATION, SCT_URI } from './sctid';

/**
 * Snomed CT's implicit concept maps (FHIR's "Using SNOMED CT": http://snomed.info/sct?fhir_cm=<refset>,
 * optionally after an edition/version): an association reference set read as a map from its
 * members' concepts to their targets. Only the part a $translate needs is built: the pairs with the
 * requested code on one side, so a reference set of any size answers one code cheaply.
 */
const IMPLICIT = /^(http:\/\/snomed\.info\/sct(?:\/\d+(?:\/version\/\d{8})?)?)\?fhir_cm=(\d{6,18})$/;

/**
 * How each historical association reads as an R4 equivalence from the inactive concept to its
 * target; an association outside this table (e.g. anatomy structure-and-part) is "relatedto".
 */
const EQUIVALENCE: Record<string, ConceptMapGroupElementTarget['equivalence']> = {
  [ASSOCIATION.sameAs]: 'equal',
  [ASSOCIATION.replacedBy]: 'equivalent',
  [ASSOCIATION.movedTo]: 'equivalent',
  [ASSOCIATION.movedFrom]: 'equivalent',
  [ASSOCIATION.wasA]: 'wider', // the target is the wider concept
  [ASSOCIATION.possiblyEquivalentTo]: 'inexact',
  [ASSOCIATION.possiblyReplacedBy]: 'inexact',
  [ASSOCIATION.partiallyEquivalentTo]: 'inexact',
  [ASSOCIATION.similarTo]: 'inexact',
  [ASSOCIATION.alternative]: 'inexact',
  [ASSOCIATION.refersTo]: 'relatedto',
};

export function isImplicitSnomedMap(url: string): boolean {
  return IMPLICIT.test(url);
}

/** The part of an implicit map that concerns `code`: its targets (forward) or its sources (reverse). */
export function implicitSnomedMap(release: ReleaseLookup, url: string, version: string | undefined, code: string, reverse: boolean): ConceptMap {
  const [, edition, refset] = IMPLICIT.exec(url)!;
  const wanted = version ?? (edition === SCT_URI ? undefined : edition);
  const sct = release(SCT_URI, wanted);
  const mapUrl = `${SCT_URI}?fhir_cm=${refset}`;
  if (!sct?.associations) {
    throw TerminologyError.of({ severity: 'error', code: 'not-found', txType: 'not-found', text: `ConceptMap not found: ${url}${wanted ? ` (Snomed CT ${wanted} is not loaded)` : ' (no Snomed CT edition is loaded)'}` }, 404);
  }
  const pairs = sct.associations(refset, code, reverse);
  if (pairs === 'unknown') {
    throw TerminologyError.of({ severity: 'error', code: 'not-found', txType: 'not-found', text: `ConceptMap not found: ${mapUrl}: ${refset} is not an association reference set of Snomed CT ${sct.info.version}` }, 404);
  }
  const equivalence = EQUIVALENCE[refset] ?? 'relatedto';
  const display = (c: string) => sct.locate(c).concept?.display;
  const bySource = new Map<string, ConceptMapGroupElementTarget[]>();
  for (const p of pairs) {
    const list = bySource.get(p.source) ?? [];
    list.push({ code: p.target, display: display(p.target), equivalence });
    bySource.set(p.source, list);
  }
  return {
    resourceType: 'ConceptMap',
    url: mapUrl,
    version: sct.info.version,
    status: 'active',
    group: [
      {
        source: SCT_URI,
        sourceVersion: sct.info.version,
        target: SCT_URI,
        targetVersion: sct.info.version,
        element: [...bySource].map(([source, target]) => ({ code: source, display: display(source), target })),
      },
    ],
  };
}
