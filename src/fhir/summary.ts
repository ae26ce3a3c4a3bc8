/**
 * FHIR's `_summary` search result parameter (search.html#summary) for the terminology resources:
 * `true` keeps the elements FHIR R4 marks as summary (isSummary), `text` the narrative, id, meta and
 * the top-level mandatory elements, `data` everything but the narrative, `false` everything. A
 * subsetted resource says so with the SUBSETTED tag (FHIR R4 resource.html#tag).
 */

/** An element kept whole (true) or, for a backbone element, only the children named. */
type Shape = { [element: string]: true | Shape };

/** The summary elements of FHIR R4 (the isSummary flags of the R4 StructureDefinitions). */
const SUMMARY: Record<string, Shape> = {
  CodeSystem: {
    url: true, identifier: true, version: true, name: true, title: true, status: true, experimental: true, date: true,
    publisher: true, contact: true, useContext: true, jurisdiction: true, caseSensitive: true, valueSet: true,
    hierarchyMeaning: true, compositional: true, versionNeeded: true, content: true, supplements: true, count: true,
    filter: { code: true, description: true, operator: true, value: true },
    property: { code: true, uri: true, description: true, type: true },
  },
  ValueSet: {
    url: true, identifier: true, version: true, name: true, title: true, status: true, experimental: true, date: true,
    publisher: true, contact: true, useContext: true, jurisdiction: true, immutable: true,
    // ValueSet.compose itself is no summary element, but these parts of it are
    compose: {
      lockedDate: true,
      inactive: true,
      include: { system: true, version: true, filter: { property: true, op: true, value: true }, valueSet: true },
    },
  },
  ConceptMap: {
    url: true, identifier: true, version: true, name: true, title: true, status: true, experimental: true, date: true,
    publisher: true, contact: true, useContext: true, jurisdiction: true,
    sourceUri: true, sourceCanonical: true, targetUri: true, targetCanonical: true,
  },
  NamingSystem: {
    name: true, status: true, kind: true, date: true, publisher: true, contact: true, useContext: true, jurisdiction: true,
    uniqueId: { type: true, value: true },
  },
};

/** Top-level elements FHIR R4 requires (min 1), which `_summary=text` keeps. */
const MANDATORY: Record<string, string[]> = {
  CodeSystem: ['status', 'content'],
  ValueSet: ['status'],
  ConceptMap: ['status'],
  NamingSystem: ['name', 'status', 'kind', 'date', 'uniqueId'],
};

/** Every resource keeps these (Resource's summary elements, and modifiers, which may never be dropped). */
const ALWAYS = ['resourceType', 'id', 'meta', 'implicitRules', 'modifierExtension'];

export type SummaryMode = 'true' | 'text' | 'data' | 'false';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };

function pick(value: unknown, shape: Shape): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, shape));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const s = shape[k];
    if (k === 'modifierExtension' || k === 'id') out[k] = v;
    else if (s === true) out[k] = v;
    else if (s) out[k] = pick(v, s);
  }
  return out;
}

/** The resource as `_summary` asks for it (the same object when nothing is left out). */
export function summarize<T extends { resourceType: string; meta?: any }>(resource: T, mode: SummaryMode): T {
  if (mode === 'false') return resource;
  const r = resource as Record<string, any>;
  let out: Record<string, any>;
  if (mode === 'data') {
    if (r.text === undefined) return resource;
    const { text: _text, ...rest } = r;
    out = rest;
  } else {
    out = {};
    const shape = SUMMARY[resource.resourceType] ?? {};
    const keep = mode === 'text' ? new Set([...ALWAYS, 'text', ...(MANDATORY[resource.resourceType] ?? [])]) : undefined;
    for (const [k, v] of Object.entries(r)) {
      if (ALWAYS.includes(k)) out[k] = v;
      else if (keep) {
        if (keep.has(k)) out[k] = v;
      } else if (shape[k] === true) out[k] = v;
      else if (shape[k]) {
        const part = pick(v, shape[k] as Shape);
        if (part && typeof part === 'object' && Object.keys(part).length > 0) out[k] = part;
      }
    }
  }
  const tags = [...(out.meta?.tag ?? [])];
  if (!tags.some((t: any) => t?.system === SUBSETTED.system && t?.code === SUBSETTED.code)) tags.push(SUBSETTED);
  out.meta = { ...(out.meta ?? {}), tag: tags };
  return out as T;
}
