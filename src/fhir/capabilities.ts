import type { CapabilityStatement, TerminologyCapabilities } from 'fhir/r4';
import type { OperationDefinition } from './operation';
import type { ResourceStore } from '../store/resource-store';
import { searchParametersOf } from './resources';
import { builtInCodeSystems } from '../terminology/providers/registry';
import '../terminology/code-system-kinds';
import { structureDefinitionSearchParameters } from './nim/structure-definitions';
import { FHIR_VERSION, RELEASE_DATE, SOFTWARE_NAME, SOFTWARE_VERSION, TX_TEST_VERSION } from '../version';

const FEATURE = 'http://hl7.org/fhir/uv/application-feature/StructureDefinition/feature';

/** tx-ecosystem feature declarations (application-feature extensions). */
function feature(definition: string, value: Record<string, unknown>) {
  return { url: FEATURE, extension: [{ url: 'definition', valueCanonical: definition }, { url: 'value', ...value }] };
}

/** The CapabilityStatement: what the server really supports, built from the operation list. */
export function capabilityStatement(base: string, operations: OperationDefinition[], access: { cors: boolean }): CapabilityStatement {
  const types = ['CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem'];
  return {
    resourceType: 'CapabilityStatement',
    id: 'kodverk',
    extension: [
      // the version of the HL7 terminology-ecosystem test suite this server is run against
      feature('http://hl7.org/fhir/uv/tx-tests/FeatureDefinition/test-version', { valueCode: TX_TEST_VERSION }),
      // code systems may be passed in requests (tx-resource parameters)
      feature('http://hl7.org/fhir/uv/tx-ecosystem/FeatureDefinition/CodeSystemAsParameter', { valueBoolean: true }),
    ],
    url: `${base}/metadata`,
    version: SOFTWARE_VERSION,
    name: 'KodverkTerminologyServer',
    title: 'Kodverk terminology server',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    publisher: 'Kodverk',
    kind: 'instance',
    instantiates: ['http://hl7.org/fhir/CapabilityStatement/terminology-server'],
    software: { name: SOFTWARE_NAME, version: SOFTWARE_VERSION, releaseDate: RELEASE_DATE },
    implementation: { description: 'Kodverk FHIR R4 terminology server', url: base },
    fhirVersion: FHIR_VERSION as CapabilityStatement['fhirVersion'],
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security: {
          // true only when the server answers CORS requests (KODVERK_CORS_ORIGINS is not 'none')
          cors: access.cors,
          // the terminology ecosystem requires rest.security.service (requirements.html#metadata): a
          // client is told how to authenticate. Every credential Kodverk takes is an OAuth 2 bearer
          // token (RFC 6750): an API key, the simple-mode token or an OpenID Connect access token.
          service: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }],
              text: 'Bearer tokens (API key, or an OpenID Connect access token when an issuer is configured)',
            },
          ],
          description: `Reads and operations are open; create, update and delete need a bearer token.${access.cors ? ' Browsers may call the API from other origins (CORS, without credentials).' : ''}`,
        },
        resource: types.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'vread' }, { code: 'search-type' }, { code: 'create' }, { code: 'update' }, { code: 'delete' }],
          versioning: 'versioned',
          readHistory: false,
          conditionalRead: 'not-match',
          searchParam: searchParametersOf(type),
          operation: operations
            .filter((o) => o.resourceTypes.includes(type))
            .map((o) => ({ name: o.name, definition: o.definition })),
        }))
          .concat([
            // the NIMs: logical models, read-only here (authored through /nim)
            {
              type: 'StructureDefinition',
              interaction: [{ code: 'read' }, { code: 'search-type' }],
              searchParam: structureDefinitionSearchParameters(),
              operation: [],
            } as any,
          ]) as any,
        operation: operations.filter((o) => o.system).map((o) => ({ name: o.name, definition: o.definition })),
      },
    ],
  };
}

/** The versions of one code system as TerminologyCapabilities lists them, each with the filters it supports. */
function versionsOf(versions: Set<string>, filters: { code: string; op: string[] }[] = []) {
  const filter = filters.length ? { filter: filters } : {};
  if (versions.size === 0) return filters.length ? [filter] : [];
  return [...versions].map((code) => ({ code, ...filter }));
}

/** TerminologyCapabilities: the code systems (and versions) the server holds, and what it does. */
export function terminologyCapabilities(store: ResourceStore, base: string): TerminologyCapabilities {
  const bySystem = new Map<string, Set<string>>();
  // the code systems providers serve from packages (UCUM, BCP-47, ...), then the stored ones
  const builtIn = builtInCodeSystems();
  for (const cs of [...builtIn, ...store.summaries('CodeSystem')]) {
    if (!cs.url || cs.content === 'supplement') continue;
    // a stored stub without content (content = not-present: FHIR core's Snomed CT with no release
    // imported) is held, not supported: the ecosystem routes requests by this list (requirements.html:
    // a supported code system is one served correctly by $expand, $validate-code and $lookup). The
    // providers (UCUM, BCP-47, ...) serve theirs whatever their resource says.
    if (cs.content === 'not-present' && !builtIn.includes(cs as any)) continue;
    const set = bySystem.get(cs.url) ?? new Set<string>();
    if (cs.version) set.add(cs.version);
    bySystem.set(cs.url, set);
  }
  const filters = new Map(builtInCodeSystems().map((cs) => [cs.url, (cs.filter ?? []).map((f) => ({ code: f.code, op: f.operator }))]));
  return {
    resourceType: 'TerminologyCapabilities',
    id: 'kodverk',
    url: `${base}/metadata?mode=terminology`,
    version: SOFTWARE_VERSION,
    name: 'KodverkTerminologyCapabilities',
    title: 'Kodverk terminology capabilities',
    status: 'active',
    date: new Date().toISOString().slice(0, 10),
    kind: 'instance',
    software: { name: SOFTWARE_NAME, version: SOFTWARE_VERSION, releaseDate: RELEASE_DATE },
    codeSystem: [...bySystem.entries()].map(([uri, versions]) => ({
      uri,
      version: versionsOf(versions, filters.get(uri)),
    })),
    expansion: {
      hierarchical: true,
      paging: true,
      incomplete: false,
      parameter: ['count', 'offset', 'filter', 'activeOnly', 'excludeNested', 'includeDesignations', 'designation', 'includeDefinition', 'displayLanguage', 'property', 'system-version', 'check-system-version', 'force-system-version', 'tx-resource', 'useSupplement', 'context', 'contextDirection', 'exclude-system'].map((name) => ({ name })),
      textFilter: 'Every word of the filter must start a word of the display, a designation or the code (case-insensitive; å, ä and ö are distinct letters).',
    },
    lockedDate: false,
    codeSearch: 'all',
    validateCode: { translations: false },
    // $translate without a map url searches every map whose source and target fit
    translation: { needsMap: false },
  } as TerminologyCapabilities;
}
