import type { ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { type ReleaseLookup, registerProviderKind } from '../providers/registry';
import { SnomedProvider } from './snomed-provider';
import { SCT_URI, isSctid } from './sctid';

/** http://snomed.info/[x]sct[/<module>[/version/<date>]]?fhir_vs[=...] */
const IMPLICIT = /^http:\/\/snomed\.info\/(x?)sct(?:\/(\d+)(?:\/version\/(\d{8}))?)?\?fhir_vs(?:=(.*))?$/;

/**
 * The value sets Snomed CT defines implicitly by URL ("Using SNOMED CT with FHIR"):
 * `?fhir_vs` (all concepts), `?fhir_vs=isa/<id>` (a concept and its descendants),
 * `?fhir_vs=refset/<id>` (a reference set's members), `?fhir_vs=refset` (the release's reference
 * sets, those with members: the ones refset/<id> names, as the reference servers list them) and
 * `?fhir_vs=ecl/<ECL>`. An edition URL before `?` means that edition (its latest release), an
 * edition/version URL that release; an id that is not a valid SCTID names no value set, nor does
 * (given the release) a concept the release does not hold or, for refset/, one that is not a
 * reference set in it.
 */
export function snomedImplicitValueSet(url: string, release?: ReleaseLookup): ValueSet | undefined {
  const vs = implicitDefinition(url);
  const inc = vs?.compose?.include[0];
  if (!vs || !inc) return vs;
  const listing = vs.name === REFSET_LIST;
  const named = inc.filter?.[0];
  if (!listing && (!named || named.property !== 'concept')) return vs;
  const sct = release?.(SCT_URI, inc.version);
  // a release the server does not hold is for the expansion to report
  if (!(sct instanceof SnomedProvider)) return vs;
  if (listing) {
    // the reference sets of the release: those with members, each one a refset/<id> value set names
    delete inc.filter;
    inc.concept = sct.referenceSets().map((code) => ({ code }));
    return vs;
  }
  return sct.holds(named!.value, named!.op === 'in') ? vs : undefined;
}

const REFSET_LIST = 'SNOMEDCTReferenceSetList';

function implicitDefinition(url: string): ValueSet | undefined {
  const m = IMPLICIT.exec(url);
  if (!m) return undefined;
  const [, unpublished, module, date, query] = m;
  const include: ValueSetComposeInclude = { system: SCT_URI };
  // an edition URI means that edition's latest release; with a date, that release
  if (module) include.version = `http://snomed.info/${unpublished}sct/${module}${date ? `/version/${date}` : ''}`;
  const vs = (name: string, title: string, filter?: ValueSetComposeInclude['filter']): ValueSet => ({
    resourceType: 'ValueSet',
    url,
    name,
    title,
    status: 'active',
    compose: { include: [filter ? { ...include, filter } : include] },
  });
  if (query === undefined) return vs('ALLSNOMEDCT', 'SNOMED CT Reference Set (All of SNOMED CT)');
  const [kind, ...rest] = query.split('/');
  const arg = rest.join('/');
  if (kind === 'isa' && isSctid(arg, 'concept')) return vs(`SNOMEDCTConcept${arg}`, `SNOMED CT Concept ${arg} and descendants`, [{ property: 'concept', op: 'is-a', value: arg }]);
  // (without a release to ask, the concepts below |Reference set|)
  if (kind === 'refset' && arg === '') return vs(REFSET_LIST, 'SNOMED CT Reference Set List', [{ property: 'constraint', op: '=', value: '<< 900000000000455006' }]);
  if (kind === 'refset' && isSctid(arg, 'concept')) return vs(`SNOMEDCTRefSet${arg}`, `SNOMED CT Reference Set ${arg}`, [{ property: 'concept', op: 'in', value: arg }]);
  if (kind === 'ecl' && arg) {
    let ecl: string;
    try {
      ecl = decodeURIComponent(arg);
    } catch {
      return undefined;
    }
    return vs('SNOMEDCTECL', `SNOMED CT ECL: ${ecl}`, [{ property: 'constraint', op: '=', value: ecl }]);
  }
  return undefined;
}

registerProviderKind({
  name: 'snomed',
  matches: (cs) => cs.url === SCT_URI,
  stored: (ctx) => new SnomedProvider(ctx),
  implicitValueSet: snomedImplicitValueSet,
});
