import { ClientCaches } from '../../src/terminology/client-caches';
import { TerminologyError } from '../../src/terminology/issues';
import { HeldResources, withHeldResources } from '../../src/terminology/held-resources';
import type { OperationRequest } from '../../src/terminology/engine';

/** The rules of the terminology client caches ($cache-control, HL7 tools IG): what is held, for how long, and what is dropped. */

const vs = (n: number, version = '1', pad = 0) => ({ resourceType: 'ValueSet', url: `http://example.org/vs/${n}`, version, description: 'x'.repeat(pad) });
const cs = (n: number) => ({ resourceType: 'CodeSystem', url: `http://example.org/cs/${n}`, content: 'complete' });

function clock(start = 0) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

function failure(f: () => unknown): TerminologyError {
  try {
    f();
  } catch (e) {
    if (e instanceof TerminologyError) return e;
    throw e;
  }
  throw new Error('expected a TerminologyError');
}

/** The resources a cache hands the engine. */
const held = (h: HeldResources | undefined): any[] => (h ? JSON.parse(Buffer.from(h.json).toString('utf8')) : []);

const LIMITS = { maxCaches: 10, maxBytes: 1_000_000, idleMs: 60_000 };

describe('client caches', () => {
  it('issues a new, unguessable id for each cache (a FHIR id)', () => {
    const caches = new ClientCaches(LIMITS);
    const a = caches.start([], true).id;
    const b = caches.start([], true).id;
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[A-Za-z0-9\-.]{32,64}$/);
  });

  it('holds the code systems, value sets and concept maps sent at the start, by url', () => {
    const caches = new ClientCaches(LIMITS);
    const s = caches.start([vs(1), cs(2), { resourceType: 'Patient', id: 'p' }, { resourceType: 'ValueSet' }], true);
    expect(s.resources).toBe(2);
    expect(held(caches.use(s.id, [])).map((r) => r.url)).toEqual(['http://example.org/vs/1', 'http://example.org/cs/2']);
  });

  it('a sealed cache never takes more; an unsealed one takes in what each call sends', () => {
    const caches = new ClientCaches(LIMITS);
    const sealed = caches.start([vs(1)], true).id;
    caches.use(sealed, [vs(2)]);
    expect(caches.check(sealed).resources).toBe(1);
    const open = caches.start([vs(1)], false).id;
    caches.use(open, [vs(2)]);
    expect(caches.check(open).resources).toBe(2);
    expect(held(caches.use(open, [])).map((r) => r.url)).toEqual(['http://example.org/vs/1', 'http://example.org/vs/2']);
  });

  it('what a call sends wins over the held copy of the same url and version; other versions stay', () => {
    const caches = new ClientCaches(LIMITS);
    const id = caches.start([vs(1, '1'), vs(1, '2')], true).id;
    const sent = { ...vs(1, '1'), title: 'sent' };
    const request = withHeldResources({ txResources: [sent], heldResources: caches.use(id, [sent]) });
    expect(request.txResources.map((r) => [r.version, r.title])).toEqual([
      ['1', 'sent'],
      ['2', undefined],
    ]);
    expect(request.heldResources).toBeUndefined();
    // an inline resource (the value set to expand) leaves the held copy in place
    expect(held(caches.use(id, [], [vs(1, '1')])).map((r) => r.version)).toEqual(['1', '2']);
  });

  it('hands the engine a key that changes with the content, and the same parsed objects while it does not', () => {
    const caches = new ClientCaches(LIMITS);
    const id = caches.start([vs(1)], false).id;
    const a = caches.use(id, [])!;
    const b = caches.use(id, [vs(1)])!; // the same again changes nothing
    expect(b.key).toBe(a.key);
    const first = withHeldResources({ txResources: [], heldResources: a }).txResources[0];
    expect(withHeldResources({ txResources: [], heldResources: b }).txResources[0]).toBe(first);
    const c = caches.use(id, [{ ...vs(1), title: 'changed' }])!;
    expect(c.key).not.toBe(a.key);
    expect(withHeldResources<Pick<OperationRequest, 'txResources' | 'heldResources'>>({ txResources: [], heldResources: c }).txResources[0].title).toBe('changed');
    expect(caches.use(caches.start([], true).id, [])).toBeUndefined();
  });

  it('holds every resource one call sends, also two of the same url and version', () => {
    const caches = new ClientCaches(LIMITS);
    const id = caches.start([{ ...vs(1), title: 'a' }, { ...vs(1), title: 'b' }], true).id;
    expect(held(caches.use(id, [])).map((r) => r.title)).toEqual(['a', 'b']);
  });

  it('a later copy of the same url and version replaces the held one', () => {
    const caches = new ClientCaches(LIMITS);
    const id = caches.start([vs(1)], false).id;
    caches.use(id, [{ ...vs(1), title: 'new' }]);
    expect(held(caches.use(id, [])).map((r) => r.title)).toEqual(['new']);
    expect(caches.check(id).resources).toBe(1);
  });

  it('an unknown, ended or idle cache is cache-id-unknown (404); ending an unknown one is no error', () => {
    const t = clock();
    const caches = new ClientCaches(LIMITS, t.now);
    const unknown = failure(() => caches.use('nope', []));
    expect(unknown.httpStatus).toBe(404);
    expect(unknown.issues[0].txType).toBe('cache-id-unknown');
    const ended = caches.start([], true).id;
    expect(caches.end(ended)).toBe(true);
    expect(caches.end(ended)).toBe(false);
    expect(failure(() => caches.check(ended)).issues[0].txType).toBe('cache-id-unknown');
    const idle = caches.start([], true).id;
    t.advance(59_000);
    caches.check(idle); // use (and check) starts the idle time again
    t.advance(59_000);
    expect(caches.use(idle, [])).toBeUndefined();
    t.advance(60_001);
    expect(failure(() => caches.use(idle, [])).issues[0].txType).toBe('cache-id-unknown');
    expect(caches.stats().dropped).toBe(1);
  });

  it('does not put a malformed id into its message', () => {
    const caches = new ClientCaches(LIMITS);
    expect(failure(() => caches.use('<script>', [])).issues[0].text).not.toContain('<script>');
  });

  it('drops the least recently used caches when there are too many or they hold too much', () => {
    const caches = new ClientCaches({ ...LIMITS, maxCaches: 2 });
    const a = caches.start([], true).id;
    const b = caches.start([], true).id;
    caches.use(a, []);
    const c = caches.start([], true).id;
    expect(() => caches.check(b)).toThrow(TerminologyError);
    expect(caches.check(a).id).toBe(a);
    expect(caches.check(c).id).toBe(c);

    const small = new ClientCaches({ ...LIMITS, maxBytes: 3000 });
    const x = small.start([vs(1, '1', 1000)], false).id;
    const y = small.start([vs(2, '1', 1000)], false).id;
    small.use(y, [vs(3, '1', 1000)]);
    expect(() => small.check(x)).toThrow(TerminologyError);
    expect(small.check(y).resources).toBe(2);
    expect(small.stats().bytes).toBeLessThanOrEqual(3000);
  });

  it('refuses (413) resources that alone outgrow every cache’s room, and the cache stays as it was', () => {
    const caches = new ClientCaches({ ...LIMITS, maxBytes: 2000 });
    expect(failure(() => caches.start([vs(1, '1', 3000)], true)).httpStatus).toBe(413);
    expect(caches.stats().caches).toBe(0);
    const id = caches.start([vs(1, '1', 500)], false).id;
    expect(failure(() => caches.use(id, [vs(2, '1', 1000), vs(3, '1', 1000)])).httpStatus).toBe(413);
    expect(caches.check(id).resources).toBe(1);
    expect(caches.stats().bytes).toBe(caches.check(id).bytes);
  });
});
