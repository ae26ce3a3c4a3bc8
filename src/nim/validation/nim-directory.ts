import type { Nim } from '..';
import { SD_BASE } from '../extensions';
import { labelKey } from './labels';

/**
 * NimDirectory: the NIMs and attribute names a submission header or a record may use, over
 * every version of every NIM in the store (a file may be judged by several releases).
 *
 * A header column is `NIM.attribute`. The NIM part is matched, ignoring case, accents, spaces
 * and hyphens, against a NIM's name (aktualisera-arende), its title (Aktualisera ärende), its
 * logical model's type name (NimAktualiseraArende) or one of the aliases below; the attribute
 * part against an attribute's id (ksiKod) or Swedish name (KSI-kod).
 */

/** Names the register's material uses for seed NIMs under another name. */
export const NIM_ALIASES: Record<string, string> = {
  // Socialstyrelsen's worked example calls Myndighetsbeslut "NIM Beslut" (001:L1335–1343)
  beslut: 'myndighetsbeslut',
  // register items say "Datum för aktualisering", "Aktualiseringstyp", "Aktualiseringsorsak"
  aktualisering: 'aktualisera-arende',
};

export interface ColumnTarget {
  nim: string;
  attribute: string;
}

export class NimDirectory {
  private readonly nims = new Map<string, string>();
  private readonly titles = new Map<string, string>();
  private readonly attributes = new Map<string, Map<string, string>>();

  constructor(nim: Nim) {
    for (const summary of nim.models.list()) {
      this.titles.set(summary.name, summary.title);
      const labels = new Map<string, string>();
      for (const row of nim.store.versionsOf(summary.name)) {
        const def = nim.models.definition(row);
        this.add(labelKey(row.resource.name ?? ''), summary.name);
        for (const a of def.attributes) for (const l of [labelKey(a.id), labelKey(a.name)]) if (!labels.has(l)) labels.set(l, a.id);
      }
      this.add(labelKey(summary.name), summary.name);
      this.add(labelKey(summary.title), summary.name);
      this.attributes.set(summary.name, labels);
    }
    for (const [alias, name] of Object.entries(NIM_ALIASES)) if (this.attributes.has(name)) this.add(alias, name);
  }

  private add(key: string, name: string): void {
    if (key && !this.nims.has(key)) this.nims.set(key, name);
  }

  /** The NIM a label names: a name, title, type name, alias or canonical URL. */
  nimOf(label: string): string | undefined {
    if (label.startsWith(`${SD_BASE}nim-`)) {
      const name = label.slice(`${SD_BASE}nim-`.length);
      return this.attributes.has(name) ? name : undefined;
    }
    return this.nims.get(labelKey(label));
  }

  title(name: string): string {
    return this.titles.get(name) ?? name;
  }

  /** The attribute id a label names in a NIM (in any of its versions). */
  attributeOf(nim: string, label: string): string | undefined {
    return this.attributes.get(nim)?.get(labelKey(label));
  }

  /** `NIM.attribute` → the NIM's name and the attribute's id; what is wrong otherwise. */
  column(header: string): ColumnTarget | { problem: string } {
    const dot = header.indexOf('.');
    if (dot <= 0 || dot === header.length - 1) return { problem: 'is not NIM.attribute (e.g. Insats.typ)' };
    const nim = this.nimOf(header.slice(0, dot));
    if (!nim) return { problem: `names no NIM (known: ${[...this.titles.values()].join(', ')})` };
    const attribute = this.attributeOf(nim, header.slice(dot + 1));
    if (!attribute) return { problem: `names no attribute of NIM ${this.title(nim)}` };
    return { nim, attribute };
  }

  /** Known NIM names (for messages). */
  names(): string[] {
    return [...this.attributes.keys()];
  }
}
