/**
 * The canonical URLs an identifier (an `urn:oid:` system URI) names among resources sent with a
 * request, by the rule the store follows for its own (ResourceStore.urlsByIdentifier): first the
 * resources that carry it as an identifier, then the code systems a NamingSystem of kind
 * `codesystem` declares under it — its `uri` unique ids, the preferred one first.
 */
export function identifierAliases(resources: any[], value: string): { resourceType: string; url: string }[] {
  const oid = value.startsWith('urn:oid:') ? value.slice('urn:oid:'.length) : value;
  const sameId = (v: unknown) => typeof v === 'string' && (v === value || v === oid || v === `urn:oid:${oid}`);
  const out: { resourceType: string; url: string }[] = [];
  for (const r of resources) {
    if (!r || typeof r.url !== 'string' || r.resourceType === 'NamingSystem') continue;
    const ids = Array.isArray(r.identifier) ? r.identifier : r.identifier ? [r.identifier] : [];
    if (ids.some((i: any) => sameId(i?.value))) out.push({ resourceType: r.resourceType, url: r.url });
  }
  for (const ns of resources) {
    if (ns?.resourceType !== 'NamingSystem' || ns.kind !== 'codesystem' || !Array.isArray(ns.uniqueId)) continue;
    if (!ns.uniqueId.some((u: any) => (u?.type === 'oid' || u?.type === 'uri') && sameId(u.value))) continue;
    const uris = ns.uniqueId.filter((u: any) => u?.type === 'uri' && typeof u.value === 'string' && !sameId(u.value));
    uris.sort((a: any, b: any) => Number(b.preferred === true) - Number(a.preferred === true));
    for (const u of uris) out.push({ resourceType: 'CodeSystem', url: u.value });
  }
  const seen = new Set<string>();
  return out.filter((a) => !seen.has(`${a.resourceType} ${a.url}`) && !!seen.add(`${a.resourceType} ${a.url}`));
}
