/** http://hl7.org/fhir/StructureDefinition/web-source: where a human can look at the resource. */
export const WEB_SOURCE = 'http://hl7.org/fhir/StructureDefinition/web-source';

/**
 * The resource with web-source naming `page`; unchanged when it already names one (its own wins).
 * A copy: the resource given (a stored one, a cached one) is not touched.
 */
export function withWebSource<T extends { extension?: { url?: string }[] }>(resource: T, page: string): T {
  if (resource.extension?.some((e) => e?.url === WEB_SOURCE)) return resource;
  return { ...resource, extension: [...(resource.extension ?? []), { url: WEB_SOURCE, valueUrl: page }] };
}
