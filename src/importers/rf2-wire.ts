import type { ConceptInput } from '../store/concept-store';

/**
 * Concepts handed from the staging thread to the import's thread as one flat array of strings and
 * numbers per page (structured cloning copies a flat array much faster than nested objects), with
 * each designation's extra already serialised as JSON (so the writing thread does not). Holds the
 * fields an RF2 concept has: code, display, inactive, parents and designations.
 *
 * Per concept: code, display|null, inactive 0|1, number of parents, the parents, number of
 * designations, then 7 fields per designation: language, use system, use code, use display, value,
 * inactive 0|1, extra JSON|null.
 */
export type WireConcepts = (string | number | null)[];

const DESIGNATION_FIELDS = 7;

export function encodeConcepts(concepts: ConceptInput[]): WireConcepts {
  const out: WireConcepts = [];
  for (const c of concepts) {
    const parents = c.parents ?? [];
    const designations = c.designations ?? [];
    out.push(c.code, c.display ?? null, c.inactive ? 1 : 0, parents.length, ...parents, designations.length);
    for (const d of designations) {
      const extra = d.extraJson ?? (d.extra === undefined ? null : JSON.stringify(d.extra));
      out.push(d.language ?? null, d.use?.system ?? null, d.use?.code ?? null, d.use?.display ?? null, d.value, d.inactive ? 1 : 0, extra);
    }
  }
  return out;
}

export function decodeConcepts(wire: WireConcepts): ConceptInput[] {
  const out: ConceptInput[] = [];
  // a release has a handful of designation uses: one object each
  const uses = new Map<string, { system?: string; code?: string; display?: string }>();
  const str = (v: string | number | null) => (v === null ? undefined : (v as string));
  for (let i = 0; i < wire.length; ) {
    const code = wire[i++] as string;
    const display = str(wire[i++]);
    const inactive = wire[i++] === 1;
    const nParents = wire[i++] as number;
    const parents = wire.slice(i, i + nParents) as string[];
    i += nParents;
    const nDesignations = wire[i++] as number;
    const designations: NonNullable<ConceptInput['designations']> = [];
    for (let end = i + nDesignations * DESIGNATION_FIELDS; i < end; i += DESIGNATION_FIELDS) {
      const [system, useCode, useDisplay] = [wire[i + 1], wire[i + 2], wire[i + 3]];
      let use: { system?: string; code?: string; display?: string } | undefined;
      if (system !== null || useCode !== null || useDisplay !== null) {
        const key = `${system}\t${useCode}\t${useDisplay}`;
        use = uses.get(key);
        if (!use) {
          use = {};
          if (system !== null) use.system = system as string;
          if (useCode !== null) use.code = useCode as string;
          if (useDisplay !== null) use.display = useDisplay as string;
          uses.set(key, use);
        }
      }
      const extraJson = str(wire[i + 6]);
      designations.push({ language: str(wire[i]), use, value: wire[i + 4] as string, inactive: wire[i + 5] === 1 || undefined, extraJson });
    }
    out.push({ code, display, inactive, parents, designations });
  }
  return out;
}
