import type { SnomedStore } from '../../store/snomed-store';
import type { ExpressionAttribute, SctExpression } from './expression';

/**
 * Normal forms of Snomed CT expressions (the long normal form of the SNOMED CT Compositional
 * Grammar's "Transforming expressions to normal forms"), and subsumption between them.
 *
 * A concept stands for its definition: a primitive concept for itself, a fully defined one for its
 * proximal primitive supertypes; either way with its (inferred) attribute relationships, each role
 * group a group and each ungrouped relationship a group of its own. A refinement adds its
 * attributes the same way. Redundancy is then removed: a focus concept that is a supertype of
 * another, a group another group says more than (each of its attributes is there, the same or more
 * specific), an attribute of a group another attribute of it refines. Two expressions that mean the
 * same thing have the same normal form: a concept and its definition, a refinement that restates
 * what the concept says, a conjunction with the concept's own supertype.
 *
 * A subsumes B when each focus concept of A is a supertype of (or is) a focus concept of B, and
 * each group of A is matched by a group of B that has each of its attributes, the same or more
 * specific. This is sound, but not complete for what a classifier would infer from the OWL axioms
 * (general concept inclusions, property chains), which is why a post-coordinated expression that
 * relates to no other this way cannot be said not to be subsumed.
 */

type Value = { kind: 'concept'; pk: number } | { kind: 'expression'; form: NormalForm } | { kind: 'concrete'; text: string };

interface Attribute {
  name: number;
  value: Value;
}

export interface NormalForm {
  /** focus concepts (pks): primitive concepts, none a supertype of another */
  focus: number[];
  /** role groups; an ungrouped attribute is a group of its own */
  groups: Attribute[][];
}

/** How deep nested definitions (attribute values that are expressions) are expanded. */
const MAX_DEPTH = 20;

export class SnomedNormalForms {
  private readonly definitions = new Map<number, NormalForm>();

  constructor(private readonly store: SnomedStore) {}

  /**
   * Does A subsume B (or are they equivalent)? Both are expressions the release's concepts make up
   * (checked). An expression stated `<<<` (a subtype of what it says, not defined by it) is below
   * its normal form, so it subsumes nothing but itself (the same expression, compared before).
   */
  subsumes(a: SctExpression, b: SctExpression): boolean {
    if (a.definitionStatus === '<<<') return false;
    return this.formSubsumes(this.ofExpression(a, 0), this.ofExpression(b, 0));
  }

  /** The normal form of an expression. */
  ofExpression(e: SctExpression, depth: number): NormalForm {
    const focus: number[] = [];
    const groups: Attribute[][] = [];
    for (const f of e.focus) {
      const d = this.ofConcept(this.pk(f.id));
      focus.push(...d.focus);
      groups.push(...d.groups);
    }
    const attribute = (a: ExpressionAttribute): Attribute => ({ name: this.pk(a.name.id), value: this.valueOf(a, depth) });
    for (const a of e.attributes) groups.push([attribute(a)]);
    for (const g of e.groups) groups.push(g.map(attribute));
    return this.reduce({ focus, groups });
  }

  /** A concept's definition as a normal form (kept: concepts are defined once per release). */
  ofConcept(pk: number): NormalForm {
    const known = this.definitions.get(pk);
    if (known) return known;
    const focus = this.isPrimitive(pk) ? [pk] : this.proximalPrimitives(pk);
    const byGroup = new Map<number, Attribute[]>();
    const groups: Attribute[][] = [];
    for (const r of this.store.relationshipsOf(pk)) {
      const value: Value = r.dest_pk !== null ? { kind: 'concept', pk: r.dest_pk } : { kind: 'concrete', text: concrete(r.value ?? '') };
      const a = { name: r.type_pk, value };
      if (r.grp === 0) groups.push([a]);
      else {
        let g = byGroup.get(r.grp);
        if (!g) byGroup.set(r.grp, (g = []));
        g.push(a);
      }
    }
    groups.push(...byGroup.values());
    const form = this.reduce({ focus, groups });
    if (this.definitions.size > 10_000) this.definitions.clear();
    this.definitions.set(pk, form);
    return form;
  }

  /** A's normal form subsumes B's (each focus concept and each group of A is there in B, the same or more specific). */
  formSubsumes(a: NormalForm, b: NormalForm): boolean {
    return a.focus.every((fa) => b.focus.some((fb) => this.conceptSubsumes(fa, fb))) && a.groups.every((ga) => b.groups.some((gb) => this.groupSubsumes(ga, gb)));
  }

  private groupSubsumes(a: Attribute[], b: Attribute[]): boolean {
    return a.every((x) => b.some((y) => this.attributeSubsumes(x, y)));
  }

  private attributeSubsumes(a: Attribute, b: Attribute): boolean {
    return this.conceptSubsumes(a.name, b.name) && this.valueSubsumes(a.value, b.value);
  }

  private valueSubsumes(a: Value, b: Value): boolean {
    if (a.kind === 'concrete' || b.kind === 'concrete') return a.kind === 'concrete' && b.kind === 'concrete' && a.text === b.text;
    if (a.kind === 'concept' && b.kind === 'concept') return this.conceptSubsumes(a.pk, b.pk);
    return this.formSubsumes(this.formOf(a), this.formOf(b));
  }

  private formOf(v: Value & { kind: 'concept' | 'expression' }): NormalForm {
    return v.kind === 'expression' ? v.form : this.ofConcept(v.pk);
  }

  private conceptSubsumes(a: number, b: number): boolean {
    return a === b || this.store.isDescendant(a, b);
  }

  private valueOf(a: ExpressionAttribute, depth: number): Value {
    if (a.value.kind === 'concrete') return { kind: 'concrete', text: concrete(a.value.text) };
    const v = a.value.expression;
    if (v.focus.length === 1 && v.attributes.length === 0 && v.groups.length === 0) return { kind: 'concept', pk: this.pk(v.focus[0].id) };
    if (depth >= MAX_DEPTH) throw new Error('the expression nests too deeply');
    return { kind: 'expression', form: this.ofExpression(v, depth + 1) };
  }

  /** Drops what another part says already: supertypes among the focus concepts, groups and attributes another one refines. */
  private reduce(f: NormalForm): NormalForm {
    const focus = minimal([...new Set(f.focus)], (x, y) => this.conceptSubsumes(x, y));
    const groups = minimal(
      f.groups.map((g) => minimal(g, (x, y) => this.attributeSubsumes(x, y))),
      (x, y) => this.groupSubsumes(x, y),
    );
    return { focus, groups };
  }

  private isPrimitive(pk: number): boolean {
    return this.store.sctConcepts([pk]).get(pk)?.defined !== 1;
  }

  /** The nearest primitive supertypes of a fully defined concept. */
  private proximalPrimitives(pk: number): number[] {
    const out = new Set<number>();
    const seen = new Set<number>();
    const walk = (p: number) => {
      for (const parent of this.store.parentPks(p)) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        if (this.isPrimitive(parent)) out.add(parent);
        else walk(parent);
      }
    };
    walk(pk);
    return minimal([...out], (x, y) => this.conceptSubsumes(x, y));
  }

  private pk(id: string): number {
    const pk = this.store.pkOf(id);
    if (pk === undefined) throw new Error(`Concept ${id} not found`);
    return pk;
  }
}

/** A concrete value written one way: numbers as numbers (#5.0 is #5), strings as written. */
function concrete(text: string): string {
  if (!text.startsWith('#')) return text;
  const n = Number(text.slice(1));
  return Number.isNaN(n) ? text : `#${n}`;
}

/**
 * The items no other item refines: `subsumes(x, y)` says x says no more than y, so x goes when
 * some other y is as or more specific (of two that say the same, the first stays).
 */
function minimal<T>(items: T[], subsumes: (x: T, y: T) => boolean): T[] {
  return items.filter((x, i) => !items.some((y, j) => j !== i && subsumes(x, y) && (!subsumes(y, x) || j < i)));
}
