import type { Importer } from './importer';
import { fhirImporter } from './fhir-package';

/** Every import format, by name (`kodverk import <format> <file>`). */
export const IMPORTERS: Importer[] = [fhirImporter];

export function importerFor(format: string): Importer | undefined {
  return IMPORTERS.find((i) => i.format === format);
}
