import type { ConceptRow, ConceptStore, DesignationRow } from '../../store/concept-store';
import type { SctConceptRow, SnomedStore } from '../../store/snomed-store';
import type { Concept, Designation, PropertyValue } from '../providers/provider';
import type { SupplementAdditions } from '../providers/base';
import { SctExpression, renderExpression } from './expression';
import { SCT } from './sctid';
import { cacheCounter } from '../cache-stats';
import { sctLanguageTag } from '../languages';

/** Language reference sets that stand for a dialect (a language tag with a region). */
const DIALECTS: Record<string, string> = { [SCT.usEnglish]: 'en-US', [SCT.gbEnglish]: 'en-GB', [SCT.swedish]: 'sv-SE' };

import { LruCache } from '../../lru-cache';
import { conceptCacheBytes, conceptSize } from '../providers/concept-cache';

const SNOMED_CONCEPTS = cacheCounter('snomed-concepts');

function isoDate(yyyymmdd: number): string {
  const s = String(yyyymmdd);
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}`;
}

/** Makes parents or children a value read on first use (each costs a query). */
function lazy(c: Concept, name: 'parents' | 'children', read: () => Concept[]): void {
  Object.defineProperty(c, name, {
    configurable: true,
    enumerable: true,
    get() {
      const value = read();
      Object.defineProperty(c, name, { value, enumerable: true });
      return value;
    },
  });
}

/** What a Snomed CT concept carries besides the generic concept fields. */
export interface SnomedDetails {
  pk: number;
  inactive: boolean;
  module?: string;
  effectiveTime?: string;
  defined: boolean;
}

/**
 * Builds the engine's Concept objects for one Snomed CT release from the concept tables and
 * sct_concept, a batch at a time: designations in the order the importer ranked them (the
 * preferred term of each language first), the RF2 concept columns as properties, parents and
 * children read when first asked for. Post-coordinated expressions become concepts too, whose
 * code is the expression as written and whose display is the expression with terms.
 */
export class SnomedConcepts {
  /** built concepts, bounded by their size (KODVERK_CONCEPT_CACHE_MB); Snomed CT is read on demand, never all at once */
  private readonly byPk = new LruCache<number, Concept>(conceptCacheBytes(), conceptSize);
  private readonly details = new WeakMap<Concept, SnomedDetails>();
  private readonly expressions = new WeakMap<Concept, SctExpression>();
  private readonly byExpression = new Map<string, Concept>();
  /** descriptions a language reference set marks preferred (the preferred term of a language) */
  private readonly preferredTerms = new WeakSet<Designation>();

  constructor(
    private readonly concepts: ConceptStore,
    private readonly sct: SnomedStore,
    private readonly additions: Map<string, SupplementAdditions>,
  ) {}

  detailsOf(c: Concept): SnomedDetails | undefined {
    return this.details.get(c);
  }

  pkOf(c: Concept): number | undefined {
    return this.details.get(c)?.pk;
  }

  /** Is this description the preferred term of its language (preferred in a language reference set)? */
  isPreferredTerm(d: Designation): boolean {
    return this.preferredTerms.has(d);
  }

  expressionOf(c: Concept): SctExpression | undefined {
    return this.expressions.get(c);
  }

  byCode(code: string): Concept | undefined {
    const row = this.concepts.byCode(this.sct.csPk, code, true);
    return row ? this.fromRows([row])[0] : undefined;
  }

  /** Concepts for pks, in the order given (unknown pks left out). */
  fromPks(pks: number[]): Concept[] {
    const found = new Map<number, Concept>();
    const missing: number[] = [];
    for (const pk of pks) {
      const c = this.byPk.peek(pk);
      if (c) found.set(pk, c);
      else missing.push(pk);
    }
    // fromRows counts the missing ones (as misses)
    SNOMED_CONCEPTS.add(pks.length - missing.length, 0);
    if (missing.length) for (const c of this.fromRows(this.concepts.byPks(missing))) found.set(this.details.get(c)!.pk, c);
    return pks.map((pk) => found.get(pk)).filter((c): c is Concept => !!c);
  }

  /** Concepts for concept rows, building the ones not cached with three queries per batch. */
  fromRows(rows: ConceptRow[]): Concept[] {
    const known = rows.map((r) => this.byPk.peek(r.pk));
    const missing = rows.filter((_, i) => !known[i]).map((r) => r.pk);
    SNOMED_CONCEPTS.add(rows.length - missing.length, missing.length);
    if (missing.length === 0) return known as Concept[];
    const designations = this.concepts.designationsFor(missing);
    const sct = this.sct.sctConcepts(missing);
    const modules = this.sct.codesOf(new Set([...sct.values()].map((s) => s.module_pk).filter((m): m is number => m !== null)));
    return rows.map((r, i) => known[i] ?? this.build(r, designations.get(r.pk) ?? [], sct.get(r.pk), modules));
  }

  private build(row: ConceptRow, designationRows: DesignationRow[], sct: SctConceptRow | undefined, modules: Map<number, string>): Concept {
    const details: SnomedDetails = {
      pk: row.pk,
      inactive: row.inactive === 1,
      module: sct?.module_pk != null ? modules.get(sct.module_pk) : undefined,
      effectiveTime: sct ? isoDate(sct.effective_time) : undefined,
      defined: sct?.defined === 1,
    };
    const properties: PropertyValue[] = [{ code: 'inactive', valueKey: 'valueBoolean', value: details.inactive }];
    if (sct) {
      if (details.module) properties.push({ code: 'moduleId', valueKey: 'valueCode', value: details.module });
      properties.push({ code: 'effectiveTime', valueKey: 'valueDateTime', value: details.effectiveTime });
      properties.push({ code: 'sufficientlyDefined', valueKey: 'valueBoolean', value: details.defined });
    }
    const add = this.additions.get(row.code);
    const c: Concept = {
      code: row.code,
      display: row.display ?? undefined,
      designations: [...designationRows.map((d) => this.designation(d)), ...(add?.designations ?? [])],
      properties: [...properties, ...(add?.properties ?? [])],
      extensions: [...(add?.extensions ?? [])],
      parents: [],
      children: [],
    };
    lazy(c, 'parents', () => this.fromPks(this.sct.parentPks(row.pk)));
    lazy(c, 'children', () => this.fromPks(this.sct.childPks(row.pk)));
    this.byPk.set(row.pk, c);
    this.details.set(c, details);
    return c;
  }

  /** A description as a designation; an inactive one says so, a preferred term is remembered as such. */
  private designation(d: DesignationRow): Designation {
    const out: Designation = {
      language: d.language ?? undefined,
      use: d.use_code ? { system: d.use_system ?? undefined, code: d.use_code, display: d.use_display ?? undefined } : undefined,
      value: d.value,
      origin: 'codesystem',
    };
    if (d.inactive) out.status = 'inactive';
    const acc = d.extra ? (JSON.parse(d.extra) as { acc?: Record<string, string> }).acc : undefined;
    if (!d.inactive && acc && Object.values(acc).includes('P')) {
      this.preferredTerms.add(out);
      // the dialects its refsets stand for, and every refset by its private-use tag (en-x-sctlang-…)
      const refsets = Object.entries(acc).filter(([, a]) => a === 'P').map(([refset]) => refset);
      const tags = [...refsets.filter((r) => DIALECTS[r]).map((r) => DIALECTS[r]), ...(out.language ? refsets.map((r) => sctLanguageTag(out.language!, r)) : [])];
      if (tags.length) out.preferredFor = tags;
    }
    return out;
  }

  /**
   * The concept for a (checked) expression: the same object for the same text, so that
   * identity comparisons (equivalence in $subsumes) hold.
   */
  forExpression(text: string, e: SctExpression, focus: Concept[]): Concept {
    const known = this.byExpression.get(text);
    if (known) return known;
    const display = renderExpression(e, (x) => x.term ?? this.byCode(x.id)?.display);
    // the expression's code is its normal writing (terse: no terms, no whitespace, a comma before
    // each group); one written otherwise (beyond terms and whitespace) is valid but not in normal form
    const terse = renderExpression(e);
    const code = text.replace(/\|[^|]*\|/g, '').replace(/\s+/g, '') === terse ? text : terse;
    const c: Concept = { code, display, designations: [], properties: [], extensions: [], parents: focus, children: [] };
    if (this.byExpression.size > 1000) this.byExpression.clear();
    this.byExpression.set(text, c);
    this.expressions.set(c, e);
    return c;
  }
}
