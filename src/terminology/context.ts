import type { CodeSystem, ValueSet, ConceptMap } from 'fhir/r4';
import { namesOnly, type CodeSystemProvider } from './providers/provider';
import { compareVersions, splitCanonical, versionMatches, isWildcardVersion, canonicalOf, isVersionPathOf } from './versions';
import { requestCodeSystemProvider } from './providers/request-provider';
import { builtInCodeSystem, builtInCodeSystemByIdentifier, implicitValueSet } from './providers/registry';
import { identifierAliases } from './identifier-aliases';
import { TerminologyError } from './issues';

/** Where canonical resources come from, apart from those supplied with a request. */
export interface ResourceSource {
  /** All versions of a canonical URL of one type. */
  byUrl(resourceType: string, url: string): any[];
  /** CodeSystem supplements of a canonical URL. */
  supplementsOf(url: string): CodeSystem[];
  /** Urls of resources that carry this identifier (urn:oid:...). */
  urlsByIdentifier(value: string): { resourceType: string; url: string }[];
  /** Every stored ConceptMap (for $translate without a map url). */
  allConceptMaps(): any[];
  /** Builds (or returns a cached) provider for a stored code system. */
  providerFor(cs: CodeSystem, supplements: CodeSystem[]): CodeSystemProvider;
}

/** The resource the store holds that a given one is (same type, url, id and version), if any. */
export function storedCopy<T extends { id?: string; url?: string; version?: string }>(source: ResourceSource, resourceType: string, r: T): T | undefined {
  if (!r.id || !r.url) return undefined;
  return source.byUrl(resourceType, r.url).find((s: T) => s.id === r.id && s.version === r.version);
}

/** Providers of code systems sent with requests, by the resource object and its supplements' objects. */
const requestProviders = new WeakMap<CodeSystem, Map<string, CodeSystemProvider>>();
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

function sameVersionKey(r: any): string {
  return r.version ?? '';
}

/**
 * What one operation call can see: the store plus the resources passed with the request
 * (tx-resource parameters), which win over stored ones with the same url and version.
 */
export class TerminologyContext {
  private readonly txByType = new Map<string, any[]>();
  /**
   * The request's `date`: the day whose definitions to use. A reference without a version then
   * means the latest version published (`date`) on or before that day; an undated one is taken
   * as in force on any day. A version named explicitly is used as named.
   */
  asOf?: string;

  constructor(
    private readonly source: ResourceSource,
    txResources: any[] = [],
  ) {
    for (const r of txResources) {
      if (!r || typeof r.resourceType !== 'string') continue;
      const list = this.txByType.get(r.resourceType) ?? [];
      list.push(r);
      this.txByType.set(r.resourceType, list);
    }
  }

  /** Every version of a canonical of one type, request resources first. */
  candidates<T = any>(resourceType: string, url: string): T[] {
    const tx = (this.txByType.get(resourceType) ?? []).filter((r) => r.url === url);
    const seen = new Set(tx.map(sameVersionKey));
    const stored = this.source.byUrl(resourceType, url).filter((r) => !seen.has(sameVersionKey(r)));
    let all = [...tx, ...stored];
    if (resourceType === 'CodeSystem') {
      // a code system a provider kind serves from a package (UCUM, BCP-47, ...) is always known;
      // a stored or sent resource with the same url and version comes first (README: which resource wins)
      const builtIn = builtInCodeSystem(url);
      if (builtIn && !all.some((r) => sameVersionKey(r) === sameVersionKey(builtIn))) all.push(builtIn);
    }
    if (all.length === 0 && url.startsWith('urn:oid:')) {
      // an OID system URI names the code system that carries it as identifier
      const alias = this.aliasesOf(url).find((x) => x.resourceType === resourceType)?.url ?? (resourceType === 'CodeSystem' ? builtInCodeSystemByIdentifier(url)?.url : undefined);
      if (alias) all = this.candidates(resourceType, alias);
    }
    return all;
  }

  /**
   * The canonical URL a system URI stands for: itself, or the code system an `urn:oid:` names
   * (as its identifier, or through a NamingSystem).
   */
  canonicalSystem(system: string): string {
    if (!system.startsWith('urn:oid:')) return system;
    if ((this.txByType.get('CodeSystem') ?? []).some((c) => c.url === system) || this.source.byUrl('CodeSystem', system).length) return system;
    return this.aliasesOf(system).find((x) => x.resourceType === 'CodeSystem')?.url ?? builtInCodeSystemByIdentifier(system)?.url ?? system;
  }

  /** The canonicals an identifier names: among the request's resources first (NamingSystems too), then the store's. */
  private aliasesOf(identifier: string): { resourceType: string; url: string }[] {
    return [...identifierAliases([...this.txByType.values()].flat(), identifier), ...this.source.urlsByIdentifier(identifier)];
  }

  /**
   * Picks the resource for url + version. Without a version: the latest (highest version by
   * the documented ordering). A wildcard version (1.0.x) picks the latest match, and so does an
   * edition URI (http://snomed.info/sct/<module>: the latest release of that edition). With the
   * request's `date`, "latest" is among the versions published by then.
   */
  pick<T extends { version?: string; date?: string }>(list: T[], version?: string): T | undefined {
    if (list.length === 0) return undefined;
    if (version === undefined || version === '') {
      const current = this.inForce(list);
      // without a version, what the client sent with the request is what it means
      const sent = current.filter((r) => this.isRequestResource(r));
      return latest(sent.length ? sent : current);
    }
    const exact = list.find((r) => r.version === version);
    if (exact) return exact;
    if (isWildcardVersion(version)) return latest(this.inForce(list.filter((r) => versionMatches(version, r.version)), false));
    const below = list.filter((r) => r.version !== undefined && isVersionPathOf(version, r.version));
    if (below.length) return latest(below);
    return undefined;
  }

  /**
   * The versions in force on the request's day (all of them without a `date`). None at all is an
   * error that says so, not an unknown resource: the resource is known, only not yet then.
   */
  private inForce<T extends { version?: string; date?: string }>(list: T[], orRefuse = true): T[] {
    const day = this.asOf;
    if (!day || list.length === 0) return list;
    const kept = list.filter((r) => !r.date || publishedBy(r.date, day));
    if (kept.length === 0 && orRefuse) {
      const first = [...list].sort((a, b) => (a.date ?? '').localeCompare(b.date ?? ''))[0] as T & { resourceType?: string; url?: string };
      throw TerminologyError.of(
        {
          severity: 'error',
          code: 'not-found',
          txType: 'not-found',
          text: `No version of the ${first.resourceType ?? 'resource'} '${first.url ?? ''}' was published on or before ${day} (the earliest held, ${first.version ?? 'without a version'}, is dated ${first.date})`,
        },
        422,
      );
    }
    return kept;
  }

  private isRequestResource(r: unknown): boolean {
    for (const list of this.txByType.values()) if (list.includes(r)) return true;
    return false;
  }

  codeSystemResource(url: string, version?: string, includeSupplements = false): CodeSystem | undefined {
    const list = this.candidates<CodeSystem>('CodeSystem', url).filter((c) => includeSupplements || c.content !== 'supplement');
    return this.pick(list, version);
  }

  /** Versions of a code system known here, sorted. */
  codeSystemVersions(url: string): string[] {
    const vs = this.candidates<CodeSystem>('CodeSystem', url)
      .filter((c) => c.content !== 'supplement')
      .map((c) => c.version)
      .filter((v): v is string => !!v);
    return [...new Set(vs)].sort();
  }

  /** Supplements available for a code system (from the request and the store). */
  supplementsFor(url: string, version?: string): CodeSystem[] {
    const applies = (s: CodeSystem) => {
      if (!s.supplements) return false;
      const target = splitCanonical(s.supplements);
      if (target.url !== url) return false;
      return !target.version || !version || target.version === version || versionMatches(target.version, version);
    };
    const tx = (this.txByType.get('CodeSystem') ?? []).filter((c) => c.content === 'supplement' && applies(c));
    const seen = new Set(tx.map((c) => canonicalOf(c.url, c.version)));
    const stored = this.source.supplementsOf(url).filter((c) => applies(c) && !seen.has(canonicalOf(c.url ?? '', c.version)));
    return [...tx, ...stored];
  }

  /** Is this canonical a supplement (not a code system in its own right)? */
  findSupplement(url: string, version?: string): CodeSystem | undefined {
    return this.pick(
      this.candidates<CodeSystem>('CodeSystem', url).filter((c) => c.content === 'supplement'),
      version,
    );
  }

  /**
   * The provider for a code system, with the given supplements applied (canonicals, with or
   * without |version). Unknown supplements are simply not applied; callers check
   * `provider.info.supplements` to report the missing ones.
   */
  findCodeSystem(url: string, version?: string, supplementCanonicals: Iterable<string> = []): CodeSystemProvider | undefined {
    const cs = this.codeSystemResource(url, version);
    if (!cs) return undefined;
    const provider = this.withSupplements(cs, supplementCanonicals);
    if (!namesOnly(provider)) return provider;
    // a definition without content (FHIR core's Snomed CT stub) only names its code system: what
    // is served is the content held for that url and version, and with none the code system is not
    // served here, so no operation takes its codes on trust (the IG: not-present is not processed)
    const held = this.candidates<CodeSystem>('CodeSystem', url).filter((c) => c !== cs && c.content !== 'supplement' && c.content !== 'not-present');
    const other = this.pick(held, version);
    return other ? this.withSupplements(other, supplementCanonicals) : undefined;
  }

  /**
   * The provider for the code system an instance-level call names (CodeSystem/[id]/$lookup, ...),
   * built as a type-level call on its url and version builds it: from the resource the store holds
   * (its concept tables, its code-system kind; the instance handed to the engine is a copy), with
   * the supplements asked for and the language packs that apply. The instance itself when the
   * store does not hold it. A resource whose content is `not-present` only names its code system
   * (FHIR core's SNOMED CT stub): the code system is the one the server serves for that url and
   * version, as for a type-level call and as $validate-code on the instance already answered.
   */
  instanceCodeSystem(instance: CodeSystem, supplementCanonicals: Iterable<string> = []): CodeSystemProvider {
    const held = storedCopy(this.source, 'CodeSystem', instance);
    const named = instance.content === 'not-present' && instance.url ? this.findCodeSystem(instance.url, instance.version, supplementCanonicals) : undefined;
    return named ?? this.withSupplements(held ?? instance, supplementCanonicals);
  }

  private withSupplements(cs: CodeSystem, supplementCanonicals: Iterable<string>): CodeSystemProvider {
    const url = cs.url ?? '';
    const wanted = [...supplementCanonicals];
    const available = this.supplementsFor(url, cs.version);
    const supplements: CodeSystem[] = [];
    for (const w of wanted) {
      const { url: su, version: sv } = splitCanonical(w);
      const s = this.pick(available.filter((a) => a.url === su), sv);
      if (s && !supplements.includes(s)) supplements.push(s);
    }
    // a language pack adds translations only: it applies without being asked for
    for (const s of available) if (isLanguagePack(s) && !supplements.includes(s)) supplements.push(s);
    return this.providerFor(cs, supplements);
  }

  providerFor(cs: CodeSystem, supplements: CodeSystem[]): CodeSystemProvider {
    const isTx = (this.txByType.get('CodeSystem') ?? []).includes(cs) || supplements.some((s) => (this.txByType.get('CodeSystem') ?? []).includes(s));
    if (!isTx) return this.source.providerFor(cs, supplements);
    // by the very objects: those of a client cache outlive the call (held-resources.ts), and so
    // does what was built from them; a call's own are new objects each time
    const key = supplements.map(objectId).join(',');
    let byKey = requestProviders.get(cs);
    if (!byKey) requestProviders.set(cs, (byKey = new Map()));
    let p = byKey.get(key);
    if (!p) byKey.set(key, (p = requestCodeSystemProvider(cs, supplements)));
    return p;
  }

  /** A value set by url (and version): sent with the request, stored, or implicit (a code-system kind's). */
  findValueSet(url: string, version?: string): ValueSet | undefined {
    return this.pick(this.candidates<ValueSet>('ValueSet', url), version) ?? (version ? undefined : implicitValueSet(url, (system, v) => this.findCodeSystem(system, v)));
  }

  valueSetVersions(url: string): string[] {
    return [...new Set(this.candidates<ValueSet>('ValueSet', url).map((v) => v.version).filter((v): v is string => !!v))].sort(compareVersions);
  }

  findConceptMap(url: string, version?: string): ConceptMap | undefined {
    return this.pick(this.candidates<ConceptMap>('ConceptMap', url), version);
  }

  /** Whether a resource is one the server holds (not sent with the request, not implicit). */
  isStored(resourceType: string, r: { id?: string; url?: string; version?: string }): boolean {
    return !(this.txByType.get(resourceType) ?? []).includes(r) && !!storedCopy(this.source, resourceType, r);
  }

  /** Concept maps from the request and the store (for $translate without a url). */
  requestResources(resourceType: string): any[] {
    return this.txByType.get(resourceType) ?? [];
  }
}

/**
 * Was a resource dated `date` published by `day`? Compared by day, at the coarser of the two
 * precisions: a version dated 2025 counts as published by 2025-01-15, one dated 2025-03 does not.
 */
export function publishedBy(date: string, day: string): boolean {
  const d = date.slice(0, 10);
  const n = Math.min(d.length, day.length);
  return d.slice(0, n) <= day.slice(0, n);
}

function latest<T extends { version?: string }>(list: T[]): T | undefined {
  let best: T | undefined;
  for (const r of list) if (!best || compareVersions(r.version, best.version) > 0) best = r;
  return best;
}

const SUPPLEMENT_TYPE = 'http://hl7.org/fhir/StructureDefinition/codesystem-supplement-type';

/** A supplement marked as a language pack (codesystem-supplement-type = lang-pack). */
export function isLanguagePack(cs: CodeSystem): boolean {
  return !!cs.extension?.some((e) => e.url === SUPPLEMENT_TYPE && e.valueCode === 'lang-pack');
}
