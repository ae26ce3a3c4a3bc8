import type { Nim } from '..';
import type { NimModelRow } from '../../store/nim-store';
import type { ResourceStore } from '../../store/resource-store';
import { TerminologyError } from '../../terminology/issues';
import { notFound } from '../errors';
import { SD_BASE } from '../extensions';
import { fromStructureDefinition } from '../nim-model';
import { today } from '../release-snapshot';
import { CodeChecker } from './code-checker';
import { ValidationIssue, issue } from './issues';
import { elementRoot, labelKey, quotable } from './labels';
import { RawValue, RecordValidator } from './record-validator';
import { IndexedAttribute, IndexedNim, ReleaseIndex, ReleaseIndexCache } from './release-index';
import { EVENT_DATE_ATTRIBUTE, ReleaseSelector } from './release-selector';
import { eventDate, fullDate } from './values';
import { BoundValueSet, contextNotFound, parseBindingContext } from './binding-context';

/**
 * NimValidation: validates records (and, through SubmissionValidator, submission files) against
 * NIM releases. It holds what is worth keeping between requests: compiled release indexes and
 * the code checker's caches.
 */

export interface RecordRequest {
  /** the NIM's name (insats) or canonical URL (https://kodverk.se/fhir/StructureDefinition/nim-insats) */
  nim: string;
  release?: string;
  date?: string;
  record: Record<string, unknown>;
}

/** A malformed request (400), as an OperationOutcome. */
export function badRequest(text: string, expression?: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: expression ? [expression] : undefined }, 400);
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

export function readRecordRequest(body: unknown): RecordRequest {
  if (!isObject(body)) throw badRequest('The body must be a JSON object {nim, release?, date?, record}');
  const { nim, release, date, record } = body;
  if (typeof nim !== 'string' || !nim.trim()) throw badRequest('nim is required: the NIM\'s canonical URL (or its name)', 'nim');
  if (nim.includes('|')) throw badRequest('nim is the NIM\'s canonical URL without a version: the release decides which version of it applies', 'nim');
  if (release !== undefined && (typeof release !== 'string' || !release.trim())) throw badRequest('release must be a release version (e.g. 1.1.0)', 'release');
  if (date !== undefined && !fullDate(date)) throw badRequest('date must be a date (YYYY-MM-DD)', 'date');
  if (!isObject(record)) throw badRequest('record must be a JSON object whose keys are the NIM\'s attributes', 'record');
  return { nim: nim.trim(), release: release as string | undefined, date: date as string | undefined, record };
}

/** The attribute a record key names: its id or Swedish name, optionally after the NIM (Insats.typ). */
export function attributeForKey(model: IndexedNim, key: string): IndexedAttribute | undefined {
  const direct = model.byLabel.get(key) ?? model.byLabel.get(labelKey(key));
  if (direct) return direct;
  const dot = key.indexOf('.');
  if (dot <= 0) return undefined;
  const prefix = labelKey(key.slice(0, dot));
  if (![labelKey(model.root), labelKey(model.name), labelKey(model.title)].includes(prefix)) return undefined;
  return model.byLabel.get(labelKey(key.slice(dot + 1)));
}

export class NimValidation {
  readonly indexes = new ReleaseIndexCache();
  readonly codes: CodeChecker;
  readonly validator: RecordValidator;

  constructor(
    readonly nim: Nim,
    store: ResourceStore,
  ) {
    this.codes = new CodeChecker(store);
    this.validator = new RecordValidator(this.codes);
  }

  /** Which release is in force on a date, remembered until a release changes lifecycle. */
  private inForce = { token: '', byDate: new Map<string, ReleaseIndex | null>() };

  selector(): ReleaseSelector {
    // what is in force follows from the adopted releases alone: while they are as they were
    // (here and in any other process writing the store), so are the answers
    const token = this.nim.store.adoptedReleasesKey();
    if (token !== this.inForce.token || this.inForce.byDate.size > 10_000) this.inForce = { token, byDate: new Map() };
    return new ReleaseSelector(this.nim, this.indexes, this.inForce.byDate);
  }

  /** The NIM's versions, from its canonical URL or name; 404 when the store has no such NIM. */
  private versionsOf(label: string): NimModelRow[] {
    const name = label.startsWith(`${SD_BASE}nim-`) ? label.slice(`${SD_BASE}nim-`.length) : label.replace(/^nim-/, '');
    const versions = this.nim.store.versionsOf(name);
    if (versions.length === 0) throw notFound(`No NIM ${quotable(label) || label.startsWith(SD_BASE) ? label : 'by that name'}`);
    return versions;
  }

  /** The record's event date: its `datum`, under any name a version of the NIM gives it. */
  private recordDate(versions: NimModelRow[], record: Record<string, unknown>): string | undefined {
    const labels = new Set([EVENT_DATE_ATTRIBUTE]);
    const root = labelKey(elementRoot(String(versions[0].resource.name ?? '')));
    for (const row of versions) {
      const a = fromStructureDefinition(row.resource).attributes.find((x) => x.id === EVENT_DATE_ATTRIBUTE && x.type === 'date');
      if (a) labels.add(labelKey(a.name));
    }
    for (const [key, raw] of Object.entries(record)) {
      const k = labelKey(key);
      if (labels.has(k) || (k.startsWith(root) && labels.has(k.slice(root.length)))) return eventDate(raw);
    }
    return undefined;
  }

  /**
   * Validates one record against a NIM: in the release named, else the one in force on the
   * given date, else on the record's event date, else today. The first issue says which
   * release and NIM version judged it.
   */
  validateRecord(body: unknown, on = today()): ValidationIssue[] {
    const req = readRecordRequest(body);
    const versions = this.versionsOf(req.nim);
    const name = versions[0].name;
    const selector = this.selector();
    const eventDate = req.date ?? this.recordDate(versions, req.record);
    const issues: ValidationIssue[] = [];
    let release: ReleaseIndex | undefined;
    if (req.release) release = selector.version(req.release);
    else {
      if (!eventDate) issues.push(issue('no-event-date', 'information', `The record has no event date (${EVENT_DATE_ATTRIBUTE}) and the request gives none, so it was judged by the release in force today (${on})`));
      release = selector.inForce(eventDate ?? on);
      if (!release) return [...issues, issue('no-release', 'warning', `No adopted release is in force on ${req.date ?? (eventDate ? "the record's event date" : on)}, so the record was not validated`)];
    }
    const model = release.nims.get(name);
    if (!model) return [...issues, issue('nim-not-in-release', 'warning', `Release ${release.version} does not hold this NIM, so the record was not validated`, { release: release.version })];
    const values = new Map<string, RawValue>();
    for (const [key, raw] of Object.entries(req.record)) {
      const a = attributeForKey(model, key);
      const said = quotable(key) ? `'${key}'` : 'A key';
      if (!a) issues.push(issue('unknown-attribute', 'error', `${said} is not an attribute of NIM ${model.title} ${model.version}`, { element: quotable(key) ? `${model.root}.${key}` : model.root, release: release.version }));
      else if (values.has(a.id)) issues.push(issue('too-many', 'error', `${a.element} is given under two keys`, { element: a.element, release: release.version }));
      else values.set(a.id, { raw });
    }
    issues.push(...this.validator.validate(model, values, { release, date: eventDate, partial: false }));
    const inForceText = release.effectiveFrom ? `, in force ${release.effectiveFrom}${release.effectiveTo ? ` – ${release.effectiveTo}` : ''}` : '';
    issues.unshift(issue('release-used', 'information', `Validated against NIM ${model.title} ${model.version} in release ${release.version} (${release.status}${inForceText})`, { release: release.version }));
    return issues;
  }

  /**
   * The value set the release in force on a day binds a NIM attribute to, from a FHIR `context`
   * ([StructureDefinition URL]#[attribute]): what $expand and $validate-code use for it.
   */
  bindingAt(context: string, day: string): BoundValueSet {
    const { nim, name, attribute } = parseBindingContext(context);
    // the store is read only on the way to a refusal: a resolved context is two map lookups
    const known = () => {
      if (this.nim.store.versionsOf(name).length === 0) throw contextNotFound(/^[a-z][a-z0-9-]{0,63}$/.test(name) ? `No NIM ${nim}` : 'No such NIM');
    };
    const release = this.selector().inForce(day);
    if (!release) {
      known();
      throw contextNotFound(`No adopted release is in force on ${day}, so no binding of ${nim} is in force that day (the date parameter names another day)`);
    }
    const model = release.nims.get(name);
    if (!model) {
      known();
      throw contextNotFound(`Release ${release.version}, in force on ${day}, does not hold NIM ${nim}`);
    }
    const a = attributeForKey(model, attribute);
    if (!a) throw contextNotFound(`${quotable(attribute) ? `'${attribute}'` : 'The attribute named'} is not an attribute of NIM ${model.title} ${model.version} (release ${release.version})`);
    if (!a.binding) throw contextNotFound(`${a.element} (NIM ${model.title} ${model.version}, release ${release.version}) has no terminology binding: its datatype is ${a.type}`);
    // as record validation reads the binding: its version now, and the code-system versions its
    // captured codes came from (none when the value set is taken as it is now)
    const vs = a.binding.vs;
    const version = this.codes.boundVersion(vs);
    const systemVersions = version === vs.version ? this.codes.capturedSystemVersions(vs) : [];
    return { url: vs.url, version, systemVersions, element: a.element, release: release.version, nimVersion: model.version };
  }
}
