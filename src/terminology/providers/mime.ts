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
    const base = super.locate(type).concept ?? (UNREGISTERED_TREE.test(type) ? unlisted(type) : undefined);
    if (!base) return plain;
    if (!m) return { concept: base };
    return { concept: { ...base, code, display: code, designations: [], parents: [], children: [] } };
  }

  override supportsFilter(property: string, op: string): boolean {
    return ((property === 'base' || property === 'registered') && op === '=') || super.supportsFilter(property, op);
  }

  override filter(property: string, op: string, value: string): ConceptFilter {
    if (op === '=' && property === 'base') {
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

  openSelection(include: ValueSetComposeInclude): string | undefined {
    if (include.concept?.length && !include.filter?.length) return undefined;
    return `The code System '${MIME_URL}' has a grammar (media type parameters) and so has infinite members`;
  }
}

listedKind('mime', RESOURCE, concepts, (full, supplements) => new MimeTypeProvider(full, supplements));
