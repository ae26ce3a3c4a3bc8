import type { CodeSystemConcept, ValueSetComposeInclude } from 'fhir/r4';
import mimeDb from 'mime-db';
import type { LocateResult } from './provider';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { builtInResource, listedKind } from './builtin';

/**
 * MIME types (urn:ietf:bcp:13): the media types of `mime-db` (IANA's registry plus the types
 * Apache and nginx serve), matched without regard to case as RFC 6838 says, optionally followed
 * by parameters (`text/plain; charset=UTF-8`), which make the system open-ended: an expansion
 * lists the types and is marked incomplete.
 */
export const MIME_URL = 'urn:ietf:bcp:13';

const RESOURCE = builtInResource(
  { url: MIME_URL, oid: '2.16.840.1.113883.6.10', name: 'MimeTypes', title: 'Mime Types (BCP 13)', publisher: 'IETF', description: 'Medietyper (MIME-typer) enligt BCP 13.' },
  {
    caseSensitive: false,
  },
);

/** type/subtype, then parameters: ; name=value (a token or a quoted string). */
const WITH_PARAMETERS = /^([^\s;]+\/[^\s;]+)((?:\s*;\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=(?:[!#$%&'*+.^_`|~0-9A-Za-z-]+|"(?:[^"\\]|\\.)*"))+)\s*$/;

function concepts(): CodeSystemConcept[] {
  return Object.keys(mimeDb).map((code) => ({ code, display: code }));
}

export class MimeTypeProvider extends FhirCodeSystemProvider {
  readonly isClosed = false;

  override locate(code: string): LocateResult {
    const plain = super.locate(code);
    if (plain.concept) return plain;
    const m = WITH_PARAMETERS.exec(code);
    const base = m ? super.locate(m[1]).concept : undefined;
    if (!base) return plain;
    return { concept: { ...base, code, display: code, designations: [], parents: [], children: [] } };
  }

  openSelection(include: ValueSetComposeInclude): string | undefined {
    if (include.concept?.length && !include.filter?.length) return undefined;
    return `The code System '${MIME_URL}' has a grammar (media type parameters) and so has infinite members`;
  }
}

listedKind('mime', RESOURCE, concepts, (full, supplements) => new MimeTypeProvider(full, supplements));
