import type { CodeSystem } from 'fhir/r4';

/**
 * A complete is-a code system in one version, from a two-level tree ([code, children?][]); each
 * display names the code and the version, so a test sees which version an answer came from.
 */
export function versionedCodeSystem(url: string, version: string, tree: [string, string[]?][]): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    url,
    version,
    status: 'active',
    content: 'complete',
    hierarchyMeaning: 'is-a',
    concept: tree.map(([code, kids]) => ({ code, display: `${code} (${version})`, concept: kids?.map((k) => ({ code: k, display: `${k} (${version})` })) })),
  };
}
