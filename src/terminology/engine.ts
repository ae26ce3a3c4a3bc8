import type { CodeSystem, CodeableConcept, Coding, ConceptMap, ParametersParameter, ValueSet } from 'fhir/r4';
import { TerminologyContext, ResourceSource, storedCopy } from './context';
import type { CodeSystemProvider } from './providers/provider';
import './code-system-kinds';
import { TxParameters } from './params';
import { ValueSetExpander } from './expander';
import { ValidationMode, ValueSetValidator, valueSetForCodeSystem } from './validator';
import { SoftValidationError } from './membership';
import { TerminologyError, outcomeOf, txIssue } from './issues';
import { formatMessage } from './messages';
import { canonicalOf, compareVersions, splitCanonical, versionMatches } from './versions';
import { presentVersions } from './expander';
import { lookupCode } from './lookup';
import { pinValueSet, resolveCodeSystemVersion } from './resolution';
import { dependencyOf, translate, translationsTogether } from './translate';
import { withWebSource } from './web-source';
import { ValueSetComparer, comparisonParameters } from './compare';
import type { HeldResources } from './held-resources';

/** One call's inputs, as the FHIR layer parsed them. */
export interface OperationRequest {
  /** every parameter of the call (Parameters.parameter or the query string as strings) */
  parameters: ParametersParameter[];
  /** resources supplied with the call (tx-resource) */
  txResources: any[];
  /** resources the client registered earlier (a client cache), taken as tx-resources after its own */
  heldResources?: HeldResources;
  acceptLanguage?: string;
  /** a lower too-costly threshold asked for by the client (never raises the server's) */
  maxCodes?: number;
  /** where people can look at a stored resource: an absolute URL prefix by resource type (the id follows) */
  webViews?: Record<string, string>;
}

export interface EngineOptions {
  /** most codes an expansion returns without paging (no `count`): beyond it, too-costly */
  maxExpansionCodes: number;
  /**
   * most codes the engine assembles for one expansion when it need not return them all: how far
   * `offset` + `count` may reach, how far a page's `total` is counted, what `$compare` expands
   * (never below maxExpansionCodes)
   */
  maxAssembledCodes: number;
  /** milliseconds an expansion may take */
  expansionTimeoutMs: number;
  /** page expansions in SQL where the definition qualifies (false: always the general path; tests compare both) */
  pagedExpansion: boolean;
}

const DEFAULT_OPTIONS: EngineOptions = { maxExpansionCodes: 10000, maxAssembledCodes: 10000, expansionTimeoutMs: 30000, pagedExpansion: true };

function get(params: ParametersParameter[], name: string): ParametersParameter | undefined {
  return params.find((p) => p.name === name);
}

function str(params: ParametersParameter[], name: string): string | undefined {
  const p = get(params, name);
  if (!p) return undefined;
  for (const [k, v] of Object.entries(p)) if (k.startsWith('value') && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return String(v);
  return undefined;
}

/** A terminology resource an instance-level call is about. */
type InstanceResource = { resourceType: string; url?: string; version?: string };

/**
 * At the instance level the resource the path names is the one the operation is about: R4's
 * OperationDefinitions name it by `url` (+version), an inline resource or the instance ("url ...
 * must be provided unless the operation is invoked on an instance"). A request that also names a
 * DIFFERENT one (another url, a version the instance is not, an inline resource of another url)
 * contradicts itself and is refused, 400, rather than silently answered for the instance (HAPI
 * refuses any such combination: "must EITHER be invoked at the instance level, or have a url
 * specified, or have a ValueSet specified"). Naming the instance itself again is harmless.
 * `named`: the url (or url|version) a parameter gives; `version`: a version a parameter gives.
 */
function checkInstanceNamed(instance: InstanceResource | undefined, param: string, named: string | undefined, version?: string, normalise: (url: string) => string = (u) => u): void {
  if (!instance || (named === undefined && version === undefined)) return;
  const split = named !== undefined ? splitCanonical(named) : undefined;
  const url = split?.url;
  const v = version ?? split?.version;
  const sameUrl = url === undefined || (instance.url !== undefined && normalise(url) === normalise(instance.url));
  const sameVersion = v === undefined || v === instance.version || versionMatches(v, instance.version);
  if (sameUrl && sameVersion) return;
  const type = instance.resourceType;
  const what = url !== undefined && !sameUrl ? canonicalOf(url, v) : `version '${v}'`;
  const text = `The operation is invoked on the ${type} ${canonicalOf(instance.url ?? '(no url)', instance.version)}, but the parameter '${param}' names ${what}: a request names one ${type}, either by the instance or (at the type level) by its parameters`;
  throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: [param] }, 400);
}

/**
 * The terminology engine: code-system providers, expansion, validation, lookup, subsumption and
 * translation over a resource source. Free of HTTP; the FHIR layer parses requests into
 * OperationRequests and renders what comes back.
 */
export class TerminologyEngine {
  readonly options: EngineOptions;

  constructor(
    readonly source: ResourceSource,
    options: Partial<EngineOptions> = {},
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
  }

  context(txResources: any[] = []): TerminologyContext {
    return new TerminologyContext(this.source, txResources);
  }

  /**
   * The context of an instance-level call on a code system: the instance is the stored resource
   * (found by url, version and id, and served from the store as a type-level call serves it); one
   * the store does not hold is taken as if sent with the request.
   */
  private codeSystemInstanceContext(req: OperationRequest, instance: CodeSystem | undefined): TerminologyContext {
    return this.context(instance && !storedCopy(this.source, 'CodeSystem', instance) ? [...req.txResources, instance] : req.txResources);
  }

  private txParams(req: OperationRequest, validating: boolean): TxParameters {
    const p = new TxParameters(validating);
    p.setAcceptLanguage(req.acceptLanguage);
    p.readAll(req.parameters);
    return p;
  }

  /**
   * The too-costly threshold: the server's, lowered by the client's header or `limit` parameter,
   * never raised. An answer that returns every code (an unpaged expansion) is held to the lower
   * limit; a page, or a comparison that returns no codes, may assemble up to the higher one.
   */
  private maxCodes(req: OperationRequest, params: TxParameters, returnsAll: boolean): number {
    const asked = [req.maxCodes, params.limit].filter((n): n is number => n !== undefined && n > 0);
    const { maxExpansionCodes, maxAssembledCodes } = this.options;
    return Math.min(returnsAll ? maxExpansionCodes : Math.max(maxExpansionCodes, maxAssembledCodes), ...asked);
  }

  /** The value set a call is about: the instance, a valueSet parameter, or url (+valueSetVersion). */
  private requestValueSet(ctx: TerminologyContext, req: OperationRequest, instance: ValueSet | undefined, missingText: string): ValueSet {
    if (instance) {
      const named = str(req.parameters, 'url');
      checkInstanceNamed(instance, named !== undefined ? 'url' : 'valueSetVersion', named, str(req.parameters, 'valueSetVersion'));
      const inline = get(req.parameters, 'valueSet')?.resource as ValueSet | undefined;
      if (inline) checkInstanceNamed(instance, 'valueSet', inline.url ?? '(a value set without a url)', inline.version);
    }
    const given = instance ?? (get(req.parameters, 'valueSet')?.resource as ValueSet | undefined);
    if (given) return given;
    const url = str(req.parameters, 'url');
    if (!url && get(req.parameters, 'context')) {
      // where a value set is bound (a NIM attribute) is resolved above the engine, by the FHIR
      // operations (binding-context.ts): a call that reaches here with it alone had no resolver
      throw TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'not-supported', text: "The parameter 'context' could not be resolved here: name the value set with 'url' or send it as 'valueSet'" }, 400);
    }
    if (!url) throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: missingText }, 400);
    // the value-set version rules apply to the value set a request names as to any reference
    const explicit = str(req.parameters, 'valueSetVersion');
    const pinned = pinValueSet(this.txParams(req, false), explicit ? `${splitCanonical(url).url}|${explicit}` : url);
    const vs = ctx.findValueSet(pinned.url, pinned.version);
    if (!vs) throw TerminologyError.of(txIssue('error', 'not-found', 'not-found', 'Unable_to_resolve_value_Set_', [canonicalOf(pinned.url, pinned.version)]), 422);
    pinned.check(vs.version);
    return vs;
  }

  // ---- $expand ----------------------------------------------------------------------------

  expand(req: OperationRequest, instance?: ValueSet): ValueSet {
    const ctx = this.context(req.txResources);
    const params = this.txParams(req, false);
    ctx.asOf = params.asOf;
    const vs = this.requestValueSet(ctx, req, instance, 'Must provide either a ValueSet resource or a url parameter');
    const expander = new ValueSetExpander(ctx, params, { maxCodes: this.maxCodes(req, params, params.count === undefined), deadline: Date.now() + this.options.expansionTimeoutMs, paged: this.options.pagedExpansion });
    const expansion = expander.expand(vs);
    // a value set the server holds is named with its page (web-source), as when it is read: the
    // terminology ecosystem IG asks for it "in any $expand of the value set (just for the root)"
    const prefix = req.webViews?.ValueSet;
    const held = instance ? true : get(req.parameters, 'valueSet')?.resource !== vs && ctx.isStored('ValueSet', vs);
    return prefix && vs.id && held ? withWebSource(expansion, prefix + encodeURIComponent(vs.id)) : expansion;
  }

  // ---- $compare (also $related) ------------------------------------------------------------

  /**
   * How the value set `this` (the instance, thisValueSet or thisUrl) relates to `other`
   * (otherValueSet or otherUrl): same, subset, superset, overlapping, disjoint, empty or
   * indeterminate, and whether it took expanding them to tell.
   */
  compare(req: OperationRequest, instance?: ValueSet): ParametersParameter[] {
    const ctx = this.context(req.txResources);
    const params = this.txParams(req, false);
    if (instance) {
      const named = str(req.parameters, 'thisUrl');
      checkInstanceNamed(instance, named !== undefined ? 'thisUrl' : 'thisVersion', named, str(req.parameters, 'thisVersion'));
      const inline = get(req.parameters, 'thisValueSet')?.resource as ValueSet | undefined;
      if (inline) checkInstanceNamed(instance, 'thisValueSet', inline.url ?? '(a value set without a url)', inline.version);
    }
    const side = (prefix: 'this' | 'other', given?: ValueSet): ValueSet => {
      const vs = given ?? (get(req.parameters, `${prefix}ValueSet`)?.resource as ValueSet | undefined);
      if (vs) return vs;
      const ref = str(req.parameters, `${prefix}Url`);
      if (!ref) throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'COMPARE_NO_VALUE_SET', [prefix]), 400);
      const { url, version } = splitCanonical(ref);
      const v = str(req.parameters, `${prefix}Version`) ?? version;
      const found = ctx.findValueSet(url, v);
      if (!found) throw TerminologyError.of(txIssue('error', 'not-found', 'not-found', 'Unable_to_resolve_value_Set_', [canonicalOf(url, v)]), 422);
      return found;
    };
    const comparer = new ValueSetComparer(ctx, params, { maxCodes: this.maxCodes(req, params, false), deadline: Date.now() + this.options.expansionTimeoutMs });
    return comparisonParameters(comparer.compare(side('this', instance), side('other')));
  }

  // ---- $validate-code ---------------------------------------------------------------------

  /** The coded value of a $validate-code call and how it was given (OID systems as canonical URLs). */
  private codedValue(ctx: TerminologyContext, params: ParametersParameter[], forCodeSystem: boolean, tx: TxParameters): { coded: CodeableConcept; mode: ValidationMode } | undefined {
    const value = this.rawCodedValue(params, forCodeSystem, tx);
    for (const c of value?.coded.coding ?? []) if (c.system) c.system = ctx.canonicalSystem(c.system);
    return value;
  }

  private rawCodedValue(params: ParametersParameter[], forCodeSystem: boolean, tx: TxParameters): { coded: CodeableConcept; mode: ValidationMode } | undefined {
    const cc = structuredClone(get(params, 'codeableConcept')?.valueCodeableConcept);
    if (cc) {
      tx.see('inferSystem', { name: 'inferSystem', valueBoolean: false }, true);
      return { coded: cc, mode: 'codeableConcept' };
    }
    const coding = structuredClone(get(params, 'coding')?.valueCoding);
    if (coding) {
      tx.see('inferSystem', { name: 'inferSystem', valueBoolean: false }, true);
      return { coded: { coding: [coding] }, mode: 'coding' };
    }
    const code = str(params, 'code');
    if (code === undefined) return undefined;
    const system = forCodeSystem ? str(params, 'url') ?? str(params, 'system') : str(params, 'system');
    // ValueSet/$validate-code names the code's version 'systemVersion' (R4); 'version' is its STU3
    // name, still sent by clients (the HL7 suite's own requests do), so it is taken when alone
    const version = forCodeSystem ? str(params, 'version') : str(params, 'systemVersion') ?? str(params, 'version');
    const display = str(params, 'display');
    if (!system && !tx.inferSystem && !forCodeSystem) return undefined;
    const c: Coding = { code };
    if (system) c.system = system;
    if (version) c.version = version;
    if (display) c.display = display;
    return { coded: { coding: [c] }, mode: 'code' };
  }

  validateValueSetCode(req: OperationRequest, instance?: ValueSet): ParametersParameter[] {
    const ctx = this.context(req.txResources);
    const params = this.txParams(req, true);
    ctx.asOf = params.asOf;
    const vs = this.requestValueSet(ctx, req, instance, 'No ValueSet specified - provide url parameter or valueSet resource');
    const value = this.codedValue(ctx, req.parameters, false, params);
    if (!value) {
      throw TerminologyError.of(
        { severity: 'error', code: 'invalid', text: 'Unable to find code to validate (looked for coding | codeableConcept | code+system | code+inferSystem in parameters' },
        400,
      );
    }
    const systems = [...new Set((value.coded.coding ?? []).flatMap((c) => (c.system ? [c.system] : [])))];
    if (params.noMembershipCheck && systems.length > 0) {
      // valueSetMode NO_MEMBERSHIP_CHECK (tx-ecosystem requirements: "The server SHALL support the
      // mode/valueSetMode parameter"): the value set is not consulted; each coding is validated
      // against its code system, as CodeSystem/$validate-code does (tx.fhir.org: "we ignore the value set")
      const own: ValueSet = { resourceType: 'ValueSet', status: 'active', url: vs.url, version: vs.version, compose: { include: systems.map((system) => ({ system })) } };
      return new ValueSetValidator(ctx, params, own, [], true).validate(value.coded, value.mode);
    }
    const validator = new ValueSetValidator(ctx, params, vs);
    try {
      validator.prepare();
    } catch (e) {
      if (e instanceof SoftValidationError) return this.softFailure(ctx, e, value.coded, value.mode);
      throw e;
    }
    return validator.validate(value.coded, value.mode);
  }

  validateCodeSystemCode(req: OperationRequest, instance?: CodeSystem): ParametersParameter[] {
    const ctx = this.codeSystemInstanceContext(req, instance);
    const params = this.txParams(req, true);
    ctx.asOf = params.asOf;
    const value = this.codedValue(ctx, req.parameters, true, params);
    const inline = get(req.parameters, 'codeSystem')?.resource as CodeSystem | undefined;
    if (instance) {
      // the code system is the instance: `url` (or `system`, read as it for a bare code) may only name it again
      const canonical = (u: string) => ctx.canonicalSystem(u);
      checkInstanceNamed(instance, 'url', str(req.parameters, 'url'), undefined, canonical);
      checkInstanceNamed(instance, 'system', str(req.parameters, 'system'), undefined, canonical);
      if (inline) checkInstanceNamed(instance, 'codeSystem', inline.url ?? '(a code system without a url)', inline.version, canonical);
    }
    // a bare `code` names no code system unless `url` (or `system`) does, or the code system is the
    // instance or sent inline: the request is incomplete, as when there is no code at all (tx.fhir.org
    // reads code+url or code+system only; a Coding without a system is another matter: a warning)
    const bareCode = value?.mode === 'code' && !value.coded.coding?.[0]?.system && !instance && !inline;
    if (!value || bareCode) {
      throw TerminologyError.of(
        { severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'Unable to find code to validate (looked for coding | codeableConcept | code in parameters)' },
        400,
      );
    }
    const first = value.coded.coding?.[0];
    // at the instance level, or with the code system sent inline, that code system is the bare code's
    // system (R4 CodeSystem/$validate-code: the instance, `url` or `codeSystem` names the code system)
    const named = instance ?? inline;
    if (value.mode === 'code' && first && !first.system && named?.url) first.system = ctx.canonicalSystem(named.url);
    const systemPath = value.mode === 'code' ? 'system' : value.mode === 'coding' ? 'Coding.system' : 'CodeableConcept.coding[0].system';
    try {
      let provider: CodeSystemProvider | undefined;
      if (instance) {
        provider = ctx.instanceCodeSystem(instance, params.useSupplements);
      } else if (inline) {
        provider = ctx.providerFor(inline, []);
      } else {
        let url = str(req.parameters, 'url');
        if (url) url = ctx.canonicalSystem(url);
        let version = str(req.parameters, 'version');
        if (!url && first?.system) {
          url = first.system;
          version = version ?? first.version;
        }
        if (!url) {
          if (!first?.system) {
            const m = formatMessage('Coding_has_no_system__cannot_validate', []);
            throw new SoftValidationError({ severity: 'warning', code: 'invalid', txType: 'invalid-data', text: m, messageId: 'Coding_has_no_system__cannot_validate', expression: [value.mode === 'coding' ? 'Coding' : 'CodeableConcept.coding[0]'] });
          }
          throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'No CodeSystem specified - provide url parameter or codeSystem resource' }, 400);
        }
        // the request's version rules choose the code system version as they do for a value set
        // include: force-system-version wins, system-version (or check-system-version) fills in
        // a missing one; the check itself is made on the version found, by the validator
        version = resolveCodeSystemVersion(params, url, version).version;
        provider = ctx.findCodeSystem(url, version, params.useSupplements);
        if (!provider) {
          if (ctx.findSupplement(url, version)) {
            const s = ctx.findSupplement(url, version)!;
            throw new SoftValidationError(txIssue('error', 'invalid', 'invalid-data', 'CODESYSTEM_CS_NO_SUPPLEMENT', [canonicalOf(s.url ?? url, s.version)], systemPath), url);
          }
          if (ctx.findValueSet(url)) {
            throw new SoftValidationError(txIssue('error', 'invalid', 'invalid-data', 'Terminology_TX_System_ValueSet2', [url], systemPath));
          }
          if (version) {
            const vl = ctx.codeSystemVersions(url);
            if (vl.length === 0) throw new SoftValidationError(txIssue('error', 'not-found', 'not-found', 'UNKNOWN_CODESYSTEM_VERSION_NONE', [url, version], systemPath), url);
            throw new SoftValidationError(txIssue('error', 'not-found', 'not-found', 'UNKNOWN_CODESYSTEM_VERSION', [url, version, presentVersions(vl)], systemPath), `${url}|${version}`);
          }
          throw new SoftValidationError(txIssue('error', 'not-found', 'not-found', 'UNKNOWN_CODESYSTEM', [url], systemPath), url);
        }
      }
      const vs = valueSetForCodeSystem(provider);
      const validator = new ValueSetValidator(ctx, params, vs, [], true);
      return validator.validate(value.coded, value.mode);
    } catch (e) {
      if (e instanceof SoftValidationError) return this.softFailure(ctx, e, value.coded, value.mode);
      throw e;
    }
  }

  /** A validation that could not start (unknown value set import, unknown code system, ...). */
  private softFailure(ctx: TerminologyContext, e: SoftValidationError, coded: CodeableConcept, mode: ValidationMode): ParametersParameter[] {
    const out: ParametersParameter[] = [
      { name: 'issues', resource: outcomeOf([e.issue]) },
      { name: 'result', valueBoolean: false },
      { name: 'message', valueString: e.issue.text },
    ];
    const c = coded.coding?.[0];
    if (mode === 'codeableConcept') out.push({ name: 'codeableConcept', valueCodeableConcept: coded });
    else if (c) {
      if (c.system) out.push({ name: 'system', valueUri: c.system });
      if (c.version) out.push({ name: 'version', valueString: c.version });
      else if (c.system) {
        const cs = ctx.findCodeSystem(c.system);
        if (cs?.info.version) out.push({ name: 'version', valueString: cs.info.version });
      }
      if (c.code) out.push({ name: 'code', valueCode: c.code });
    }
    if (e.unknownSystem) out.push({ name: 'x-caused-by-unknown-system', valueCanonical: e.unknownSystem });
    return out;
  }

  // ---- $lookup ----------------------------------------------------------------------------

  lookup(req: OperationRequest, instance?: CodeSystem): ParametersParameter[] {
    const ctx = this.codeSystemInstanceContext(req, instance);
    const params = this.txParams(req, false);
    ctx.asOf = params.asOf;
    if (instance) {
      // the instance is the code system: a system (or version) named besides may only be it
      const canonical = (u: string) => ctx.canonicalSystem(u);
      checkInstanceNamed(instance, str(req.parameters, 'system') !== undefined ? 'system' : 'version', str(req.parameters, 'system'), str(req.parameters, 'version'), canonical);
      const c = get(req.parameters, 'coding')?.valueCoding;
      if (c) checkInstanceNamed(instance, 'coding', c.system, c.version, canonical);
    }
    const coding: Coding = get(req.parameters, 'coding')?.valueCoding ?? {
      system: str(req.parameters, 'system') ?? instance?.url,
      version: str(req.parameters, 'version'),
      code: str(req.parameters, 'code'),
    };
    if (!coding.code) {
      throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'Must provide either coding parameter, or system and code parameters' }, 400);
    }
    return lookupCode(ctx, params, { coding, codeSystem: instance });
  }

  // ---- $subsumes --------------------------------------------------------------------------

  subsumes(req: OperationRequest, instance?: CodeSystem): ParametersParameter[] {
    const ctx = this.codeSystemInstanceContext(req, instance);
    if (instance) {
      // the instance is the code system: a system (or version) named besides may only be it; a
      // coding of another system cannot be tested in it (tx.fhir.org: 400, "System uri / code uri mismatch")
      const canonical = (u: string) => ctx.canonicalSystem(u);
      checkInstanceNamed(instance, str(req.parameters, 'system') !== undefined ? 'system' : 'version', str(req.parameters, 'system'), str(req.parameters, 'version'), canonical);
      for (const name of ['codingA', 'codingB']) {
        const c = get(req.parameters, name)?.valueCoding;
        if (c?.system) checkInstanceNamed(instance, name, c.system, c.version, canonical);
      }
    }
    const system = str(req.parameters, 'system') ?? instance?.url;
    const version = str(req.parameters, 'version');
    const a: Coding | undefined = get(req.parameters, 'codingA')?.valueCoding ?? (str(req.parameters, 'codeA') !== undefined ? { system, version, code: str(req.parameters, 'codeA') } : undefined);
    const b: Coding | undefined = get(req.parameters, 'codingB')?.valueCoding ?? (str(req.parameters, 'codeB') !== undefined ? { system, version, code: str(req.parameters, 'codeB') } : undefined);
    if (!a?.code || !b?.code) {
      throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'Must provide either codingA and codingB, or codeA and codeB with system' }, 400);
    }
    if (!a.system) throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'SUBSUMPTION_NO_SYSTEM', ['codingA'], 'codingA'), 400);
    if (!b.system) throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'SUBSUMPTION_NO_SYSTEM', ['codingB'], 'codingB'), 400);
    if (a.system !== b.system) throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'SUBSUMPTION_SYSTEM_MISMATCH', [a.system, b.system], 'codingB'), 400);
    if (instance?.content === 'supplement') throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'CODESYSTEM_CS_NO_SUPPLEMENT', [instance.url ?? '']), 400);
    // subsumption is tested within one version: the codings' own, else the version parameter's
    if (a.version && b.version && a.version !== b.version) {
      throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `codingA is of version '${a.version}' of ${a.system} and codingB of version '${b.version}': subsumption is tested within one version`, expression: ['codingB'] }, 400);
    }
    const asked = a.version ?? b.version ?? (version !== undefined && (system === undefined || ctx.canonicalSystem(system) === ctx.canonicalSystem(a.system)) ? version : undefined);
    const cs = instance ? ctx.instanceCodeSystem(instance, this.txParams(req, false).useSupplements) : ctx.findCodeSystem(a.system, asked);
    if (!cs) {
      const v = instance ? undefined : asked;
      const text = v ? `A definition for CodeSystem '${a.system}' version '${v}' could not be found` : `A definition for CodeSystem '${a.system}' could not be found`;
      throw TerminologyError.of({ severity: 'error', code: 'not-found', txType: 'not-found', text }, 404);
    }
    const find = (c: Coding, name: string) => {
      const concept = cs.locate(c.code!).concept;
      // an expression subsumption cannot test as written (not classifiable) is reported as the unknown code the reference reports
      if (!concept || cs.unclassifiable?.(concept)) {
        const id = cs.info.version ? 'Unknown_Code_in_Version' : 'Unknown_Code_in';
        throw TerminologyError.of(txIssue('error', 'code-invalid', 'invalid-code', id, [c.code, cs.info.url, cs.info.version], name), 404);
      }
      return concept;
    };
    // an unknown code is reported against the parameter it came in
    const ca = find(a, get(req.parameters, 'codingA') ? 'codingA' : 'codeA');
    const cb = find(b, get(req.parameters, 'codingB') ? 'codingB' : 'codeB');
    if (cs.subsumption) return [{ name: 'outcome', valueCode: cs.subsumption(ca, cb) }];
    // each subsuming the other is equivalence: the same concept, or two writings of one expression
    let outcome = 'not-subsumed';
    // (the same concept, also when a code system that is not case-sensitive was given two spellings)
    const same = ca === cb || ca.code === cb.code;
    const aOverB = same || cs.subsumes(ca, cb);
    const bOverA = same || cs.subsumes(cb, ca);
    if (aOverB && bOverA) outcome = 'equivalent';
    else if (aOverB) outcome = 'subsumes';
    else if (bOverA) outcome = 'subsumed-by';
    // $subsumes has no outcome for "unknown": a server that cannot tell says so, as an error (FHIR-58748)
    if (outcome === 'not-subsumed' && cs.notSubsumedIsKnown && !cs.notSubsumedIsKnown(ca, cb)) {
      const text = `Unable to determine the subsumption relationship between '${a.code}' and '${b.code}': no relationship between them follows from comparing their normal forms, and a post-coordinated expression is one no classifier has seen, so no outcome is returned rather than one that may be wrong`;
      throw TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'cannot-determine', text }, 422);
    }
    return [{ name: 'outcome', valueCode: outcome }];
  }

  // ---- $translate -------------------------------------------------------------------------

  translate(req: OperationRequest, instance?: ConceptMap): ParametersParameter[] {
    const ctx = this.context(instance ? [...req.txResources, instance] : req.txResources);
    const p = req.parameters;
    const reverseFlag = get(p, 'reverse')?.valueBoolean ?? str(p, 'reverse') === 'true';
    const targetCoding = get(p, 'targetCoding')?.valueCoding ?? get(p, 'targetCodeableConcept')?.valueCodeableConcept?.coding?.[0];
    // R4 spells its target system 'targetsystem'; the target code is taken in that spelling too
    const targetCode = str(p, 'targetCode') ?? str(p, 'targetcode');
    let coding: Coding | undefined;
    let reverse = false;
    if (targetCoding || targetCode !== undefined) {
      reverse = true;
      coding = targetCoding ?? { system: str(p, 'targetSystem') ?? str(p, 'targetsystem'), code: targetCode };
    } else {
      coding =
        get(p, 'sourceCoding')?.valueCoding ??
        get(p, 'coding')?.valueCoding ??
        get(p, 'sourceCodeableConcept')?.valueCodeableConcept?.coding?.[0] ??
        get(p, 'codeableConcept')?.valueCodeableConcept?.coding?.[0];
      if (!coding) {
        const code = str(p, 'sourceCode') ?? str(p, 'code');
        if (code !== undefined) coding = { system: str(p, 'sourceSystem') ?? str(p, 'system'), version: str(p, 'sourceVersion') ?? str(p, 'version'), code };
      }
      reverse = reverseFlag;
    }
    if (!coding) {
      throw TerminologyError.of(
        { severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'Must provide sourceCode+sourceSystem, sourceCoding or sourceCodeableConcept, or targetCode+targetSystem, targetCoding or targetCodeableConcept' },
        400,
      );
    }
    const otherSystem = reverse && (targetCoding || targetCode !== undefined) ? str(p, 'sourceSystem') ?? str(p, 'system') : str(p, 'targetSystem') ?? str(p, 'targetsystem');
    const url = str(p, 'url');
    if (instance) {
      checkInstanceNamed(instance, url !== undefined ? 'url' : 'conceptMapVersion', url, str(p, 'conceptMapVersion'));
      const inline = get(p, 'conceptMap')?.resource as ConceptMap | undefined;
      if (inline) checkInstanceNamed(instance, 'conceptMap', inline.url ?? '(a concept map without a url)', inline.version);
    }
    // a CodeableConcept is translated by any of its codings ("the server can translate any of the
    // coding values"): each is asked, and the answers are put together
    const concept = ['targetCodeableConcept', 'sourceCodeableConcept', 'codeableConcept'].map((n) => get(p, n)?.valueCodeableConcept?.coding).find((list) => list?.[0] === coding);
    const others = (concept ?? []).slice(1).filter((c) => c.code && c.system);
    const maps = instance ? [instance] : latestOfEach([...ctx.requestResources('ConceptMap'), ...this.source.allConceptMaps()]);
    const ask = (c: Coding) => translate(ctx, maps, {
      coding: c,
      reverse,
      otherSystem,
      conceptMapUrl: instance ? undefined : url ? splitCanonical(url).url : undefined,
      conceptMapVersion: str(p, 'conceptMapVersion') ?? (url ? splitCanonical(url).version : undefined),
      conceptMap: (get(p, 'conceptMap')?.resource as ConceptMap | undefined) ?? instance,
      sourceScope: str(p, 'sourceScope') ?? str(p, 'source'),
      targetScope: str(p, 'targetScope') ?? str(p, 'target'),
      dependencies: p.filter((x) => x.name === 'dependency').map(dependencyOf),
    });
    return others.length ? translationsTogether([coding, ...others].map(ask)) : ask(coding);
  }

  // ---- $batch-validate-code ---------------------------------------------------------------

  /**
   * Validates many codes in one call: the top-level parameters apply to every `validation`
   * entry, whose own parameters win. Each answer is a Parameters (or an OperationOutcome when
   * that entry could not be validated).
   */
  batchValidate(req: OperationRequest, instance?: ValueSet): ParametersParameter[] {
    const shared = req.parameters.filter((p) => p.name !== 'validation');
    return req.parameters
      .filter((p) => p.name === 'validation')
      .map((v) => {
        const own = ((v.resource as any)?.parameter ?? []) as ParametersParameter[];
        const names = new Set(own.map((o) => o.name));
        const merged = [...shared.filter((s) => !names.has(s.name) || s.name === 'tx-resource'), ...own];
        try {
          const parameter = this.validateValueSetCode({ ...req, parameters: merged, txResources: [...req.txResources, ...own.filter((o) => o.name === 'tx-resource').map((o) => o.resource)] }, instance);
          return { name: 'validation', resource: { resourceType: 'Parameters', parameter } } as ParametersParameter;
        } catch (e) {
          if (e instanceof TerminologyError) return { name: 'validation', resource: outcomeOf(e.issues) } as ParametersParameter;
          throw e;
        }
      });
  }
}

/** The latest version of each canonical URL (maps without a url are all kept). */
function latestOfEach<T extends { url?: string; version?: string }>(resources: T[]): T[] {
  const best = new Map<string, T>();
  const out: T[] = [];
  for (const r of resources) {
    if (!r.url) out.push(r);
    else if (!best.has(r.url) || compareVersions(r.version, best.get(r.url)!.version) > 0) best.set(r.url, r);
  }
  return [...out, ...best.values()];
}
