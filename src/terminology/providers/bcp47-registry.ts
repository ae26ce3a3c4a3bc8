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
/** Every subtag per type in the registry's order, deprecated ones too, private-use ranges spelled out. */
let ordered: Map<string, string[]> | undefined;
/** Ranges such as qaa..qtz (private use), per type. */
let ranges: { type: string; from: string; to: string }[] = [];

function load(): Map<string, RegistryEntry> {
  if (index) return index;
  index = new Map();
  ordered = new Map();
  ranges = [];
  const entries: RegistryEntry[] = JSON.parse(fs.readFileSync(path.join(DIR, 'registry.json'), 'utf8'));
  for (const e of entries) {
    const key = e.Subtag ?? e.Tag;
    if (!key) continue;
    const range = /^(.+)\.\.(.+)$/.exec(key);
    if (range) ranges.push({ type: e.Type, from: range[1], to: range[2] });
    else index.set(`${e.Type}:${key}`, e);
    if (e.Subtag) {
      const list = ordered!.get(e.Type) ?? ordered!.set(e.Type, []).get(e.Type)!;
      list.push(...(range ? spellOut(range[1], range[2]) : [e.Subtag]));
    }
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

/** The letter subtags from one to another of the same length (QM..QZ, Qaaa..Qabx), in the case of the first. */
function spellOut(from: string, to: string): string[] {
  const out: string[] = [];
  const last = to.toLowerCase();
  const letters = from.toLowerCase().split('');
  for (let n = 0; n < 100_000; n++) {
    const s = letters.join('');
    out.push(from.split('').map((c, i) => (c === c.toUpperCase() ? s[i].toUpperCase() : s[i])).join(''));
    if (s >= last) break;
    let i = letters.length - 1;
    while (i >= 0 && letters[i] === 'z') letters[i--] = 'a';
    if (i < 0) break;
    letters[i] = String.fromCharCode(letters[i].charCodeAt(0) + 1);
  }
  return out;
}

/**
 * Every subtag of a type that makes a valid tag, in the registry's order: deprecated subtags too
 * (they stay valid, RFC 5646 §3.1.6) and each subtag of a private-use range.
 */
export function allSubtags(type: string): string[] {
  load();
  return ordered!.get(type) ?? [];
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

/**
 * A tag written in the registry's conventional case (RFC 5646 §2.1.1: tags are case-insensitive;
 * by convention a script is title case, a region upper case, everything else lower case; a
 * grandfathered tag as the registry writes it). Nothing is checked: parseLanguageTag does that.
 */
let grandfatheredByLowerCase: Map<string, string> | undefined;
export function conventionalCase(code: string): string {
  if (!grandfatheredByLowerCase) {
    grandfatheredByLowerCase = new Map();
    for (const e of load().values()) if (e.Type === 'grandfathered' && e.Tag) grandfatheredByLowerCase.set(e.Tag.toLowerCase(), e.Tag);
  }
  const whole = grandfatheredByLowerCase.get(code.toLowerCase());
  if (whole) return whole;
  const parts = code.split('-');
  let afterSingleton = false;
  return parts
    .map((p, i) => {
      if (i > 0 && p.length === 1) afterSingleton = true;
      if (i === 0 || afterSingleton) return p.toLowerCase();
      if (p.length === 4 && ALPHA.test(p)) return p.charAt(0).toUpperCase() + p.slice(1).toLowerCase();
      if (p.length === 2 && ALPHA.test(p)) return p.toUpperCase();
      return p.toLowerCase();
    })
    .join('-');
}

const ALPHA = /^[A-Za-z]+$/;
const ALNUM = /^[A-Za-z0-9]+$/;
const DIGIT = /^[0-9]/;

/**
 * A language tag split into its parts, or what is wrong with it, in the words of the FHIR tooling
 * ("The region 'AB' in the code 'en-AB' is not valid"): the reason is reported beside the unknown code.
 */
export function parseLanguageTag(code: string): LanguageTag | { problem: string; caseOnly?: boolean } {
  if (code === '' || code.trim() !== code) return { problem: `The code '${code}' is empty or has leading or trailing spaces` };
  if (registryEntry('grandfathered', code)) return { grandfathered: code, variants: [], extensions: [] };
  const parts = code.split('-');
  const invalid = (what: string, subtag: string) => ({
    problem: `The ${what} '${subtag}' in the code '${code}' is not valid`,
    // a registered subtag written in another case (en-us): the code is not this system's, the subtag is known
    caseOnly: ['language', 'extLanguage', 'script', 'region', 'variant'].includes(what) && !!registeredCase(what === 'extLanguage' ? 'extlang' : what, subtag),
  });
  if (parts.some((p) => p === '' || !ALNUM.test(p) || p.length > 8)) return { problem: `The code '${code}' is not a well-formed language tag` };
  const tag: LanguageTag = { variants: [], extensions: [] };
  let i = 0;
  if (parts[0].toLowerCase() === 'x') return privateUse(code, parts, 0, tag);
  // language: 2-3 letters (4 are reserved, 5-8 registered languages only)
  if (!ALPHA.test(parts[0]) || parts[0].length < 2 || !registryEntry('language', parts[0])) return invalid('language', parts[0]);
  tag.language = parts[i++];
  if (i < parts.length && parts[i].length === 3 && ALPHA.test(parts[i]) && tag.language.length <= 3) {
    const e = registryEntry('extlang', parts[i]);
    if (!e) return invalid('extLanguage', parts[i]);
    // an extlang has exactly one Prefix, its macrolanguage (RFC 5646 §2.2.2, §3.1.8)
    if (!(e.Prefix ?? []).includes(tag.language)) return onlyWith('extLanguage', parts[i], code, e.Prefix ?? [], tag.language);
    tag.extlang = parts[i++];
  }
  if (i < parts.length && parts[i].length === 4 && ALPHA.test(parts[i])) {
    if (!registryEntry('script', parts[i])) return invalid('script', parts[i]);
    tag.script = parts[i++];
  }
  if (i < parts.length && ((parts[i].length === 2 && ALPHA.test(parts[i])) || /^[0-9]{3}$/.test(parts[i]))) {
    if (!registryEntry('region', parts[i])) return invalid('region', parts[i]);
    tag.region = parts[i++];
  }
  while (i < parts.length && (parts[i].length >= 5 || (parts[i].length === 4 && DIGIT.test(parts[i])))) {
    const e = registryEntry('variant', parts[i]);
    if (!e) return invalid('variant', parts[i]);
    if (tag.variants.some((v) => v.toLowerCase() === parts[i].toLowerCase())) return { problem: `The variant '${parts[i]}' is repeated in the code '${code}'` };
    // a variant with Prefix fields is used after one of them (RFC 5646 §2.2.5, §3.1.8): de-1901, not en-1901
    if (e.Prefix?.length && !e.Prefix.some((p) => prefixOf(p, tag))) return onlyWith('variant', parts[i], code, e.Prefix, parts.slice(0, i).join('-'));
    tag.variants.push(parts[i++]);
  }
  const singletons = new Set<string>();
  while (i < parts.length && parts[i].length === 1 && parts[i].toLowerCase() !== 'x') {
    const s = parts[i].toLowerCase();
    // the registered extensions: t (RFC 6497) and u (RFC 6067)
    if ((s !== 't' && s !== 'u') || singletons.has(s)) return invalid('extension', parts[i]);
    singletons.add(s);
    const start = i++;
    while (i < parts.length && parts[i].length >= 2) i++;
    if (i === start + 1) return invalid('extension', parts[start]);
    tag.extensions.push(parts.slice(start, i).join('-'));
  }
  if (i < parts.length && parts[i].toLowerCase() === 'x') return privateUse(code, parts, i, tag);
  if (i < parts.length) return { problem: `Unable to recognise '${parts[i]}' as a valid part in the language code ${code}` };
  return tag;
}

/** Is a registry Prefix ("sl-rozaj") a prefix of the tag read so far? */
function prefixOf(prefix: string, tag: LanguageTag): boolean {
  const p = parseLanguageTag(prefix);
  return !('problem' in p) && covers(p, tag);
}

const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
const within = (a: string[], b: string[]) => a.every((x) => b.some((y) => same(x, y)));

/**
 * Does one tag cover another: does every subtag of the first appear, in its own place, in the
 * second (en covers en-US and en-Latn-US; en-US covers en-Latn-US; en-Latn and en-US do not cover
 * each other)? This is RFC 4647 §3.3.2 extended filtering, subtags compared without regard to
 * case (RFC 5646 §2.1.1). A grandfathered tag is registered whole and has no parts to compare:
 * it covers and is covered only by itself.
 */
export function covers(a: LanguageTag, b: LanguageTag): boolean {
  if (a.grandfathered || b.grandfathered) return same(a.grandfathered, b.grandfathered);
  if (a.language === undefined ? b.language !== undefined : !same(a.language, b.language)) return false;
  for (const part of ['extlang', 'script', 'region'] as const) if (a[part] !== undefined && !same(a[part], b[part])) return false;
  if (!within(a.variants, b.variants) || !within(a.extensions, b.extensions)) return false;
  return a.privateUse === undefined || same(a.privateUse, b.privateUse);
}

function onlyWith(what: string, subtag: string, code: string, prefixes: string[], actual: string): { problem: string } {
  return { problem: `The ${what} '${subtag}' in the code '${code}' may only be used with '${prefixes.join("' or '")}', not with '${actual}'` };
}

function privateUse(code: string, parts: string[], at: number, tag: LanguageTag): LanguageTag | { problem: string } {
  if (at === parts.length - 1) return { problem: `The private use part of the code '${code}' has no subtags` };
  tag.privateUse = parts.slice(at).join('-');
  return tag;
}
