import { ASF_PROFILE, ASF_SCHEME, ASF_TERMS, ATOM_NS, isFhirTerm, isRetraction } from './asf';
import type { Feed, FeedEntry, FeedLink } from './feed-reader';

/**
 * The rules of the Terminology Syndication Feed IG (NCTS ASF profile 1.0.0) a feed is checked
 * against — by the tests of Kodverk's own feed, and by a follower before it acts on a feed.
 * Errors break a MUST (or a 1..1 cardinality) of the IG; warnings a SHOULD.
 */

export interface FeedProblem {
  severity: 'error' | 'warning';
  /** 'feed', or the entry's id / position */
  where: string;
  text: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MD5 = /^[0-9a-f]{32}$/;
const FHIR_VERSION = /^\d+\.\d+(\.\d+)?$/;
const SCT_MODULE = /^http:\/\/snomed\.info\/x?sct\/\d{6,18}$/;
const SCT_VERSION = /^http:\/\/snomed\.info\/x?sct\/\d{6,18}\/version\/\d{8}$/;

/** An entry's category in the NCTS ASF scheme (the one that says what the artefact is). */
export function asfTerm(entry: FeedEntry): string | undefined {
  return entry.categories.find((c) => c.scheme === ASF_SCHEME)?.term;
}

/** The link to download: the first `alternate` link. */
export function primaryLink(entry: FeedEntry): FeedLink | undefined {
  return entry.links.find((l) => l.rel === 'alternate');
}

function checkDate(value: string | undefined, what: string, problem: (text: string, severity?: FeedProblem['severity']) => void, required: boolean): void {
  if (value === undefined) {
    if (required) problem(`${what} is required`);
  } else if (!RFC3339.test(value) || !Number.isFinite(Date.parse(value))) problem(`${what} '${value}' is not an RFC 3339 date-time`);
}

function checkLink(link: FeedLink, problem: (text: string, severity?: FeedProblem['severity']) => void): void {
  const what = `link rel="${link.rel}"`;
  if (!link.href) problem(`${what} has no href`);
  if (!link.type) problem(`${what} has no type (the media type is 1..1)`);
  if (link.length !== undefined && !/^\d+$/.test(link.length)) problem(`${what}: length '${link.length}' is not an unsigned integer`);
  if (link.sha256 !== undefined && !SHA256.test(link.sha256)) problem(`${what}: ncts:sha256Hash is not 64 lowercase hex characters`);
  if (link.md5 !== undefined && !MD5.test(link.md5)) problem(`${what}: sct:md5Hash is not 32 lowercase hex characters`);
  if ((link.rel === 'alternate' || link.rel === 'related') && !link.sha256 && !link.md5) problem(`${what} carries no hash (ncts:sha256Hash or sct:md5Hash)`, 'warning');
}

function checkEntry(e: FeedEntry, where: string, problems: FeedProblem[]): void {
  const problem = (text: string, severity: FeedProblem['severity'] = 'error') => problems.push({ severity, where, text });
  for (const [el, label] of [
    ['id', 'atom:id'],
    ['title', 'atom:title'],
    ['updated', 'atom:updated'],
    ['contentItemIdentifier', 'ncts:contentItemIdentifier'],
    ['contentItemVersion', 'ncts:contentItemVersion'],
  ]) {
    if ((e.counts[el] ?? 0) !== 1) problem(`${label} must occur exactly once (found ${e.counts[el] ?? 0})`);
  }
  for (const el of ['published', 'summary', 'rights', 'fhirVersion']) if ((e.counts[el] ?? 0) > 1) problem(`${el} may occur at most once`);
  if (e.id !== undefined && !e.id) problem('atom:id is empty');
  checkDate(e.updated, 'atom:updated', problem, false);
  checkDate(e.published, 'atom:published', problem, false);

  if (!e.categories.length) problem('at least one category is required');
  for (const c of e.categories) if (!c.term || !c.scheme) problem('a category needs both term and scheme');
  const term = asfTerm(e);
  if (term === undefined) problem(`no category of the NCTS ASF scheme (${ASF_SCHEME})`, 'warning');
  else if (!(term in ASF_TERMS)) problem(`'${term}' is not a term of the NCTS ASF scheme`);

  const retraction = e.categories.some((c) => c.scheme === ASF_SCHEME && c.term && isRetraction(c.term));
  if (retraction && e.links.some((l) => l.rel === 'alternate')) problem('a retraction must not carry a link rel="alternate" (entry-retract-no-alternate-link)');
  if (!retraction && !e.links.length) problem('an entry that is not a retraction needs at least one link (entry-non-retract-has-link)');
  for (const l of e.links) checkLink(l, problem);

  if (term && isFhirTerm(term)) {
    if (!e.fhirVersion) problem(`ncts:fhirVersion is required with the category ${term}`);
    else if (e.fhirVersion.length > 5 || !FHIR_VERSION.test(e.fhirVersion)) problem(`ncts:fhirVersion '${e.fhirVersion}' is not <major>.<minor>[.<patch>] of at most 5 characters`);
  }
  if (term?.startsWith('SCT_RF2_')) {
    if (e.contentItemIdentifier && !SCT_MODULE.test(e.contentItemIdentifier)) problem('a Snomed CT release should be identified by its module URI (http://snomed.info/sct/<moduleId>)', 'warning');
    if (e.contentItemVersion && !SCT_VERSION.test(e.contentItemVersion)) problem('a Snomed CT release version should be its version URI (http://snomed.info/sct/<moduleId>/version/<YYYYMMDD>)', 'warning');
  } else if (e.contentItemIdentifier && e.contentItemVersion && !e.contentItemVersion.startsWith(e.contentItemIdentifier)) {
    problem('ncts:contentItemVersion does not start with its ncts:contentItemIdentifier', 'warning');
  }
  for (const d of e.dependencies) if (!d) problem('an empty dependency');
  for (const p of e.permissions) if (!p) problem('onto:permission needs a code');
}

/** Every rule the feed breaks (an empty list: the feed conforms). */
export function validateFeed(feed: Feed): FeedProblem[] {
  const problems: FeedProblem[] = [];
  const problem = (text: string, severity: FeedProblem['severity'] = 'error') => problems.push({ severity, where: 'feed', text });
  if (feed.root.name !== 'feed' || feed.root.ns !== ATOM_NS) {
    problem(`the root element is not an Atom feed (${ATOM_NS} feed)`);
    return problems;
  }
  for (const el of ['id', 'title', 'updated']) if ((feed.counts[el] ?? 0) !== 1) problem(`atom:${el} must occur exactly once in the feed (found ${feed.counts[el] ?? 0})`);
  checkDate(feed.updated, 'the feed\'s atom:updated', problem, false);
  if (feed.usesNcts && !feed.profile) problem('ncts:atomSyndicationFormatProfile is required when NCTS ASF elements are used');
  if (feed.profile && feed.profile !== ASF_PROFILE) problem(`the ASF profile ${feed.profile} is not ${ASF_PROFILE}`, 'warning');
  if (!feed.selfLink) problem('no link rel="self"', 'warning');

  const versions = new Map<string, string>();
  let newest = '';
  feed.entries.forEach((e, i) => {
    const where = e.id || `entry ${i + 1}`;
    checkEntry(e, where, problems);
    if (e.contentItemVersion) {
      const other = versions.get(e.contentItemVersion);
      if (other !== undefined) problems.push({ severity: 'error', where, text: `ncts:contentItemVersion ${e.contentItemVersion} is also the version of ${other} (it must be unique in a feed)` });
      else versions.set(e.contentItemVersion, where);
    }
    if (e.updated && Date.parse(e.updated) > Date.parse(newest || '1970-01-01T00:00:00Z')) newest = e.updated;
  });
  if (newest && feed.updated && Date.parse(feed.updated) !== Date.parse(newest)) problem(`the feed's updated (${feed.updated}) is not its newest entry's (${newest})`, 'warning');
  return problems;
}

export const errorsOf = (problems: FeedProblem[]): FeedProblem[] => problems.filter((p) => p.severity === 'error');
