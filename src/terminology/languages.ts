import { TerminologyError, txIssue } from './issues';

/** One entry of a language preference list (Accept-Language syntax): a tag and its weight. */
export interface LanguageEntry {
  tag: string;
  q: number;
  /** added by the server (the soft fallback), not asked for by the client */
  implicit?: boolean;
}

/** How closely a designation's language matches a requested one. */
export enum LanguageMatch {
  None = 0,
  Lang = 1,
  LangRegion = 2,
  Full = 3,
}

const TAG = /^([A-Za-z]{2,3}|\*)(-[A-Za-z0-9]{1,8})*$/;

function subtags(tag: string): { lang: string; script?: string; region?: string } {
  const parts = tag.toLowerCase().split('-');
  const out: { lang: string; script?: string; region?: string } = { lang: parts[0] };
  for (const p of parts.slice(1)) {
    // an extension or private use (a singleton and what follows) names no script or region
    if (p.length === 1) break;
    if (p.length === 4 && /^[a-z]+$/.test(p) && !out.script && !out.region) out.script = p;
    else if ((p.length === 2 && /^[a-z]+$/.test(p)) || (p.length === 3 && /^\d+$/.test(p))) {
      if (!out.region) out.region = p;
    }
  }
  return out;
}

/**
 * The Snomed CT language reference set a tag names with the private use `x-sctlang-` (SNOMED CT's
 * FHIR guidance: `en-x-sctlang-90000000-00005090-07` is the US English refset 900000000000509007,
 * its id in groups of at most 8 digits), or undefined.
 */
export function sctLanguageRefset(tag: string): string | undefined {
  const m = /-x-sctlang-([0-9]{1,8}(?:-[0-9]{1,8})*)$/i.exec(tag);
  return m ? m[1].replace(/-/g, '') : undefined;
}

/** The tag that names a Snomed CT language reference set for a language: `en`, 900000000000509007 → en-x-sctlang-90000000-00005090-07. */
export function sctLanguageTag(language: string, refsetId: string): string {
  // built for every preferred description of every concept read: a handful of distinct values
  const key = `${language}|${refsetId}`;
  let tag = SCT_LANGUAGE_TAGS.get(key);
  if (!tag) SCT_LANGUAGE_TAGS.set(key, (tag = `${language}-x-sctlang-${refsetId.match(/[0-9]{1,8}/g)!.join('-')}`));
  return tag;
}
const SCT_LANGUAGE_TAGS = new Map<string, string>();

/** How well `available` (a designation's language) serves `wanted` (a requested tag). */
export function matchLanguage(wanted: string, available: string | undefined): LanguageMatch {
  if (wanted === '*') return LanguageMatch.Full;
  if (!available) return LanguageMatch.None;
  if (wanted.toLowerCase() === available.toLowerCase()) return LanguageMatch.Full;
  const w = subtags(wanted);
  const a = subtags(available);
  if (w.lang !== a.lang) return LanguageMatch.None;
  if (w.script === a.script && w.region === a.region) return LanguageMatch.LangRegion;
  // a request for the bare language accepts any regional form of it
  if (!w.region && !w.script) return LanguageMatch.Lang;
  return LanguageMatch.Lang;
}

/**
 * A language preference list, from a displayLanguage parameter, an Accept-Language header or
 * ValueSet.language, sorted by weight (highest first).
 */
export class LanguagePreference {
  constructor(
    readonly entries: LanguageEntry[],
    /** the text as the client wrote it (for messages) */
    readonly source: string,
  ) {}

  static parse(text: string, addWildcard: boolean): LanguagePreference {
    const entries: LanguageEntry[] = [];
    for (const part of text.split(',')) {
      const item = part.trim();
      if (!item) continue;
      const [tagPart, ...rest] = item.split(';');
      const tag = tagPart.trim();
      let q = 1;
      for (const r of rest) {
        const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(r);
        if (m) q = Number(m[1]);
      }
      if (!TAG.test(tag) || Number.isNaN(q)) {
        throw TerminologyError.of(txIssue('error', 'processing', 'invalid-display', 'INVALID_DISPLAY_NAME', [text]), 400);
      }
      entries.push({ tag, q });
    }
    entries.sort((a, b) => b.q - a.q);
    if (addWildcard && !entries.some((e) => e.tag === '*')) entries.push({ tag: '*', q: 0.01, implicit: true });
    return new LanguagePreference(entries, text);
  }

  /** Requested tags worth using (weight above zero), best first. */
  get usable(): LanguageEntry[] {
    return this.entries.filter((e) => e.q > 0);
  }

  /** Tags the client asked for, without the implicit wildcard. */
  get explicit(): LanguageEntry[] {
    return this.entries.filter((e) => !e.implicit);
  }

  isEmpty(): boolean {
    return this.explicit.length === 0;
  }

  /** The first explicitly requested language (not '*'), if any. */
  primary(): string | undefined {
    return this.usable.find((e) => e.tag !== '*' && !e.implicit)?.tag;
  }

  /**
   * Echo form for expansion parameters: the list as the client wrote it, or, when it carries
   * weights, in the normal "tag; q=w" form joined by ", ".
   */
  asParameter(): string {
    const explicit = this.explicit;
    if (explicit.every((e) => e.q === 1)) return this.source.trim();
    return explicit.map((e) => (e.q === 1 ? e.tag : `${e.tag}; q=${e.q}`)).join(', ');
  }

  /** As written by the client, for messages ("en, en-AU; q=0.4"). */
  summary(): string {
    return this.source;
  }

  /** Does the client refuse displays outside its languages (an explicit "*;q=0")? */
  get hard(): boolean {
    return this.entries.some((e) => e.tag === '*' && e.q === 0 && !e.implicit);
  }
}
