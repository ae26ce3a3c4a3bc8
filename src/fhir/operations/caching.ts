import type { ParametersParameter } from 'fhir/r4';
import type { Request, Response } from 'express';
import type { ResourceStore } from '../../store/resource-store';
import { etagMatches } from '../caching';
import { JsonText } from '../../http/fhir-answers';
import { answerText } from '../../terminology/answer-text';

/**
 * Cacheable answers of the read-only terminology operations vendors call at run time ($expand,
 * $lookup, $validate-code by GET): an entity tag of the answer's content alone, so the same
 * answer always has the same tag (an expansion's identifier and timestamp are new on every call
 * and are left out), Cache-Control by the versions the answer depends on, and 304 for
 * If-None-Match.
 */

/** Operations whose GET answers are cached (the others answer as before). */
export const CACHED_OPERATIONS = new Set(['expand', 'lookup', 'validate-code']);

/**
 * Every version the answer rests on was named (not resolved to the latest): it changes only if
 * that very version is replaced in the store (a corrected re-import), so a day, then revalidate.
 */
export const PINNED = 'public, max-age=86400';
/** Something was resolved to the latest version: a minute, and revalidated after (304 is cheap). */
export const LATEST = 'public, max-age=60, must-revalidate';

/**
 * A weak entity tag (equal content, not equal bytes: the expansion's identifier differs), made
 * where the answer was serialised (the worker thread) or else here.
 */
export function contentTag(result: unknown): string {
  return result instanceof JsonText && result.tag ? result.tag : answerText(result).tag;
}

const WILDCARD = /(^|\.)(x|\*)(\.|$)/;
/** A version that names one version (not absent, not a wildcard such as 1.x). */
const exact = (v: unknown): v is string => typeof v === 'string' && v !== '' && !WILDCARD.test(v);

function value(p: ParametersParameter): unknown {
  return p.valueUri ?? p.valueCanonical ?? p.valueString ?? p.valueCode ?? p.valueCoding ?? undefined;
}

function first(entries: ParametersParameter[], name: string): unknown {
  const p = entries.find((e) => e.name === name);
  return p ? value(p) : undefined;
}

/** url|version split. */
function canonicalParts(c: unknown): { url?: string; version?: string } {
  if (typeof c !== 'string') return {};
  const bar = c.indexOf('|');
  return bar < 0 ? { url: c } : { url: c.slice(0, bar), version: c.slice(bar + 1) };
}

/** Code systems whose version the request fixes (system-version, force-system-version: url|version). */
function fixedSystems(entries: ParametersParameter[]): Set<string> {
  const out = new Set<string>();
  for (const e of entries) {
    if (e.name !== 'system-version' && e.name !== 'force-system-version') continue;
    const { url, version } = canonicalParts(value(e));
    if (url && exact(version)) out.add(url);
  }
  return out;
}

/**
 * Does a stored value set pin every version its content rests on: each code system included or
 * excluded (its own version, or one the request fixes) and each value set it imports (url|version,
 * recursively)? `pins` collects the code systems so pinned.
 */
function valueSetPinned(store: ResourceStore, definition: any, fixed: Set<string>, pins: Set<string>, seen = new Set<string>()): boolean {
  for (const part of [...(definition?.compose?.include ?? []), ...(definition?.compose?.exclude ?? [])]) {
    if (typeof part.system === 'string' && !exact(part.version) && !fixed.has(part.system)) return false;
    // the request's own codes of this system are judged by that version
    if (typeof part.system === 'string') pins.add(part.system);
    for (const imported of part.valueSet ?? []) {
      const { url, version } = canonicalParts(imported);
      if (!url || !exact(version) || seen.has(imported)) return false;
      seen.add(imported);
      const stored = store.byUrl('ValueSet', url).find((r) => r.version === version);
      if (!stored || !valueSetPinned(store, stored.resource, fixed, pins, seen)) return false;
    }
  }
  return true;
}

/**
 * ValueSet/$validate-code: is every code system the request's code names (system, coding,
 * codeableConcept) fixed — by its own version (systemVersion, the coding's version), by
 * system-version/force-system-version or by the value set's definition? A code of a code system
 * the value set does not pin is looked up in that system's latest version (its display, whether it
 * exists at all), so the answer changes with the next version.
 */
function requestedCodesPinned(entries: ParametersParameter[], fixed: Set<string>): boolean {
  const codings: { system?: unknown; version?: unknown }[] = [];
  const system = first(entries, 'system');
  if (system !== undefined) codings.push({ system, version: first(entries, 'systemVersion') ?? first(entries, 'version') });
  for (const e of entries) {
    if (e.name === 'coding' && e.valueCoding) codings.push(e.valueCoding);
    if (e.name === 'codeableConcept') codings.push(...(e.valueCodeableConcept?.coding ?? []));
  }
  return codings.every((c) => exact(c.version) || (typeof c.system === 'string' && fixed.has(c.system)));
}

/** The stored value set a ValueSet operation names (instance id, or url|version / valueSetVersion). */
function namedValueSet(store: ResourceStore, entries: ParametersParameter[], id: string | undefined): any | undefined {
  if (id) return store.read('ValueSet', id)?.resource;
  const { url, version: inUrl } = canonicalParts(first(entries, 'url'));
  const version = inUrl ?? first(entries, 'valueSetVersion');
  if (!url || !exact(version)) return undefined;
  return store.byUrl('ValueSet', url).find((r) => r.version === version)?.resource;
}

/**
 * Whether every version an answer rests on was named by the request (so Cache-Control may be
 * long). A value set: named with its version (or by instance id) and pinning its code systems
 * and imports. A code system ($lookup, CodeSystem/$validate-code): named with its version, or by
 * instance id.
 */
export function answerIsPinned(store: ResourceStore, resourceType: string | undefined, id: string | undefined, entries: ParametersParameter[]): boolean {
  const fixed = fixedSystems(entries);
  if (resourceType === 'ValueSet') {
    const vs = namedValueSet(store, entries, id);
    const pins = new Set(fixed);
    return vs !== undefined && valueSetPinned(store, vs, fixed, pins) && requestedCodesPinned(entries, pins);
  }
  if (id) return true;
  const coding = first(entries, 'coding') as { system?: string; version?: string } | undefined;
  const system = (first(entries, 'system') ?? first(entries, 'url') ?? coding?.system) as string | undefined;
  const version = first(entries, 'version') ?? coding?.version;
  return exact(version) || (system !== undefined && fixed.has(system));
}

/**
 * Sets ETag, Cache-Control and Vary on a cacheable answer; answers 304 (and returns true) when
 * the client already has it.
 */
export function conditionalAnswer(req: Request, res: Response, result: unknown, pinned: boolean): boolean {
  const tag = contentTag(result);
  res.set({ ETag: tag, 'Cache-Control': pinned ? PINNED : LATEST });
  // added to what is there (CORS puts Origin in Vary when origins are listed), never replacing it
  res.vary('Accept').vary('Accept-Language');
  if (!etagMatches(req.get('if-none-match'), tag)) return false;
  res.status(304).end();
  return true;
}
