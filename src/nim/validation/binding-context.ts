import { TerminologyError } from '../../terminology/issues';
import { SD_BASE } from '../extensions';

/**
 * The `context` of $expand and $validate-code. FHIR R4 names a value set there by where it is
 * bound: "[Structure Definition URL]#[name or path into structure definition]". Here that is a
 * NIM attribute (https://kodverk.se/fhir/StructureDefinition/nim-brukare#Brukare.kon), and the
 * value set is the one the release in force binds it to — the same one a record is judged by —
 * so a vendor asking which codes an attribute may take gets the release's answer, not a guess.
 */

/** The value set a NIM attribute is bound to in a release. */
export interface BoundValueSet {
  url: string;
  /**
   * the version the release resolved (a floating binding: the latest at publication); none when
   * a floating binding's version is no longer held (a placeholder an import replaced): the value
   * set as it is now, as record validation takes it
   */
  version?: string;
  /**
   * url|version of each code system the release drew the codes from, when the release holds the
   * codes and the store still holds that version: the expansion then gives the release's codes
   */
  systemVersions: string[];
  /** the attribute's path, Brukare.kon */
  element: string;
  release: string;
  nimVersion: string;
}

/** Where the HTTP layer finds the value set a context names on a day (NimValidation.bindingAt). */
export type BindingAt = (context: string, day: string) => BoundValueSet;

/** A context whose NIM, release or attribute is not found: 422, as for a value set not found. */
export function contextNotFound(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'not-found', txType: 'not-found', text, expression: ['context'] }, 422);
}

/** A context (or its date) that cannot be read, or one beside another name of the value set: 400. */
export function contextInvalid(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: ['context'] }, 400);
}

/** A URL plain enough to repeat in an answer (no quotes, brackets, spaces or control characters). */
const showable = (url: string): boolean => /^[a-z][a-z0-9+.-]*:[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]{1,200}$/i.test(url);

const EXAMPLE = `${SD_BASE}nim-brukare#Brukare.kon`;

/** A context split into the NIM's canonical URL and the attribute (id, Swedish name or path). */
export function parseBindingContext(context: string): { nim: string; name: string; attribute: string } {
  const hash = context.indexOf('#');
  if (hash <= 0 || hash === context.length - 1) throw contextInvalid(`context names a NIM attribute as [StructureDefinition URL]#[attribute], e.g. ${EXAMPLE}`);
  const nim = context.slice(0, hash);
  if (nim.includes('|')) {
    throw contextInvalid('context names the NIM by its canonical URL without a version: the release in force on the day (the date parameter, else today) decides which version applies');
  }
  const name = nim.startsWith(`${SD_BASE}nim-`) ? nim.slice(`${SD_BASE}nim-`.length) : '';
  if (!name) throw contextNotFound(`context resolves the bindings of NIM attributes (${EXAMPLE}); ${showable(nim) ? `'${nim}'` : 'this URL'} is not a NIM's`);
  return { nim, name, attribute: context.slice(hash + 1) };
}
