import fs from 'node:fs';
import path from 'node:path';

/**
 * The IANA Language Subtag Registry (as shipped by the `language-subtag-registry` package) and the
 * RFC 5646 rules for a valid language tag: well formed (§2.1) and every subtag registered, in the
 * registry's case (§2.2.9), no repeated variant or extension singleton, only registered
 * extensions (t, u), extlangs with their registered prefix. Grandfathered tags are valid whole.
 */

export interface RegistryEntry {
  Type: string;
  Subtag?: string;
  Tag?: string;
  Description?: string[];
  Deprecated?: string;
  'Preferred-Value'?: string;
  Prefix?: string[];
  Scope?: string;
}

export interface LanguageTag {
  language?: string;
  extlang?: string;
  script?: string;
  region?: string;
  variants: string[];
  extensions: string[];
  privateUse?: string;
  /** a grandfathered tag (valid as a whole) */
  grandfathered?: string;
}

const DIR = path.join(path.dirname(require.resolve('language-subtag-registry/package.json')), 'data', 'json');

let index: Map<string, RegistryEntry> | undefined;
/** Ranges such as qaa..qtz (private use), per type. */
let ranges: { type: string; from: string; to: string }[] = [];

function load(): Map<string, RegistryEntry> {
  if (index) return index;
  index = new Map();
  ranges = [];
  const entries: RegistryEntry[] = JSON.parse(fs.readFileSync(path.join(DIR, 'registry.json'), 'utf8'));
  for (const e of entries) {
    const key = e.Subtag ?? e.Tag;
    if (!key) continue;
    const range = /^(.+)\.\.(.+)$/.exec(key);
    if (range) ranges.push({ type: e.Type, from: range[1], to: range[2] });
    else index.set(`${e.Type}:${key}`, e);
  }
  return index;
}

/** The registry's File-Date: which edition of the registry validates tags. */
export function registryDate(): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(DIR, 'meta.json'), 'utf8'))['File-Date'] ?? '';
  } catch {
    return '';
  }
}

/** The registry entry of a subtag (or whole tag) of a type, exactly as written (case matters). */
export function registryEntry(type: string, subtag: string): RegistryEntry | undefined {
  const hit = load().get(`${type}:${subtag}`);
  if (hit) return hit;
  const r = ranges.find((x) => x.type === type && subtag.length === x.from.length && subtag >= x.from && subtag <= x.to);
  return r ? { Type: type, Subtag: subtag, Description: ['Private use'] } : undefined;
}

/** The current (not deprecated) subtags of a type, in order, without the private-use ranges. */
export function currentSubtags(type: string): string[] {
  const out: string[] = [];
  for (const e of load().values()) if (e.Type === type && e.Subtag && !e.Deprecated) out.push(e.Subtag);
  return out.sort();
}

/** A subtag of a type in the registry's letter case (subtags match without regard to case, RFC 5646 §2.1.1). */
export function registeredCase(type: string, subtag: string): string | undefined {
  const forms = [subtag.toLowerCase(), subtag.toUpperCase(), subtag.charAt(0).toUpperCase() + subtag.slice(1).toLowerCase()];
  return forms.find((f) => registryEntry(type, f));
}

const ALPHA = /^[A-Za-z]+$/;
const ALNUM = /^[A-Za-z0-9]+$/;
const DIGIT = /^[0-9]/;

/** A language tag split into its parts, or what is wrong with it. */
export function parseLanguageTag(code: string): LanguageTag | { problem: string } {
  if (code === '' || code.trim() !== code) return { problem: 'empty or padded' };
  if (registryEntry('grandfathered', code)) return { grandfathered: code, variants: [], extensions: [] };
  const parts = code.split('-');
  if (parts.some((p) => p === '' || !ALNUM.test(p) || p.length > 8)) return { problem: 'not well formed' };
  const tag: LanguageTag = { variants: [], extensions: [] };
  let i = 0;
  if (parts[0].toLowerCase() === 'x') return privateUse(parts, 0, tag);
  // language: 2-3 letters (4 are reserved, 5-8 registered languages only)
  if (!ALPHA.test(parts[0]) || parts[0].length < 2 || !registryEntry('language', parts[0])) return { problem: `unknown language '${parts[0]}'` };
  tag.language = parts[i++];
  if (i < parts.length && parts[i].length === 3 && ALPHA.test(parts[i]) && tag.language.length <= 3) {
    const e = registryEntry('extlang', parts[i]);
    if (!e || !(e.Prefix ?? []).includes(tag.language)) return { problem: `unknown extended language '${parts[i]}'` };
    tag.extlang = parts[i++];
  }
  if (i < parts.length && parts[i].length === 4 && ALPHA.test(parts[i])) {
    if (!registryEntry('script', parts[i])) return { problem: `unknown script '${parts[i]}'` };
    tag.script = parts[i++];
  }
  if (i < parts.length && ((parts[i].length === 2 && ALPHA.test(parts[i])) || /^[0-9]{3}$/.test(parts[i]))) {
    if (!registryEntry('region', parts[i])) return { problem: `unknown region '${parts[i]}'` };
    tag.region = parts[i++];
  }
  while (i < parts.length && (parts[i].length >= 5 || (parts[i].length === 4 && DIGIT.test(parts[i])))) {
    if (!registryEntry('variant', parts[i]) || tag.variants.includes(parts[i])) return { problem: `unknown or repeated variant '${parts[i]}'` };
    tag.variants.push(parts[i++]);
  }
  const singletons = new Set<string>();
  while (i < parts.length && parts[i].length === 1 && parts[i].toLowerCase() !== 'x') {
    const s = parts[i].toLowerCase();
    // the registered extensions: t (RFC 6497) and u (RFC 6067)
    if ((s !== 't' && s !== 'u') || singletons.has(s)) return { problem: `unknown or repeated extension '${parts[i]}'` };
    singletons.add(s);
    const start = i++;
    while (i < parts.length && parts[i].length >= 2) i++;
    if (i === start + 1) return { problem: `extension '${s}' has no subtags` };
    tag.extensions.push(parts.slice(start, i).join('-'));
  }
  if (i < parts.length && parts[i].toLowerCase() === 'x') return privateUse(parts, i, tag);
  if (i < parts.length) return { problem: `unexpected subtag '${parts[i]}'` };
  return tag;
}

function privateUse(parts: string[], at: number, tag: LanguageTag): LanguageTag | { problem: string } {
  if (at === parts.length - 1) return { problem: 'private use without subtags' };
  tag.privateUse = parts.slice(at).join('-');
  return tag;
}
