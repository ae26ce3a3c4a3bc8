/**
 * Version strings of code systems and value sets: ordering (to pick the latest) and wildcard
 * matching (`1.0.x`, `1.*`) as used by system-version style parameters.
 *
 * Ordering rule (documented in the README): versions are split on '.', '-' and '+'; parts
 * compare by their leading number, then by the rest as text (a part without a number after one
 * with); a version that runs out of parts first is the lower one. So 1.10.0 > 1.9.2, 20250909 > 20240716, and 2.0.0 > 2.0.0-beta
 * only through the extra part rule being reversed for pre-release tags.
 */

const SPLIT = /[.\-+]/;

export function compareVersions(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined || a === '') return -1;
  if (b === undefined || b === '') return 1;
  const [aMain, aPre] = splitPre(a);
  const [bMain, bPre] = splitPre(b);
  const pa = aMain.split(SPLIT);
  const pb = bMain.split(SPLIT);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (i >= pa.length) return -1;
    if (i >= pb.length) return 1;
    const c = comparePart(pa[i], pb[i]);
    if (c !== 0) return c;
  }
  // a release sorts after its pre-releases
  if (aPre === undefined && bPre !== undefined) return 1;
  if (aPre !== undefined && bPre === undefined) return -1;
  if (aPre !== undefined && bPre !== undefined) return compareVersions(aPre, bPre);
  return 0;
}

function splitPre(v: string): [string, string | undefined] {
  // only semver-shaped versions have pre-release tags; others are compared part by part
  const m = /^(\d+\.\d+\.\d+)-([0-9A-Za-z.-]+)$/.exec(v.replace(/\+.*$/, ''));
  return m ? [m[1], m[2]] : [v, undefined];
}

/**
 * One part against another: by its leading number (compared as a number, of any length), then by
 * the rest as text; a part without a leading number sorts after those with one. (Comparing mixed
 * parts as text while numbers compare as numbers is no order at all: 10 > 2 but 10 < 1B < 2.)
 */
function comparePart(a: string, b: string): number {
  const [na, ra] = leadingNumber(a);
  const [nb, rb] = leadingNumber(b);
  if (na === undefined || nb === undefined) {
    if (na !== nb) return na === undefined ? 1 : -1;
  } else if (na !== nb) {
    return na.length !== nb.length ? (na.length < nb.length ? -1 : 1) : na < nb ? -1 : 1;
  }
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** The leading digits of a part without leading zeros ('' for zero), and the rest. */
function leadingNumber(part: string): [string | undefined, string] {
  const m = /^(\d+)(.*)$/s.exec(part);
  return m ? [m[1].replace(/^0+/, ''), m[2]] : [undefined, part];
}

/** The highest of these versions (undefined when the list is empty). */
export function latestVersion(versions: (string | undefined)[]): string | undefined {
  let best: string | undefined;
  let seen = false;
  for (const v of versions) {
    if (!seen || compareVersions(v, best) > 0) best = v;
    seen = true;
  }
  return best;
}

export function isSemVer(v: string): boolean {
  return /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(v);
}

/** True when the version contains a wildcard part (x, X or *). */
export function isWildcardVersion(v: string): boolean {
  return v.split('.').some((p) => p === 'x' || p === 'X' || p === '*');
}

/**
 * Does `version` satisfy `pattern`? Exact match, or per-part match where the pattern part is a
 * wildcard (x, X, *); a trailing `*` matches any remaining parts.
 */
export function versionMatches(pattern: string, version: string | undefined): boolean {
  if (version === undefined) return false;
  if (pattern === version) return true;
  if (!isWildcardVersion(pattern)) return false;
  const pp = pattern.split('.');
  const vp = version.split('.');
  for (let i = 0; i < pp.length; i++) {
    const p = pp[i];
    if (p === '*' && i === pp.length - 1) return true;
    if (i >= vp.length) return false;
    if (p === 'x' || p === 'X' || p === '*') continue;
    if (p !== vp[i]) return false;
  }
  return pp.length === vp.length;
}

/**
 * A version that is a URI path names every version below it: a Snomed CT edition URI
 * (http://snomed.info/sct/<module>) stands for each of its releases (.../version/<date>).
 */
export function isVersionPathOf(general: string, detailed: string): boolean {
  return general.includes('://') && detailed.startsWith(general.endsWith('/') ? general : general + '/');
}

/**
 * `detailed` is a version the (wildcard) version `general` stands for, e.g. 1.0.x → 1.0.2, or an
 * edition URI → one of its releases. A shorter version without wildcards ("1") is not taken to
 * mean a longer one ("1.0.0").
 */
export function versionIsMoreDetailed(general: string | undefined, detailed: string | undefined): boolean {
  if (!general || !detailed || general === detailed) return false;
  return (isWildcardVersion(general) && versionMatches(general, detailed)) || isVersionPathOf(general, detailed);
}

/** Splits `url|version` into its parts. */
export function splitCanonical(canonical: string): { url: string; version?: string } {
  const bar = canonical.indexOf('|');
  return bar < 0 ? { url: canonical } : { url: canonical.slice(0, bar), version: canonical.slice(bar + 1) || undefined };
}

export function canonicalOf(url: string, version?: string): string {
  return version ? `${url}|${version}` : url;
}
