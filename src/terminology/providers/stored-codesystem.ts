import type { CodeSystem } from 'fhir/r4';
import type { ConceptRow, ConceptStore, DesignationRow, PropertyRow } from '../../store/concept-store';
import type { Concept, ConceptFilter, LocateResult } from './provider';
import { ConceptGraphProvider, SupplementAdditions, supplementAdditions } from './base';
import { TextFilter } from '../text-filter';
import type { IndexedCodeSystem } from './provider';

import { LruCache } from '../../lru-cache';
import { conceptCacheBytes, conceptSize } from './concept-cache';
import { cacheCounter } from '../cache-stats';

const CONCEPTS = cacheCounter('concepts');

/**
 * A stored code system whose concepts live in the concept tables: lookups, hierarchy and
 * subsumption are index queries (the closure table), text search uses the FTS5 index. Used for
 * every code system in the store, whatever its size.
 */
export class StoredCodeSystemProvider extends ConceptGraphProvider implements IndexedCodeSystem {
  /** built concepts, bounded by their size; Snomed-sized systems are read on demand, never all at once */
  private readonly byPk = new LruCache<number, Concept>(conceptCacheBytes(), conceptSize);
  private readonly pkOf = new WeakMap<Concept, number>();
  private readonly additions: Map<string, SupplementAdditions>;
  private count?: number;
  private rootCache?: Concept[];

  constructor(
    private readonly concepts: ConceptStore,
    private readonly csPk: number,
    resource: CodeSystem,
    supplements: CodeSystem[] = [],
  ) {
    super(resource, supplements);
    this.additions = supplementAdditions(supplements);
  }

  /** Builds (or finds) the concepts of many rows with two queries for their details. */
  private conceptsOf(rows: ConceptRow[]): Concept[] {
    const missing = rows.filter((r) => this.byPk.peek(r.pk) === undefined).map((r) => r.pk);
    // the missing ones count as misses when concept() builds them
    CONCEPTS.add(rows.length - missing.length, 0);
    const designations = missing.length ? this.concepts.designationsFor(missing) : new Map();
    const properties = missing.length ? this.concepts.propertiesFor(missing) : new Map();
    return rows.map((r) => this.byPk.peek(r.pk) ?? this.concept(r, designations.get(r.pk) ?? [], properties.get(r.pk) ?? []));
  }

  private concept(row: ConceptRow, designationRows?: DesignationRow[], propertyRows?: PropertyRow[]): Concept {
    const cached = this.byPk.peek(row.pk);
    if (cached) {
      CONCEPTS.hit();
      return cached;
    }
    CONCEPTS.miss();
    const store = this.concepts;
    const self = this;
    const designations: Concept['designations'] = (designationRows ?? store.designations(row.pk)).map((d) => ({
      language: d.language ?? undefined,
      use: d.use_system || d.use_code ? { system: d.use_system ?? undefined, code: d.use_code ?? undefined, display: d.use_display ?? undefined } : undefined,
      value: d.value,
      extension: d.extra ? JSON.parse(d.extra) : undefined,
      origin: 'codesystem' as const,
    }));
    const properties: Concept['properties'] = (propertyRows ?? store.properties(row.pk)).map((p) => ({ code: p.code, valueKey: p.value_type, value: JSON.parse(p.value_json) }));
    const extra = row.extra ? JSON.parse(row.extra) : {};
    const c: Concept = {
      code: row.code,
      display: row.display ?? undefined,
      definition: row.definition ?? undefined,
      designations,
      properties,
      extensions: [...(extra.extension ?? [])],
      get parents(): Concept[] {
        const v = self.conceptsOf(store.parents(row.pk));
        Object.defineProperty(this, 'parents', { value: v });
        return v;
      },
      get children(): Concept[] {
        const v = self.conceptsOf(store.children(row.pk));
        Object.defineProperty(this, 'children', { value: v });
        return v;
      },
    };
    const add = this.additions.get(row.code);
    if (add) {
      c.designations.push(...add.designations);
      c.properties.push(...add.properties);
      c.extensions.push(...add.extensions);
    }
    this.byPk.set(row.pk, c);
    this.pkOf.set(c, row.pk);
    return c;
  }

  private rows(pks: number[]): Concept[] {
    const fetched = new Map(this.conceptsOf(this.concepts.byPks(pks.filter((pk) => this.byPk.peek(pk) === undefined))).map((c) => [this.pkOf.get(c)!, c]));
    return pks.map((pk) => this.byPk.peek(pk) ?? fetched.get(pk)!).filter(Boolean);
  }

  locate(code: string): LocateResult {
    const row = this.concepts.byCode(this.csPk, code, this.info.caseSensitive);
    return row ? { concept: this.concept(row) } : {};
  }

  roots(): Concept[] {
    return (this.rootCache ??= this.conceptsOf(this.concepts.roots(this.csPk)));
  }

  *all(): Iterable<Concept> {
    let batch: ConceptRow[] = [];
    for (const row of this.concepts.iterate(this.csPk)) {
      batch.push(row);
      if (batch.length === 500) {
        yield* this.conceptsOf(batch);
        batch = [];
      }
    }
    yield* this.conceptsOf(batch);
  }

  totalCount(): number {
    return (this.count ??= this.concepts.count(this.csPk));
  }

  descendants(c: Concept): Concept[] {
    const pk = this.pkOf.get(c);
    return pk === undefined ? [] : this.rows(this.concepts.descendantPks(pk));
  }

  isDescendant(ancestor: Concept, descendant: Concept): boolean {
    const a = this.pkOf.get(ancestor);
    const d = this.pkOf.get(descendant);
    return a !== undefined && d !== undefined && a !== d && this.concepts.isDescendant(a, d);
  }

  protected override withPropertyValue(property: string, value: string): Concept[] | undefined {
    // only plain stored properties are indexed; well-known meanings (parent/child/inactive) are derived
    if (this.isDerivedProperty(property)) return undefined;
    if (property === 'display' || property === 'definition' || this.additions.size > 0) return undefined;
    return this.rows(this.concepts.withPropertyValue(this.csPk, property, value));
  }

  /** Paged expansions may read the rows directly: only for this class (kinds built on it add meanings of their own). */
  indexedRows(): ReturnType<IndexedCodeSystem['indexedRows']> {
    if (Object.getPrototypeOf(this) !== StoredCodeSystemProvider.prototype || this.additions.size > 0) return undefined;
    return { db: this.concepts.database, csPk: this.csPk, snomed: false };
  }

  conceptsByPk(pks: number[]): Concept[] {
    return this.rows(pks);
  }

  /** Concepts matching free text, through the full-text index. */
  search(text: string): ConceptFilter {
    const words = new TextFilter(text).words;
    return this.fromList(this.rows(this.concepts.search(this.csPk, words)));
  }
}
