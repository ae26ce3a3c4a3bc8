/**
 * Where a stored resource (or NIM release) comes from, and who may replace or retract it. A follower
 * can take in several feeds; without this rule any of them could overwrite what the operator
 * imported, or what another feed delivered, by naming the same id or url|version.
 */
export type Origin = string | null;

/** Put here by this instance's operator: an import, the content pack, a write through the API. */
export const LOCAL = null;
/** The FHIR R4 core terminology Kodverk loads itself: common ground any source may update. */
export const SHIPPED = 'shipped';
/** Taken in from a followed feed before origins were recorded (which feed is unknown). */
export const SOME_FEED = 'feed';

/** The origin of what a follower takes in from the feed at this URL (as configured). */
export function feedOrigin(feedUrl: string): string {
  return `feed ${feedUrl}`;
}

/** Is this this instance's own doing (its operator, or what it ships), which may replace anything? */
export function isOwn(origin: Origin): boolean {
  return origin === LOCAL || origin === SHIPPED;
}

/** May content from `writer` replace (or retract) what `holder` put here? The operator always may. */
export function mayReplace(writer: Origin, holder: Origin): boolean {
  if (isOwn(writer)) return true;
  return holder === writer || holder === SHIPPED || holder === SOME_FEED;
}

/** How an origin is named in a message. */
export function describeOrigin(origin: Origin): string {
  if (origin === LOCAL) return 'this instance (an import or a write here)';
  if (origin === SHIPPED) return 'the FHIR core terminology shipped with Kodverk';
  if (origin === SOME_FEED) return 'a followed feed';
  return origin.startsWith('feed ') ? `the feed ${origin.slice(5)}` : origin;
}

/** Why `writer` may not replace `what`, which `holder` put here (one wording for every refusal). */
export function heldElsewhere(what: string, holder: Origin, writer: Origin): string {
  return `${what} is held here from ${describeOrigin(holder)}; ${describeOrigin(writer)} may not replace it`;
}

/** May `writer` withdraw what `holder` put here? As replacing, but shipped content stays. */
export function mayRetract(writer: Origin, holder: Origin): boolean {
  return mayReplace(writer, holder) && (writer === LOCAL || holder !== SHIPPED);
}
