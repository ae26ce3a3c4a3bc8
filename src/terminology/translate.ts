import type { Coding, ConceptMap, ConceptMapGroup, ConceptMapGroupElementTarget, ConceptMapGroupElementTargetDependsOn, ParametersParameter } from 'fhir/r4';
import type { TerminologyContext } from './context';
import { TerminologyError } from './issues';
import { canonicalOf, splitCanonical } from './versions';
import { implicitSnomedMap, isImplicitSnomedMap } from './snomed/implicit-maps';
import { TxParameters } from './params';
import { ValueSetValidator } from './validator';
import { SoftValidationError } from './membership';

export interface TranslateInput {
  /** the concept to translate (forward), or the target concept to find sources for (reverse) */
  coding: Coding;
  reverse: boolean;
  /** limit to maps with this target system (forward) or source system (reverse) */
  otherSystem?: string;
  conceptMapUrl?: string;
  conceptMapVersion?: string;
  conceptMap?: ConceptMap;
  /** value sets the maps must declare as their scope */
  sourceScope?: string;
  targetScope?: string;
  /** what the client says about other elements (R4 `dependency`): a target's dependsOn is met from these */
  dependencies?: Dependency[];
}

/** One `dependency` of the request: an element (R5: attribute) and its value as codings or a plain value. */
export interface Dependency {
  element: string;
  codings: Coding[];
}

/**
 * A `dependency` parameter: R4 parts element (uri) and concept (CodeableConcept); R5 names them
 * attribute and value[x] (code, Coding, string, boolean). Given without parts (a query string) it
 * says nothing that can be checked, and is refused rather than ignored: ignoring it would answer
 * mappings as if their conditions had been met, or not met, unasked.
 */
export function dependencyOf(p: ParametersParameter): Dependency {
  const part = (name: string) => p.part?.find((x) => x.name === name);
  const element = part('element')?.valueUri ?? part('attribute')?.valueUri ?? part('element')?.valueString ?? part('attribute')?.valueString;
  const concept = part('concept') ?? part('value');
  const codings: Coding[] = [...(concept?.valueCodeableConcept?.coding ?? (concept?.valueCoding ? [concept.valueCoding] : []))];
  const plain = concept?.valueCode ?? concept?.valueString ?? (concept?.valueBoolean !== undefined ? String(concept.valueBoolean) : undefined);
  if (plain !== undefined) codings.push({ code: plain });
  if (!element || !codings.length) throw bad("A dependency needs an element (part 'element') and a value (part 'concept'), sent as parts of a Parameters body");
  return { element, codings };
}

function bad(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text }, 400);
}

function groupSystem(url: string | undefined): { url?: string; version?: string } {
  return url ? splitCanonical(url) : {};
}

function mapScope(cm: ConceptMap, side: 'source' | 'target'): string | undefined {
  const any = cm as any;
  return side === 'source' ? any.sourceUri ?? any.sourceCanonical : any.targetUri ?? any.targetCanonical;
}

/** Equivalences that say the source has no counterpart in the target. */
const NOT_A_TRANSLATION = new Set(['unmatched', 'disjoint']);

/** R5 relationship → R4 equivalence, for a relationship stated in R5 terms (group.unmapped.relationship). */
const EQUIVALENCE: Record<string, string> = {
  'related-to': 'relatedto',
  equivalent: 'equivalent',
  'source-is-narrower-than-target': 'wider',
  'source-is-broader-than-target': 'narrower',
  'not-related-to': 'disjoint',
};

/** R5's group.unmapped.relationship, carried on an R4 ConceptMap by the cross-version extension. */
const EXT_UNMAPPED_RELATIONSHIP = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ConceptMap.group.unmapped.relationship';

/**
 * ConceptMap/$translate, forward (source → target) and reverse (which sources map to this
 * target). Maps are the one named by url, or every map (request and store) whose groups fit.
 */
export function translate(ctx: TerminologyContext, maps: ConceptMap[], input: TranslateInput): ParametersParameter[] {
  if (!input.coding.code) throw bad('Must provide sourceCode (with system), sourceCoding, or sourceCodeableConcept, or targetCode (with targetSystem)');
  if (!input.coding.system) throw bad(input.reverse ? 'targetSystem parameter is required when using targetCode' : 'system parameter is required when using code/sourceCode');
  let candidates: ConceptMap[];
  if (input.conceptMap) candidates = [input.conceptMap];
  else if (input.conceptMapUrl && isImplicitSnomedMap(input.conceptMapUrl)) {
    candidates = [implicitSnomedMap((system, v) => ctx.findCodeSystem(system, v), input.conceptMapUrl, input.conceptMapVersion, input.coding.code, input.reverse)];
  } else if (input.conceptMapUrl) {
    const cm = ctx.findConceptMap(input.conceptMapUrl, input.conceptMapVersion);
    if (!cm) {
      throw TerminologyError.of(
        { severity: 'error', code: 'not-found', txType: 'not-found', text: `ConceptMap not found: ${canonicalOf(input.conceptMapUrl, input.conceptMapVersion)}` },
        404,
      );
    }
    candidates = [cm];
  } else candidates = maps;
  if (input.sourceScope) candidates = candidates.filter((cm) => !mapScope(cm, 'source') || mapScope(cm, 'source') === input.sourceScope);
  if (input.targetScope) candidates = candidates.filter((cm) => !mapScope(cm, 'target') || mapScope(cm, 'target') === input.targetScope);

  const { system, code } = input.coding;
  // sourceScope "limits the scope of the $translate operation to source codes that are members of
  // this value set", targetScope likewise for target codes: the code asked about (a source code,
  // or in reverse a target code) outside its scope has no translation, whatever the maps say, and
  // an answer outside its scope is not given
  const askedScope = input.reverse ? { url: input.targetScope, name: 'targetScope' } : { url: input.sourceScope, name: 'sourceScope' };
  const answerScope = input.reverse ? { url: input.sourceScope, name: 'sourceScope' } : { url: input.targetScope, name: 'targetScope' };
  if (askedScope.url && !codeInValueSet(ctx, askedScope.url, input.coding, `the ${askedScope.name} parameter`, true)) {
    return [
      { name: 'result', valueBoolean: false },
      { name: 'message', valueString: `'${system}#${code}' is not in the value set '${askedScope.url}', so no ConceptMap can translate it` },
    ];
  }
  // ConceptMap.source[x] (R5 sourceScope) "limits the scope of the map to source codes that are
  // members of this value set" (target[x] likewise in reverse): a code outside it is not covered
  // by the map at all, so neither its elements nor its group.unmapped speak for it
  const named = !!(input.conceptMap || input.conceptMapUrl);
  const scoped = candidates.filter((cm) => mapScope(cm, input.reverse ? 'target' : 'source') && hasGroupFor(cm, system!, input.reverse));
  const outOfScope = new Set(scoped.filter((cm) => !codeInMapScope(ctx, cm, input.coding, input.reverse, named)));
  if (outOfScope.size) {
    candidates = candidates.filter((cm) => !outOfScope.has(cm));
    if (!candidates.some((cm) => hasGroupFor(cm, system!, input.reverse))) {
      const from = input.reverse ? input.otherSystem : system;
      const to = input.reverse ? system : input.otherSystem ?? input.targetScope;
      return [
        { name: 'result', valueBoolean: false },
        { name: 'message', valueString: `No ConceptMap that translates from '${from ?? '(unspecified)'}' to '${to ?? '(unspecified)'}' has '${system}#${code}' in scope` },
      ];
    }
  }

  const matches = new Matches(input.dependencies ?? []);
  const used: string[] = [];
  for (const cm of named ? candidates : consultationOrder(candidates)) {
    const origin = canonicalOf(cm.url ?? '', cm.version);
    if (!input.reverse) {
      forwardMatches(ctx, cm, system!, code!, input.coding.version, input.otherSystem, origin, matches, used, new Set([origin]));
      continue;
    }
    for (const g of cm.group ?? []) {
      const src = groupSystem(g.source);
      const tgt = groupSystem(g.target);
      if (tgt.url !== system || !sameVersion(g, 'target', input.coding.version)) continue;
      if (input.otherSystem && src.url !== input.otherSystem) continue;
      for (const el of g.element ?? []) {
        for (const t of el.target ?? []) {
          if (t.code !== code || !matches.holds(t, g, el.code)) continue;
          const m = targetMatch(t, g, origin);
          m.part!.push({ name: 'source', valueCoding: clean({ system: src.url, version: g.sourceVersion, code: el.code, display: el.display }) });
          matches.add(m);
        }
      }
    }
  }
  const found = matches.list.length;
  if (answerScope.url) matches.keepAnswersIn(membersOf(ctx, answerScope.url, `the ${answerScope.name} parameter`, true));
  // R4 $translate: "result can only be true if at least one returned match has an equivalence which
  // is not unmatched or disjoint". Such matches are still what the map says, so they are returned;
  // they just do not make the answer a translation.
  const out: ParametersParameter[] = [{ name: 'result', valueBoolean: matches.list.some(isTranslation) }];
  if (matches.list.length === 0) {
    const fits = candidates.some((cm) => hasGroupFor(cm, system!, input.reverse, input.otherSystem));
    const from = input.reverse ? input.otherSystem : system;
    const to = input.reverse ? system : input.otherSystem;
    let message = fits ? 'No translations found' : `No ConceptMap is available to translate from '${from ?? '(unspecified)'}' to '${to ?? '(unspecified)'}'`;
    if (found) message = `No translations found in the value set '${answerScope.url}' (the ${answerScope.name} parameter): the ${found === 1 ? 'one the maps give is' : `${found} the maps give are`} outside it`;
    // a mapping the map makes only under conditions the request does not meet is not an answer,
    // but "none found" would hide that it exists: the client is told which dependency it needs
    if (matches.unmet.length) message += `. ${matches.unmet.join('; ')}`;
    out.push({ name: 'message', valueString: message });
  }
  out.push(...matches.list);
  // the other maps consulted through group.unmapped (other-map), after the one the chain started from
  for (const u of used) out.push({ name: 'used-conceptmap', valueUri: u });
  return out;
}

/**
 * The answers for each coding of a CodeableConcept as one: a translation when any is, each match
 * once (in the codings' order), the maps used; the first coding's message when none translates.
 */
export function translationsTogether(answers: ParametersParameter[][]): ParametersParameter[] {
  const translated = answers.some((a) => a.find((p) => p.name === 'result')?.valueBoolean === true);
  const out: ParametersParameter[] = [{ name: 'result', valueBoolean: translated }];
  if (!translated) {
    const message = answers.map((a) => a.find((p) => p.name === 'message')).find((m) => m);
    if (message) out.push(message);
  }
  const seen = new Set<string>();
  for (const name of ['match', 'used-conceptmap']) {
    for (const p of answers.flatMap((a) => a.filter((x) => x.name === name))) {
      const key = JSON.stringify(p);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(p);
    }
  }
  return out;
}

/**
 * The matches of one map for a source code: each group from the code's system (to the target
 * system asked for) answers with its elements for the code, or, having none, with its
 * group.unmapped rule. An other-map rule hands the code to the map it names (originMap stays the
 * map the chain started from; the maps followed are reported as used-conceptmap).
 */
function forwardMatches(
  ctx: TerminologyContext,
  cm: ConceptMap,
  system: string,
  code: string,
  version: string | undefined,
  otherSystem: string | undefined,
  origin: string,
  matches: Matches,
  used: string[],
  chain: Set<string>,
): void {
  for (const g of cm.group ?? []) {
    if (groupSystem(g.source).url !== system || !sameVersion(g, 'source', version)) continue;
    if (otherSystem && groupSystem(g.target).url !== otherSystem) continue;
    const elements = (g.element ?? []).filter((el) => el.code === code);
    const targets = elements.flatMap((el) => (el.target ?? []).map((t) => ({ el, t })));
    const holding = targets.filter(({ el, t }) => matches.holds(t, g, el.code));
    for (const { t } of holding) matches.add(targetMatch(t, g, origin));
    // an element answers for its code, unless every mapping it makes holds only under conditions
    // this request does not meet: then the map has no mapping for the code here, and
    // group.unmapped (R4: "the default to be applied when there is no target concept mapping") does
    if (elements.length && (holding.length || !targets.length)) continue;
    if (g.unmapped?.mode === 'other-map') {
      const ref = g.unmapped.url ?? (g.unmapped as any).otherMap;
      if (!ref) continue;
      const { url, version } = splitCanonical(ref);
      const other = ctx.findConceptMap(url, version);
      const self = canonicalOf(cm.url ?? '', cm.version);
      if (!other) {
        throw TerminologyError.of(
          { severity: 'error', code: 'not-found', txType: 'not-found', text: `The ConceptMap ${ref} named in group.unmapped of the ConceptMap ${self} was not found` },
          422,
        );
      }
      const key = canonicalOf(other.url ?? '', other.version);
      if (chain.has(key)) {
        throw TerminologyError.of(
          { severity: 'error', code: 'business-rule', txType: 'business-rule', text: `ConceptMap ${self} has a circular group.unmapped reference to ${key}` },
          422,
        );
      }
      if (!used.includes(key)) used.push(key);
      forwardMatches(ctx, other, system, code, version, otherSystem, origin, matches, used, new Set([...chain, key]));
    } else unmapped(g, code, origin, matches);
  }
}

/** Whether a group of the map starts from (forward) or ends in (reverse) this system (and, if given, goes to or comes from the other). */
/**
 * Whether a group maps the version of the code asked about: a group that states the version of
 * its source (in reverse, target) system maps that version's codes, not another's; a code without
 * a version, or a group without one, is taken as before.
 */
function sameVersion(g: ConceptMapGroup, side: 'source' | 'target', version: string | undefined): boolean {
  const stated = side === 'source' ? g.sourceVersion ?? groupSystem(g.source).version : g.targetVersion ?? groupSystem(g.target).version;
  return !version || !stated || stated === version;
}

function hasGroupFor(cm: ConceptMap, system: string, reverse: boolean, otherSystem?: string): boolean {
  return (cm.group ?? []).some(
    (g) => groupSystem(reverse ? g.target : g.source).url === system && (!otherSystem || groupSystem(reverse ? g.source : g.target).url === otherSystem),
  );
}

/**
 * Whether the concept is a member of the value set the map declares as its scope on that side.
 * A scope that cannot be found cannot be evaluated: for a map the client named that is an error
 * (saying "no translation" would hide "cannot tell"); a map the server picked keeps applying on
 * the strength of its group systems, as before.
 */
function codeInMapScope(ctx: TerminologyContext, cm: ConceptMap, coding: Coding, reverse: boolean, named: boolean): boolean {
  const side = reverse ? 'target' : 'source';
  return codeInValueSet(ctx, mapScope(cm, side)!, coding, `the ${side} scope of the ConceptMap '${cm.url ?? '(inline)'}'`, named);
}

/** Membership of a concept in a scope value set; `required`: a value set that cannot be found is an error, else no limit. */
function codeInValueSet(ctx: TerminologyContext, scope: string, coding: Coding, what: string, required: boolean): boolean {
  return membersOf(ctx, scope, what, required)(coding);
}

/** The membership test of a scope value set, prepared once for many codes (see codeInValueSet). */
function membersOf(ctx: TerminologyContext, scope: string, what: string, required: boolean): (coding: Coding) => boolean {
  const { url, version } = splitCanonical(scope);
  const vs = ctx.findValueSet(url, version);
  if (!vs) {
    if (!required) return () => true;
    throw TerminologyError.of(
      {
        severity: 'error',
        code: 'not-found',
        txType: 'not-found',
        text: `The value set '${scope}', which is ${what}, could not be found, so the scope of the translation cannot be determined`,
      },
      404,
    );
  }
  const validator = new ValueSetValidator(ctx, new TxParameters(true), vs);
  try {
    validator.prepare();
  } catch (e) {
    // the scope names a value set it cannot resolve (an import): the scope cannot be evaluated
    if (e instanceof SoftValidationError) throw TerminologyError.of(e.issue, 422);
    throw e;
  }
  return (coding) => {
    const c: Coding = { system: coding.system, code: coding.code };
    if (coding.version) c.version = coding.version;
    const out = validator.validate({ coding: [c] }, 'coding');
    return out.find((p) => p.name === 'result')?.valueBoolean === true;
  };
}

function clean(c: Coding): Coding {
  const out: Coding = {};
  if (c.system) out.system = c.system;
  if (c.version) out.version = c.version;
  if (c.code) out.code = c.code;
  if (c.display) out.display = c.display;
  return out;
}

function match(equivalence: string | undefined, concept: Coding, origin: string): ParametersParameter {
  const eq = equivalence ?? 'equivalent';
  // R4's $translate says how the concepts relate by `equivalence` only; R5's `relationship` is not an
  // R4 output part (the suite's R4 answers leave it out or mark it optional)
  const part: ParametersParameter[] = [{ name: 'equivalence', valueCode: eq }];
  if (concept.code) part.push({ name: 'concept', valueCoding: clean(concept) });
  part.push({ name: 'originMap', valueCanonical: origin });
  return { name: 'match', part };
}

/**
 * The match for one target of a map element: its concept and equivalence, the target's comment
 * as the match message, and each product (another element the mapping produces) as a product
 * part with element and concept (R4 ConceptMap/$translate).
 */
function targetMatch(t: ConceptMapGroupElementTarget, g: ConceptMapGroup, origin: string): ParametersParameter {
  if (!t.code && t.equivalence === 'unmatched') return noMap(t, origin);
  const m = match(t.equivalence, { system: groupSystem(g.target).url, version: g.targetVersion, code: t.code, display: t.display }, origin);
  if (t.comment) m.part!.push({ name: 'message', valueString: t.comment });
  for (const pr of t.product ?? []) {
    const part: ParametersParameter[] = [{ name: 'element', valueUri: pr.property }];
    if (pr.value) part.push({ name: 'concept', valueCoding: clean({ system: pr.system, code: pr.value, display: pr.display }) });
    m.part!.push({ name: 'product', part });
  }
  return m;
}

/**
 * group.unmapped: what a code with no element maps to (provided / fixed). The relationship is the
 * one the map states (R5 group.unmapped.relationship, on R4 by its cross-version extension); a fixed
 * code it does not qualify is only known to be related (`relatedto`), never claimed equivalent.
 */
function unmapped(g: ConceptMapGroup, code: string, origin: string, out: Matches): void {
  const u = g.unmapped;
  if (!u) return;
  const tgt = groupSystem(g.target);
  const stated = u.extension?.find((e) => e.url === EXT_UNMAPPED_RELATIONSHIP)?.valueCode ?? (u as { relationship?: string }).relationship;
  const equivalence = stated ? EQUIVALENCE[stated] : undefined;
  if (u.mode === 'provided') out.add(match(equivalence ?? 'equal', { system: tgt.url, code }, origin));
  else if (u.mode === 'fixed' && u.code) out.add(match(equivalence ?? 'relatedto', { system: tgt.url, code: u.code, display: u.display }, origin));
}

/**
 * An element whose target is `unmatched` with no code (R5 noMap): the map says, positively, that the
 * concept has no counterpart. That is reported, as a match without a concept.
 */
function noMap(t: ConceptMapGroupElementTarget, origin: string): ParametersParameter {
  const part: ParametersParameter[] = [
    { name: 'noMap', valueBoolean: true },
    { name: 'originMap', valueCanonical: origin },
  ];
  if (t.comment) part.push({ name: 'message', valueString: t.comment });
  return { name: 'match', part };
}

/** Whether a match is a translation: it names a concept, and the map does not say it is unrelated. */
function isTranslation(m: ParametersParameter): boolean {
  const part = (name: string) => m.part?.find((p) => p.name === name);
  return !!part('concept') && !part('noMap') && !NOT_A_TRANSLATION.has(part('equivalence')?.valueCode ?? '');
}

/**
 * The matches of one request, each said once: two maps (or a map and the one it defers to) that
 * reach the same concept make one statement, the first map consulted answering for it. A target
 * with dependsOn "is only applicable if the specified element can be resolved, and it has the
 * specified value" (R4 ConceptMap): it is a match only when the request's dependencies say so.
 */
class Matches {
  readonly list: ParametersParameter[] = [];
  /** the conditional mappings left out, each said as what it would have needed */
  readonly unmet: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly dependencies: Dependency[]) {}

  /** Whether every dependsOn of the target is met by a dependency of the request (recording it when not). */
  holds(t: ConceptMapGroupElementTarget, g: ConceptMapGroup, sourceCode: string | undefined): boolean {
    const missing = (t.dependsOn ?? []).filter((d) => !this.dependencies.some((dep) => satisfies(dep, d)));
    if (!missing.length) return true;
    const needs = missing.map((d) => `'${d.property}' = '${d.system ? `${d.system}#` : ''}${d.value}'`).join(' and ');
    const supplied = this.dependencies.length ? 'the dependencies given do not say so' : 'no dependency was given';
    this.unmet.push(
      `The mapping of '${groupSystem(g.source).url ?? ''}#${sourceCode ?? ''}' to '${groupSystem(g.target).url ?? ''}#${t.code ?? ''}' holds only when ${needs}, and ${supplied}`,
    );
    return false;
  }

  /** Keeps only the matches whose answer (the concept; in reverse the source) passes `inScope`; a "no map" stays. */
  keepAnswersIn(inScope: (c: Coding) => boolean): void {
    const kept = this.list.filter((m) => {
      const c = Matches.answer(m);
      return !c || inScope(c);
    });
    this.list.splice(0, this.list.length, ...kept);
  }

  add(m: ParametersParameter): void {
    const key = Matches.key(m);
    if (key && this.seen.has(key)) return;
    if (key) this.seen.add(key);
    this.list.push(m);
  }

  /** In reverse the answer is the source concept; forward, the target concept (or "no map"). */
  private static answer(m: ParametersParameter): Coding | undefined {
    const coding = (name: string) => m.part?.find((p) => p.name === name)?.valueCoding;
    return coding('source') ?? coding('concept');
  }

  private static key(m: ParametersParameter): string | undefined {
    const c = Matches.answer(m);
    if (c) return `${c.system ?? ''}|${c.code ?? ''}`;
    return m.part?.some((p) => p.name === 'noMap') ? 'noMap' : undefined;
  }
}

/**
 * Whether a dependency of the request gives the element a dependsOn names the value it needs: the
 * same element, and a coding with that code (in that system, when both say one) or that plain value.
 */
function satisfies(dep: Dependency, d: ConceptMapGroupElementTargetDependsOn): boolean {
  if (dep.element !== d.property) return false;
  return dep.codings.some((c) => c.code === d.value && (!d.system || !c.system || c.system === splitCanonical(d.system).url));
}

/**
 * The order maps are consulted in when the client named none: a map that defers to another
 * (group.unmapped other-map) before the map it defers to, so the deferral answers in its own name;
 * otherwise the most recent first (by date), undated last, keeping the given order among equals.
 */
function consultationOrder(maps: ConceptMap[]): ConceptMap[] {
  const time = (cm: ConceptMap) => {
    const t = cm.date ? Date.parse(cm.date) : NaN;
    return Number.isNaN(t) ? -Infinity : t;
  };
  const byDate = (a: ConceptMap, b: ConceptMap) => (time(a) === time(b) ? 0 : time(b) - time(a));
  const byUrl = new Map<string, ConceptMap>();
  for (const cm of maps) {
    if (cm.url && !byUrl.has(cm.url)) byUrl.set(cm.url, cm);
    if (cm.url && cm.version) byUrl.set(canonicalOf(cm.url, cm.version), cm);
  }
  const deferredTo = new Map<ConceptMap, Set<ConceptMap>>(maps.map((cm) => [cm, new Set()]));
  const waiting = new Map<ConceptMap, number>(maps.map((cm) => [cm, 0]));
  for (const cm of maps) {
    for (const g of cm.group ?? []) {
      const ref = g.unmapped?.mode === 'other-map' ? g.unmapped.url ?? (g.unmapped as { otherMap?: string }).otherMap : undefined;
      const other = ref ? byUrl.get(ref) ?? byUrl.get(splitCanonical(ref).url) : undefined;
      if (other && other !== cm && !deferredTo.get(cm)!.has(other)) {
        deferredTo.get(cm)!.add(other);
        waiting.set(other, waiting.get(other)! + 1);
      }
    }
  }
  const ready = maps.filter((cm) => waiting.get(cm) === 0).sort(byDate);
  const ordered: ConceptMap[] = [];
  while (ready.length) {
    const cm = ready.shift()!;
    ordered.push(cm);
    for (const other of deferredTo.get(cm)!) {
      waiting.set(other, waiting.get(other)! - 1);
      if (waiting.get(other) === 0) {
        ready.push(other);
        ready.sort(byDate);
      }
    }
  }
  // maps in a circle of deferrals keep their date order at the end; following the circle is the error
  if (ordered.length < maps.length) ordered.push(...maps.filter((cm) => !ordered.includes(cm)).sort(byDate));
  return ordered;
}
