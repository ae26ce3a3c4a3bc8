import type { ParametersParameter } from 'fhir/r4';
import { LanguagePreference } from './languages';
import { TerminologyError } from './issues';
import { splitCanonical } from './versions';

export type VersionRuleMode = 'default' | 'check' | 'override';

/** A system-version / check-system-version / force-system-version rule. */
export interface VersionRule {
  /** the code system (or value set) the rule is about */
  system: string;
  version: string;
  mode: VersionRuleMode;
  /** system-version rules are about code systems, *-valueset-version rules about value sets */
  target: 'codesystem' | 'valueset';
  /** name of the parameter it came from, for echoing */
  parameter: string;
}

const BOOLEANS = [
  'activeOnly',
  'excludeNested',
  'includeDesignations',
  'includeDefinition',
  'excludeNotForUI',
  'excludePostCoordinated',
  'inferSystem',
  'lenient-display-validation',
  'valueset-membership-only',
  'diagnostics',
  'default-to-latest-version',
  'versionsMatch',
] as const;
type BooleanName = (typeof BOOLEANS)[number];

function primitive(p: ParametersParameter): string | boolean | number | undefined {
  for (const [k, v] of Object.entries(p)) {
    if (k.startsWith('value') && v !== null && typeof v !== 'object') return v as string | boolean | number;
  }
  return undefined;
}

function asBoolean(name: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter '${name}' must be true or false, not '${String(v)}'` }, 400);
}

/** A FHIR date (group 1, at its precision) or dateTime (group 2: its day), R4 datatypes. */
const FHIR_DATE = /^([0-9]{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12][0-9]|3[01]))?)?)$|^([0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]))T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-][0-2][0-9]:[0-5][0-9])$/;

// FHIR's integer is 32 bits (R4 datatypes)
const INT32 = 2 ** 31;

function asInteger(name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < -INT32 || n >= INT32) {
    throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter '${name}' must be an integer (32 bits), not '${String(v).slice(0, 40)}'` }, 400);
  }
  return n;
}

/**
 * The options that shape an expansion or a validation, from the request parameters, the
 * Accept-Language header and the value set's own expansion-parameter extensions (which never
 * override what the request said).
 */
export class TxParameters {
  private readonly bools = new Map<BooleanName, boolean>();
  /** parameters set explicitly (by the request or the value set), for echoing */
  private readonly seen = new Set<string>();
  displayLanguage?: LanguagePreference;
  httpLanguage?: LanguagePreference;
  designations: string[] = [];
  properties: string[] = [];
  useSupplements: string[] = [];
  versionRules: VersionRule[] = [];
  /** `exclude-system` ($expand): code systems, or versions of them, the expansion leaves out */
  excludedSystems: { url: string; version?: string }[] = [];
  filter?: string;
  count?: number;
  offset?: number;
  /** tx.fhir.org's `limit`: the most codes the client will take unpaged (lowers the too-costly threshold) */
  limit?: number;
  /**
   * `date` ($expand, $validate-code, $lookup): the day whose definitions to use, as a FHIR date
   * (YYYY, YYYY-MM or YYYY-MM-DD; a dateTime's day). Versions are then chosen among those
   * published on or before it (context.ts).
   */
  asOf?: string;
  /** `context` ($expand, $validate-code): where the value set is bound, which named it; an expansion records it */
  context?: string;
  /** R4 $expand's contextDirection (incoming, outgoing), echoed beside the context */
  contextDirection?: string;
  /** $validate-code: is an abstract (not selectable) code acceptable? */
  abstractOk = true;
  /** $validate-code valueSetMode NO_MEMBERSHIP_CHECK: each code is judged by its code system alone */
  noMembershipCheck = false;
  /** the values of each list above, for adding without scanning it */
  private readonly listed = new Map<string[], Set<string>>();

  constructor(readonly validating: boolean) {}

  bool(name: BooleanName): boolean {
    return this.bools.get(name) ?? false;
  }

  isSet(name: string): boolean {
    return this.seen.has(name);
  }

  get activeOnly(): boolean {
    return this.bool('activeOnly');
  }
  get excludeNested(): boolean {
    return this.bool('excludeNested');
  }
  /**
   * Designations in the expansion: as includeDesignations says; unsaid, when `designation` names
   * some (R4: "Designations that match by language or use are included in the expansion")
   */
  get includeDesignations(): boolean {
    return this.bools.get('includeDesignations') ?? this.designations.length > 0;
  }
  get includeDefinition(): boolean {
    return this.bool('includeDefinition');
  }
  get membershipOnly(): boolean {
    return this.bool('valueset-membership-only');
  }
  get displayWarning(): boolean {
    return this.bool('lenient-display-validation');
  }
  /** lenient-display-validation asked for as false: a display that is no longer current is wrong too */
  get displayStrict(): boolean {
    return this.bools.get('lenient-display-validation') === false;
  }
  get inferSystem(): boolean {
    return this.bool('inferSystem');
  }

  /** Reads every parameter of a request. */
  readAll(entries: ParametersParameter[]): this {
    for (const e of entries) this.see(e.name, e, true);
    return this;
  }

  setAcceptLanguage(header: string | undefined): void {
    // "*" alone (what many HTTP clients send by default) states no preference
    if (header && header.trim() && header.trim() !== '*') this.httpLanguage = LanguagePreference.parse(header, !this.validating);
  }

  /** Takes ValueSet.language when nothing else said which language to use. */
  seeValueSetLanguage(lang: string | undefined): void {
    if (lang && !this.httpLanguage) this.httpLanguage = LanguagePreference.parse(lang, !this.validating);
  }

  /**
   * Applies one parameter. `overwrite` false is used for value-set supplied defaults: they only
   * take effect where the request said nothing.
   */
  see(name: string, p: ParametersParameter, overwrite: boolean): void {
    const v = primitive(p);
    if (!overwrite && this.seen.has(name) && !['designation', 'property'].includes(name)) return;
    if ((BOOLEANS as readonly string[]).includes(name)) {
      this.bools.set(name as BooleanName, asBoolean(name, v));
      this.seen.add(name);
      return;
    }
    switch (name) {
      case 'displayLanguage':
        if (typeof v === 'string') {
          this.displayLanguage = LanguagePreference.parse(v, !this.validating);
          this.seen.add(name);
        }
        return;
      case 'designation':
      case 'property':
      case 'useSupplement':
        if (typeof v === 'string') this.addListed(name, v);
        return;
      case 'context':
        // only as the request gives it: a value set cannot say where it is bound
        if (typeof v === 'string' && overwrite) this.context = v;
        return;
      case 'contextDirection':
        if (typeof v === 'string' && overwrite) this.contextDirection = v;
        return;
      case 'filter':
        if (typeof v === 'string') {
          this.filter = v;
          this.seen.add(name);
        }
        return;
      case 'count':
      case 'offset': {
        const n = asInteger(name, v);
        if (n < 0) {
          throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter '${name}' must not be negative (got ${n})` }, 400);
        }
        this[name] = n;
        this.seen.add(name);
        return;
      }
      case 'limit': {
        const n = asInteger(name, v);
        if (n <= 0) {
          throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter '${name}' must be a positive number of codes (got ${n})` }, 400);
        }
        this.limit = n;
        this.seen.add(name);
        return;
      }
      case 'date': {
        const m = typeof v === 'string' ? FHIR_DATE.exec(v.trim()) : null;
        const day = m ? m[1] ?? m[2] : undefined;
        if (!day) {
          throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter 'date' must be a FHIR date or dateTime, not '${String(v ?? '').slice(0, 40)}'` }, 400);
        }
        this.asOf = day;
        this.seen.add(name);
        return;
      }
      case 'abstract':
        this.abstractOk = asBoolean(name, v);
        this.seen.add(name);
        return;
      case 'system-version':
      case 'check-system-version':
      case 'force-system-version':
      case 'default-valueset-version':
      case 'check-valueset-version':
      case 'force-valueset-version': {
        if (typeof v !== 'string') return;
        const { url, version } = splitCanonical(v);
        if (!version || !url) {
          throw TerminologyError.of(
            { severity: 'error', code: 'invalid', txType: 'invalid-data', text: `Unable to understand ${name} '${v}': expected system|version` },
            400,
          );
        }
        const mode: VersionRuleMode = name.startsWith('check') ? 'check' : name.startsWith('force') ? 'override' : 'default';
        this.versionRules.push({ system: url, version, mode, parameter: name, target: name.includes('valueset') ? 'valueset' : 'codesystem' });
        return;
      }
      case 'mode':
      case 'valueSetMode': {
        // the FHIR validator's ValidationOptions.ValueSetMode (FHIR-41229), as tx.fhir.org reads it;
        // the validator spells the membership mode CHECK_MEMERSHIP_ONLY. The IG names the
        // parameter mode/valueSetMode: `mode` is the same, in a validation only
        if (name === 'mode' && !this.validating) return;
        const mode = typeof v === 'string' ? v.trim() : '';
        if (mode === 'CHECK_MEMBERSHIP_ONLY' || mode === 'CHECK_MEMERSHIP_ONLY') this.bools.set('valueset-membership-only', true);
        else if (mode === 'NO_MEMBERSHIP_CHECK') this.noMembershipCheck = true;
        else if (mode !== 'ALL_CHECKS') {
          throw TerminologyError.of(
            { severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter '${name}' must be ALL_CHECKS, CHECK_MEMBERSHIP_ONLY or NO_MEMBERSHIP_CHECK, not '${String(v ?? '').slice(0, 40)}'` },
            400,
          );
        }
        return;
      }
      case 'exclude-system': {
        // only as the request gives it (R4 $expand: [system]|[version], the version optional)
        if (this.validating) {
          // not a parameter of $validate-code: ignored, it would leave the answer's meaning unsaid
          throw TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'not-supported', text: "The parameter 'exclude-system' is one of $expand's: a validation does not take it" }, 400);
        }
        if (!overwrite || typeof v !== 'string') return;
        const { url, version } = splitCanonical(v.trim());
        if (!url || /\s/.test(url)) {
          throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: "The parameter 'exclude-system' must name a code system: [system] or [system]|[version]" }, 400);
        }
        this.excludedSystems.push(version ? { url, version } : { url });
        return;
      }
    }
  }

  /** Whether `exclude-system` leaves this code system (in this version) out of an expansion. */
  excludesSystem(url: string, version: string | undefined): boolean {
    return this.excludedSystems.some((x) => x.url === url && (x.version === undefined || x.version === version));
  }

  /** Adds a value to a repeating parameter's list once, in constant time (a request may repeat it many times). */
  private addListed(name: 'designation' | 'property' | 'useSupplement', v: string): void {
    const list = name === 'designation' ? this.designations : name === 'property' ? this.properties : this.useSupplements;
    let seen = this.listed.get(list);
    if (!seen || seen.size !== list.length) this.listed.set(list, (seen = new Set(list)));
    if (seen.has(v)) return;
    seen.add(v);
    list.push(v);
  }

  /** Languages for choosing displays: displayLanguage wins over the header/value set. */
  workingLanguages(): LanguagePreference | undefined {
    return this.displayLanguage ?? this.httpLanguage;
  }

  /** The language list as the client wrote it, or '--' (used in display messages). */
  langSummary(): string {
    const l = this.workingLanguages();
    return l && !l.isEmpty() ? l.summary() : '--';
  }

  rulesFor(system: string, mode: VersionRuleMode, target: 'codesystem' | 'valueset' = 'codesystem'): VersionRule[] {
    return this.versionRules.filter((r) => r.system === system && r.mode === mode && r.target === target);
  }

  /** A copy for a nested expansion (imports): no paging, no text filter. */
  forImport(): TxParameters {
    const c = new TxParameters(this.validating);
    for (const [k, v] of this.bools) c.bools.set(k, v);
    for (const s of this.seen) if (!['count', 'offset', 'filter'].includes(s)) c.seen.add(s);
    c.displayLanguage = this.displayLanguage;
    c.httpLanguage = this.httpLanguage;
    c.designations = [...this.designations];
    c.properties = [...this.properties];
    c.versionRules = [...this.versionRules];
    c.excludedSystems = this.excludedSystems;
    c.abstractOk = this.abstractOk;
    return c;
  }
}
