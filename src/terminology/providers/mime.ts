import type { CodeSystemConcept, ValueSetComposeInclude } from 'fhir/r4';
import mimeDb from 'mime-db';
import type { Concept, ConceptFilter, LocateResult } from './provider';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { builtInResource, listedKind } from './builtin';
import { TerminologyError, txIssue } from '../issues';

/**
 * MIME types (urn:ietf:bcp:13): the media types of `mime-db` (IANA's registry plus the types
 * Apache and nginx serve) and those of the unregistered tree (`x.`/`x-` subtypes), matched without
 * regard to case as RFC 6838 says, optionally followed by parameters (`text/plain; charset=UTF-8`),
 * which make the system open-ended: an expansion lists the types and is marked incomplete.
 */
export const MIME_URL = 'urn:ietf:bcp:13';

const RESOURCE = builtInResource(
  { url: MIME_URL, oid: '2.16.840.1.113883.6.10', name: 'MimeTypes', title: 'Mime Types (BCP 13)', publisher: 'IETF', description: 'Medietyper (MIME-typer) enligt BCP 13.' },
  {
    caseSensitive: false,
    filter: [
      { code: 'base', operator: ['='], value: 'a type (text) or type/subtype (text/plain): the media types it is the base of, parameters aside' },
      { code: 'registered', operator: ['='], value: 'true or false: whether IANA registers the type/subtype' },
    ],
  },
);

/**
 * A type/subtype in the unregistered tree: `x.` (RFC 6838 §3.4) or the older `x-` (RFC 2045 §6.3),
 * under one of IANA's top-level types. Such types are never registered, so no list holds them;
 * they are media types all the same.
 */
const UNREGISTERED_TREE = /^(application|audio|example|font|haptics|image|message|model|multipart|text|video)\/x[.-][A-Za-z0-9!#$&^_.+-]+$/i;

/** The value of a base filter: a type, or a type/subtype, named as RFC 6838 §4.2 names them. */
const BASE_VALUE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?:\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)?$/;

/** A media type's type/subtype, parameters aside, in lower case. */
function baseOf(code: string): string {
  return code.split(';')[0].trim().toLowerCase();
}

/** Is the type/subtype in IANA's media type registry (mime-db's source 'iana'; the others come from web servers)? */
function registered(code: string): boolean {
  return (mimeDb as Record<string, { source?: string }>)[baseOf(code)]?.source === 'iana';
}

/** type/subtype, then parameters: ; name=value (a token or a quoted string). */
const WITH_PARAMETERS = /^([^\s;]+\/[^\s;]+)((?:\s*;\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\]|\\.)*"))+)\s*$/;

/** A media type taken apart: type and subtype in lower case, parameters by lower-case name (RFC 2045 §5.1). */
interface MediaType {
  type: string;
  subtype: string;
  params: Map<string, string>;
  written: string;
}

const PARAMETER = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)=([!#$%&'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\]|\\.)*")/g;

/**
 * Parameters whose values fold case: charset (RFC 2046 §4.1.2, "NOT case sensitive") and
 * format and delsp (RFC 3676 §4, "neither the parameter names nor values are case sensitive").
 * Every other value is case-sensitive (RFC 2045 §5.1).
 */
const CASE_INSENSITIVE_VALUES = new Set(['charset', 'format', 'delsp']);

/**
 * Parameters whose meaning is known well enough to judge subsumption by: adding one narrows the
 * media type, and two values of it exclude one another. charset (RFC 2046), format and delsp
 * (RFC 3676), version. Others (boundary, which does not narrow; profile, whose values may nest;
 * any the server has never heard of) cannot be judged.
 */
const UNDERSTOOD_PARAMETERS = new Set(['charset', 'format', 'delsp', 'version']);

/**
 * The value a registration gives a parameter the code leaves out: the bare form carries it, so
 * it is not the general case. text/plain: charset US-ASCII (RFC 2046 §4.1.2, kept by RFC 6657 §4),
 * format fixed and delsp no (RFC 3676 §4); text/vcard: charset UTF-8 (RFC 6350 §3.1).
 */
const PARAMETER_DEFAULTS: Record<string, Record<string, string>> = {
  'text/plain': { charset: 'us-ascii', format: 'fixed', delsp: 'no' },
  'text/vcard': { charset: 'utf-8' },
};

/**
 * text/* types whose registration says charset has no default. RFC 6657 §3 leaves every other
 * text/* registration that does not say how the charset is determined defaulting to US-ASCII, so
 * for those a missing charset may mean "any" or "US-ASCII". text/markdown: RFC 7763 §2 (no
 * default); text/html: the encoding is determined in the document (the W3C registration).
 */
const TEXT_WITHOUT_CHARSET_DEFAULT = new Set(['text/markdown', 'text/html']);

/**
 * The parameters written after a type/subtype: each name in lower case, its value as written
 * (quoting kept) and as compared (unquoted), charset, format and delsp values in lower case.
 */
function readParameters(text: string): { name: string; written: string; value: string }[] {
  return [...text.matchAll(PARAMETER)].map((m) => {
    const name = m[1].toLowerCase();
    const folds = CASE_INSENSITIVE_VALUES.has(name);
    const written = folds ? m[2].toLowerCase() : m[2];
    const unquoted = m[2].startsWith('"') ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
    return { name, written, value: folds ? unquoted.toLowerCase() : unquoted };
  });
}

function parseMediaType(code: string): MediaType | undefined {
  const written = code.trim();
  const semi = written.indexOf(';');
  const [type, subtype, ...more] = (semi < 0 ? written : written.slice(0, semi)).trim().split('/');
  if (!type || !subtype || more.length) return undefined;
  const params = new Map(readParameters(semi < 0 ? '' : written.slice(semi)).map((p) => [p.name, p.value] as const));
  return { type: type.trim().toLowerCase(), subtype: subtype.trim().toLowerCase(), params, written };
}

/**
 * Parameters in their normal form: names in lower case, the values of charset, format and delsp
 * too (the others keep their case, RFC 2045 §5.1), ordered by name (their order carries no
 * meaning), each after '; '. Quoting is kept: a quoted value is not always a token.
 */
function normalParameters(written: string): string {
  const params = readParameters(written).map((p) => ({ name: p.name, text: `${p.name}=${p.written}` }));
  params.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return params.map((p) => `; ${p.text}`).join('');
}

function cannotDetermine(a: MediaType, b: MediaType, why: string): TerminologyError {
  const text = `Unable to determine the subsumption relationship between '${a.written}' and '${b.written}': ${why}, so no outcome is returned rather than one that may be wrong`;
  return TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'cannot-determine', text }, 422);
}

/**
 * $subsumes of two media types. No type/subtype is a kind of another: a structured syntax suffix
 * (application/fhir+xml, RFC 6839) is a registration of its own, not a narrowing of application/xml.
 * Within one type/subtype a parameter narrows: the form with fewer parameters subsumes the one
 * that adds to them, if they agree on those they share. A parameter the registration gives a
 * default is present on the bare form too (text/plain is text/plain; charset=us-ascii), so adding
 * another value contradicts rather than narrows. Where what tells them apart is a parameter the
 * server does not understand, or a charset on a text/* type whose default is not known, the
 * relationship cannot be determined.
 */
export function mediaTypeSubsumption(codeA: string, codeB: string): 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed' {
  const a = parseMediaType(codeA);
  const b = parseMediaType(codeB);
  if (!a || !b) return 'not-subsumed';
  if (a.type !== b.type || a.subtype !== b.subtype) return 'not-subsumed';
  const key = `${a.type}/${a.subtype}`;
  const defaults = PARAMETER_DEFAULTS[key] ?? {};
  const pa = new Map(a.params);
  const pb = new Map(b.params);
  for (const [name, value] of Object.entries(defaults)) {
    if (!pa.has(name)) pa.set(name, value);
    if (!pb.has(name)) pb.set(name, value);
  }
  // only the parameters they differ in can decide: one carried identically by both cannot
  const deciding = [...new Set([...pa.keys(), ...pb.keys()])].filter((n) => pa.get(n) !== pb.get(n));
  const unknown = deciding.filter((n) => !UNDERSTOOD_PARAMETERS.has(n));
  if (unknown.length) {
    const names = unknown.map((n) => `'${n}'`).join(', ');
    throw cannotDetermine(a, b, `they differ in the parameter${unknown.length > 1 ? 's' : ''} ${names}, which this server does not know the meaning of; whether such a parameter narrows the media type, and whether two of its values exclude one another, depends on its definition`);
  }
  if (deciding.includes('charset') && a.type === 'text' && !('charset' in defaults) && !TEXT_WITHOUT_CHARSET_DEFAULT.has(key) && pa.has('charset') !== pb.has('charset')) {
    throw cannotDetermine(a, b, `one carries a charset and the other does not, and this server does not know whether '${key}' gives charset a default value; RFC 6657 leaves every text/* registration that does not say how the charset is determined defaulting to US-ASCII, so the absence of a charset may mean any charset or US-ASCII, which give opposite answers`);
  }
  for (const [name, value] of pa) if (pb.has(name) && pb.get(name) !== value) return 'not-subsumed';
  const aInB = [...pa.keys()].every((n) => pb.has(n));
  const bInA = [...pb.keys()].every((n) => pa.has(n));
  if (aInB && bInA) return 'equivalent';
  if (aInB) return 'subsumes';
  if (bInA) return 'subsumed-by';
  return 'not-subsumed';
}

function concepts(): CodeSystemConcept[] {
  return Object.keys(mimeDb).map((code) => ({ code, display: code }));
}

/** The concept of a media type of the unregistered tree (no list holds it). */
function unlisted(code: string): Concept {
  return { code, display: code, designations: [], properties: [], extensions: [], parents: [], children: [] };
}

export class MimeTypeProvider extends FhirCodeSystemProvider {
  readonly isClosed = false;

  override locate(code: string): LocateResult {
    const plain = super.locate(code);
    if (plain.concept) return plain;
    const m = WITH_PARAMETERS.exec(code);
    const type = m ? m[1] : code;
    const base = super.locate(type).concept ?? (UNREGISTERED_TREE.test(type) ? unlisted(type.toLowerCase()) : undefined);
    if (!base) return plain;
    if (!m) return { concept: base };
    const normal = `${base.code}${normalParameters(m[2])}`;
    return { concept: { ...base, code: normal, display: normal, designations: [], parents: [], children: [] } };
  }

  subsumption(a: Concept, b: Concept): 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed' {
    return mediaTypeSubsumption(a.code, b.code);
  }

  override supportsFilter(property: string, op: string): boolean {
    return ((property === 'base' || property === 'registered') && op === '=') || super.supportsFilter(property, op);
  }

  override filter(property: string, op: string, value: string): ConceptFilter {
    if (op === '=' && property === 'base') {
      // a type or a type/subtype (RFC 6838 §4.2 names): no parameters, and no wildcard (text/* is Accept syntax, not a media type)
      if (!BASE_VALUE.test(value.trim())) {
        throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', [property, op, value, '', this.info.url]), 400);
      }
      const want = value.trim().toLowerCase();
      const f = this.fromPredicate((c) => baseOf(c.code) === want || baseOf(c.code).split('/')[0] === want);
      return { ...f, reason: (c) => `The media type ${c.code} does not have the base ${value}` };
    }
    if (op === '=' && property === 'registered') {
      if (value !== 'true' && value !== 'false') {
        throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', [property, op, value, '', this.info.url]), 400);
      }
      const want = value === 'true';
      const f = this.fromPredicate((c) => registered(c.code) === want);
      return { ...f, reason: (c) => `The media type ${c.code} ${want ? 'is not' : 'is'} registered with IANA` };
    }
    return super.filter(property, op, value);
  }

  /**
   * Media types cannot be iterated: the whole system, a base (every parameterisation of a type)
   * and registered = false (all IANA has not registered) are infinite. Only registered = true is a
   * finite list (IANA's registry), so an include can be listed when one of its filters is that.
   */
  assertEnumerable(include: ValueSetComposeInclude): void {
    if (include.concept?.length && !include.filter?.length) return;
    if ((include.filter ?? []).some((f) => f.property === 'registered' && f.op === '=' && f.value === 'true')) return;
    throw TerminologyError.of(txIssue('error', 'not-supported', 'not-supported', 'CODESYSTEM_NOT_ENUMERABLE', [MIME_URL]), 422);
  }

  /** What filters select is open: every listed type also has unboundedly many parameterised forms (no reason given). */
  openSelection(include: ValueSetComposeInclude): string | undefined {
    if (include.concept?.length && !include.filter?.length) return undefined;
    return '';
  }
}

listedKind('mime', RESOURCE, concepts, (full, supplements) => new MimeTypeProvider(full, supplements));
