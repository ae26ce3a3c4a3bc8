import type { Importer } from './importer';
import { fhirImporter } from './fhir-package';
import { kvaImporter } from './kva';
import { ksiImporter } from './ksi';
import { rf2Importer } from './rf2';

/** Every import format, by name (`kodverk import <format> <file>`). */
export const IMPORTERS: Importer[] = [fhirImporter, rf2Importer, ksiImporter, kvaImporter];

export function importerFor(format: string): Importer | undefined {
  return IMPORTERS.find((i) => i.format === format);
}
