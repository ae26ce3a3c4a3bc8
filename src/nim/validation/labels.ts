/**
 * Labels as people write them in file headers and record keys ("Brukare.kön", "Insats.KSI-kod",
 * "Datum för beslut", "aktualisera_arende.datum") compared by one key: lower case, accents
 * removed (å ä ö → a a o), everything but letters and digits dropped.
 */
export function labelKey(label: string): string {
  return label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** The element root of a NIM: its logical model's type name without the Nim prefix (NimAktualiseraArende → AktualiseraArende). */
export function elementRoot(structureDefinitionName: string): string {
  return structureDefinitionName.replace(/^Nim(?=[A-Z])/, '');
}

/** A key or header is quoted back only when it looks like a name, never like data (a personal identity number, say). */
export function quotable(label: string): boolean {
  return /^\p{L}[\p{L}\p{N} _-]{0,63}(\.\p{L}[\p{L}\p{N} _-]{0,63})?$/u.test(label);
}
