/**
 * The tree an ECL (Expression Constraint Language, SNOMED International's specification, v2)
 * expression is parsed into. The evaluator walks this tree against the store.
 */

/** Hierarchy operators: < << <! <<! > >> >! >>! and the top/bottom operators !!> !!<. */
export type HierarchyOp = '<' | '<<' | '<!' | '<<!' | '>' | '>>' | '>!' | '>>!' | '!!>' | '!!<';

export interface ConceptRef {
  kind: 'concept';
  id: string;
  term?: string;
}

export interface Wildcard {
  kind: 'wildcard';
}

/** [operator] [^] focus [{{ filters }}]: a concept, *, or a bracketed expression constraint. */
export interface SubExpression {
  kind: 'sub';
  op?: HierarchyOp;
  memberOf: boolean;
  /** ^ [targetComponentId] (or [valueId]): the members' targets/values instead of their referenced components */
  memberField?: 'target';
  focus: ConceptRef | Wildcard | EclNode;
  filters: EclFilter[];
  /** {{ +HISTORY… }}: add the inactive concepts these historical associations point from to the result */
  history?: HistorySupplement;
}

/** A history profile (MIN, MOD, MAX; plain HISTORY is MAX) or the association refsets an expression names. */
export type HistorySupplement = { profile: 'MIN' | 'MOD' | 'MAX' } | { refsets: EclNode };

/** AND / OR of two or more operands (never mixed without brackets). */
export interface Compound {
  kind: 'and' | 'or';
  operands: EclNode[];
}

export interface Exclusion {
  kind: 'minus';
  left: EclNode;
  right: EclNode;
}

export interface Refined {
  kind: 'refined';
  base: EclNode;
  refinement: Refinement;
}

/** base . attribute . attribute: the values of those attributes on the base concepts. */
export interface Dotted {
  kind: 'dotted';
  base: EclNode;
  attributes: EclNode[];
}

export type EclNode = SubExpression | Compound | Exclusion | Refined | Dotted;

/** [min..max]; max undefined means many (*). */
export interface Cardinality {
  min: number;
  max?: number;
}

export type ComparisonOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export type Comparison =
  | { type: 'expression'; op: '=' | '!='; value: EclNode }
  | { type: 'numeric'; op: ComparisonOp; value: number }
  /** one string, or a set of them in brackets (equal to any) */
  | { type: 'string'; op: '=' | '!='; values: string[] }
  | { type: 'boolean'; op: '=' | '!='; value: boolean };

export interface AttributeRefinement {
  kind: 'attribute';
  cardinality?: Cardinality;
  reverse: boolean;
  name: EclNode;
  comparison: Comparison;
}

export interface GroupRefinement {
  kind: 'group';
  cardinality?: Cardinality;
  inner: Refinement;
}

export interface RefinementSet {
  kind: 'and' | 'or';
  items: Refinement[];
}

export type Refinement = AttributeRefinement | GroupRefinement | RefinementSet;

/** A search term of a description filter: word-prefix match (default) or a wildcard pattern. */
export interface TypedTerm {
  type: 'match' | 'wild';
  text: string;
}

/**
 * The concepts a filter item names: SCTIDs (one concept, a set of them, or what an alias such as
 * `syn` or `en-gb` stands for) or an expression constraint (`moduleId = << 900000000000445007`).
 */
export type ConceptChoice = { ids: string[] } | { constraint: EclNode };

/** `effectiveTime <op> "YYYYMMDD"` or a set of dates in brackets (dates as numbers, 20250131). */
export interface TimeComparison {
  op: ComparisonOp;
  /** YYYYMMDD as numbers; 0 for "" (no effective time: not yet published) */
  dates: number[];
}

/** `active = 1|0|true|false|*` (or `!=`): the state asked for, any (`= *`) or none (`!= *`). */
export type ActiveChoice = boolean | 'any' | 'none';

/** A dialect (language reference set) and the acceptabilities asked for in it (none: either). */
export interface DialectChoice {
  refsets: ConceptChoice;
  acceptability: ('P' | 'A')[];
}

export type DescriptionFilterItem =
  | { kind: 'term'; op: '=' | '!='; terms: TypedTerm[] }
  | { kind: 'language'; op: '=' | '!='; codes: string[] }
  | { kind: 'type'; op: '=' | '!='; concepts: ConceptChoice }
  | { kind: 'dialect'; op: '=' | '!='; dialects: DialectChoice[] }
  | { kind: 'module'; op: '=' | '!='; concepts: ConceptChoice }
  | { kind: 'effectiveTime'; time: TimeComparison }
  | { kind: 'active'; value: ActiveChoice }
  | { kind: 'id'; op: '=' | '!='; ids: string[] };

export type ConceptFilterItem =
  | { kind: 'definitionStatus'; op: '=' | '!='; concepts: ConceptChoice }
  | { kind: 'module'; op: '=' | '!='; concepts: ConceptChoice }
  | { kind: 'active'; value: ActiveChoice }
  | { kind: 'effectiveTime'; time: TimeComparison };

/**
 * A member filter item on a field of reference set members: a concept field (the referenced
 * component, or the target of an association / the value of an attribute-value member) against an
 * expression constraint, a map target against search terms, or the member's module, effective
 * time or state.
 */
export type MemberFilterItem =
  | { kind: 'concept'; field: 'referencedComponentId' | 'target'; op: '=' | '!='; value: EclNode }
  | { kind: 'mapTarget'; op: '=' | '!='; terms: TypedTerm[] }
  | { kind: 'module'; op: '=' | '!='; concepts: ConceptChoice }
  | { kind: 'effectiveTime'; time: TimeComparison }
  | { kind: 'active'; value: ActiveChoice };

export type EclFilter =
  | { kind: 'description'; items: DescriptionFilterItem[] }
  | { kind: 'concept'; items: ConceptFilterItem[] }
  | { kind: 'member'; items: MemberFilterItem[] };

export function isWildcardNode(n: EclNode | ConceptRef | Wildcard): boolean {
  return n.kind === 'wildcard' || (n.kind === 'sub' && !n.op && !n.memberOf && n.filters.length === 0 && !n.history && isWildcardNode(n.focus));
}

/** A sub-expression node for a concept with an operator (filters built from FHIR filters). */
export function conceptNode(id: string, op?: HierarchyOp, memberOf = false): SubExpression {
  return { kind: 'sub', op, memberOf, focus: { kind: 'concept', id }, filters: [] };
}
