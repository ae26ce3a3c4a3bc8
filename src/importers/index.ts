import type { Importer } from './importer';
import { fhirImporter } from './fhir-package';
import { ksiImporter } from './ksi';
import { kvaImporter } from './kva';
import { oidImporter } from './oid';
import { icfImporter } from './icf';
import { urvalImporter } from './urval';
import { rf2Importer } from './rf2';

/** Every import format, by name (`kodverk import <format> <file>`). */
export const IMPORTERS: Importer[] = [fhirImporter, icfImporter, urvalImporter, rf2Importer, ksiImporter, kvaImporter, oidImporter];

export function importerFor(format: string): Importer | undefined {
  return IMPORTERS.find((i) => i.format === format);
}
