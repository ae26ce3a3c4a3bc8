import { XMLParser } from 'fast-xml-parser';
import { ATOM_NS, KODVERK_NS, NCTS_NS, ONTO_NS, SCT_NS } from './asf';

/**
 * Reads an Atom syndication feed (any publisher's) into plain objects. Element names are matched
 * by namespace URI, not by prefix, so a feed that binds `ncts` to another prefix reads the same.
 * fast-xml-parser (pure JavaScript, no external entities) does the parsing.
 */

export interface FeedLink {
  rel?: string;
  type?: string;
  href?: string;
  /** as written (checked by the validator) */
  length?: string;
  sha256?: string;
  md5?: string;
}

export interface FeedCategory {
  scheme?: string;
  term?: string;
  label?: string;
}

export interface FeedSource {
  id?: string;
  title?: string;
  updated?: string;
  link?: string;
}

export interface FeedEntry {
  id?: string;
  title?: string;
  summary?: string;
  rights?: string;
  published?: string;
  updated?: string;
  author?: string;
  categories: FeedCategory[];
  links: FeedLink[];
  contentItemIdentifier?: string;
  contentItemVersion?: string;
  fhirVersion?: string;
  permissions: string[];
  /** sct:editionDependency, sct:derivativeDependency and kv:dependency */
  dependencies: string[];
  supersedes?: string;
  source?: FeedSource;
  /** how many times each IG element occurs (the validator checks cardinalities) */
  counts: Record<string, number>;
}

export interface Feed {
  /** the document element's namespace URI and local name */
  root: { ns?: string; name: string };
  id?: string;
  title?: string;
  subtitle?: string;
  updated?: string;
  generator?: string;
  profile?: string;
  selfLink?: string;
  entries: FeedEntry[];
  counts: Record<string, number>;
  /** whether any element of the NCTS namespace is used */
  usesNcts: boolean;
}

export class FeedFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedFormatError';
  }
}

type Node = Record<string, any>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

/** Prefix → namespace URI for a node, on top of the ones in scope. */
function scopeOf(node: Node, outer: Map<string, string>): Map<string, string> {
  const scope = new Map(outer);
  for (const [k, v] of Object.entries(node)) {
    if (k === '@_xmlns') scope.set('', String(v));
    else if (k.startsWith('@_xmlns:')) scope.set(k.slice('@_xmlns:'.length), String(v));
  }
  return scope;
}

function split(qname: string): [string, string] {
  const cut = qname.indexOf(':');
  return cut < 0 ? ['', qname] : [qname.slice(0, cut), qname.slice(cut + 1)];
}

/** The child elements of `node` named (ns, local). */
function children(node: Node, scope: Map<string, string>, ns: string, local: string): Node[] {
  const out: Node[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith('@_') || k === '#text') continue;
    const [prefix, name] = split(k);
    if (name === local && scope.get(prefix) === ns) out.push(...(v as any[]).map((x) => (typeof x === 'object' && x !== null ? x : { '#text': x })));
  }
  return out;
}

/** An attribute of `node` by (ns, local); no ns means an unprefixed attribute. */
function attr(node: Node, scope: Map<string, string>, local: string, ns?: string): string | undefined {
  for (const [k, v] of Object.entries(node)) {
    if (!k.startsWith('@_')) continue;
    const [prefix, name] = split(k.slice(2));
    if (name !== local) continue;
    if (ns === undefined ? prefix === '' : prefix !== '' && scope.get(prefix) === ns) return String(v);
  }
  return undefined;
}

const text = (n: Node | undefined): string | undefined => (n === undefined ? undefined : n['#text'] === undefined ? '' : String(n['#text']).trim());

function usesNamespace(node: Node, scope: Map<string, string>, ns: string): boolean {
  for (const [k, v] of Object.entries(node)) {
    if (k === '#text' || k.startsWith('@_xmlns')) continue;
    const [prefix] = split(k.startsWith('@_') ? k.slice(2) : k);
    if (prefix && scope.get(prefix) === ns) return true;
    if (!k.startsWith('@_') && Array.isArray(v)) for (const c of v) if (typeof c === 'object' && c && usesNamespace(c, scopeOf(c, scope), ns)) return true;
  }
  return false;
}

function readEntry(node: Node, outer: Map<string, string>): FeedEntry {
  const scope = scopeOf(node, outer);
  const one = (ns: string, local: string) => text(children(node, scope, ns, local)[0]);
  const counts: Record<string, number> = {};
  for (const [ns, local] of [
    [ATOM_NS, 'id'],
    [ATOM_NS, 'title'],
    [ATOM_NS, 'updated'],
    [ATOM_NS, 'published'],
    [ATOM_NS, 'summary'],
    [ATOM_NS, 'rights'],
    [NCTS_NS, 'contentItemIdentifier'],
    [NCTS_NS, 'contentItemVersion'],
    [NCTS_NS, 'fhirVersion'],
  ]) counts[local] = children(node, scope, ns, local).length;
  const links = children(node, scope, ATOM_NS, 'link').map((l) => {
    const s = scopeOf(l, scope);
    return { rel: attr(l, s, 'rel') ?? 'alternate', type: attr(l, s, 'type'), href: attr(l, s, 'href'), length: attr(l, s, 'length'), sha256: attr(l, s, 'sha256Hash', NCTS_NS), md5: attr(l, s, 'md5Hash', SCT_NS) };
  });
  const categories = children(node, scope, ATOM_NS, 'category').map((c) => ({ scheme: attr(c, scope, 'scheme'), term: attr(c, scope, 'term'), label: attr(c, scope, 'label') }));
  const dependencies: string[] = [];
  for (const pd of children(node, scope, SCT_NS, 'packageDependency')) {
    const s = scopeOf(pd, scope);
    for (const local of ['editionDependency', 'derivativeDependency']) for (const d of children(pd, s, SCT_NS, local)) dependencies.push(text(d) ?? '');
  }
  for (const d of children(node, scope, KODVERK_NS, 'dependency')) dependencies.push(text(d) ?? '');
  const src = children(node, scope, ATOM_NS, 'source')[0];
  let source: FeedSource | undefined;
  if (src) {
    const s = scopeOf(src, scope);
    const self = children(src, s, ATOM_NS, 'link').find((l) => (attr(l, s, 'rel') ?? 'alternate') === 'self');
    source = { id: text(children(src, s, ATOM_NS, 'id')[0]), title: text(children(src, s, ATOM_NS, 'title')[0]), updated: text(children(src, s, ATOM_NS, 'updated')[0]), link: self ? attr(self, s, 'href') : undefined };
  }
  const author = children(node, scope, ATOM_NS, 'author')[0];
  return {
    id: one(ATOM_NS, 'id'),
    title: one(ATOM_NS, 'title'),
    summary: one(ATOM_NS, 'summary'),
    rights: one(ATOM_NS, 'rights'),
    published: one(ATOM_NS, 'published'),
    updated: one(ATOM_NS, 'updated'),
    author: author ? text(children(author, scopeOf(author, scope), ATOM_NS, 'name')[0]) : undefined,
    categories,
    links,
    contentItemIdentifier: one(NCTS_NS, 'contentItemIdentifier'),
    contentItemVersion: one(NCTS_NS, 'contentItemVersion'),
    fhirVersion: one(NCTS_NS, 'fhirVersion'),
    permissions: children(node, scope, ONTO_NS, 'permission').map((p) => attr(p, scope, 'code') ?? ''),
    dependencies: dependencies.filter(Boolean),
    supersedes: one(KODVERK_NS, 'supersedes'),
    source,
    counts,
  };
}

/** Parses a feed document; throws FeedFormatError when it is not well-formed XML with one root. */
export function readFeed(xml: string): Feed {
  let doc: Node;
  try {
    doc = parser.parse(xml, true);
  } catch (e) {
    throw new FeedFormatError(`not well-formed XML: ${(e as Error).message}`);
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && !k.startsWith('!') && !k.startsWith('#'));
  if (roots.length !== 1 || !Array.isArray(doc[roots[0]]) || doc[roots[0]].length !== 1) throw new FeedFormatError('the document must have exactly one root element');
  const node: Node = doc[roots[0]][0];
  const scope = scopeOf(node, new Map());
  const [prefix, name] = split(roots[0]);
  const one = (local: string, ns = ATOM_NS) => text(children(node, scope, ns, local)[0]);
  const counts: Record<string, number> = {};
  for (const local of ['id', 'title', 'updated']) counts[local] = children(node, scope, ATOM_NS, local).length;
  const self = children(node, scope, ATOM_NS, 'link').find((l) => attr(l, scope, 'rel') === 'self');
  return {
    root: { ns: scope.get(prefix), name },
    id: one('id'),
    title: one('title'),
    subtitle: one('subtitle'),
    updated: one('updated'),
    generator: one('generator'),
    profile: one('atomSyndicationFormatProfile', NCTS_NS),
    selfLink: self ? attr(self, scope, 'href') : undefined,
    entries: children(node, scope, ATOM_NS, 'entry').map((e) => readEntry(e, scope)),
    counts,
    usesNcts: usesNamespace(node, scope, NCTS_NS),
  };
}
