/**
 * Where the pages show a stored resource to people, by resource type: the path the resource's id
 * follows (the page routes in router.ts). The FHIR API names these pages in the web-source
 * extension of what it returns, as the terminology ecosystem IG asks of a server whose human
 * views are not at the FHIR endpoint itself.
 */
export const WEB_VIEWS: Readonly<Record<string, string>> = {
  CodeSystem: '/kodsystem/',
  ValueSet: '/vardemangd/',
  ConceptMap: '/mappning/',
};
