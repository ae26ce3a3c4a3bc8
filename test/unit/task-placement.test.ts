import { Piscina } from 'piscina';
import { HEAVY_CALLS_PER_THREAD, POINT_CALLS_PER_THREAD, Placement, TaskPlacement, isPointCall, onStoredContent, placed } from '../../src/terminology/task-placement';

/** Threads as the balancer sees them: an id and how many calls each holds. */
function threads(...usage: number[]) {
  return usage.map((currentUsage, i) => ({ id: i + 1, currentUsage, isRunningAbortableTask: false, histogram: null, terminating: false, destroyed: false }) as never);
}

function call(point: boolean): { task: never; placement: Placement } {
  const placement: Placement = { point };
  return { task: placed({ taskId: 1 }, placement) as never, placement };
}

const ids = (w: unknown) => (w as { id: number } | null)?.id ?? null;
const request = (parameters: object[] = [], txResources: object[] = []) => ({ parameters, txResources }) as never;

describe('which worker thread takes an engine call', () => {
  it('point calls are the point operations on stored content only', () => {
    expect(isPointCall('lookup', request([{ name: 'code', valueCode: 'a' }]))).toBe(true);
    expect(isPointCall('validateValueSetCode', request())).toBe(true);
    expect(isPointCall('subsumes', request())).toBe(true);
    expect(isPointCall('expand', request())).toBe(false);
    expect(isPointCall('translate', request())).toBe(false);
    // resources of the call's own (an inline value set, tx-resource) may cost anything
    expect(isPointCall('validateValueSetCode', request([{ name: 'valueSet', resource: { resourceType: 'ValueSet' } }]))).toBe(false);
    expect(isPointCall('lookup', request([], [{ resourceType: 'CodeSystem' }]))).toBe(false);
  });

  it('other calls are batched only on stored content: a call with resources of its own goes alone', () => {
    expect(onStoredContent(request([{ name: 'url', valueUri: 'http://example.org/vs' }]))).toBe(true);
    expect(onStoredContent(request([{ name: 'valueSet', resource: { resourceType: 'ValueSet' } }]))).toBe(false);
    expect(onStoredContent(request([], [{ resourceType: 'CodeSystem' }]))).toBe(false);
  });

  it('an idle thread takes anything; otherwise the least busy that may', () => {
    const p = new TaskPlacement();
    expect(ids(p.balancer(call(true).task, threads(3, 0, 1)))).toBe(2);
    expect(ids(p.balancer(call(true).task, threads(3, 2, 5)))).toBe(2);
    expect(ids(p.balancer(call(false).task, threads(3, 2, 5)))).toBe(2);
  });

  it(`a thread holds up to ${POINT_CALLS_PER_THREAD} point calls`, () => {
    const p = new TaskPlacement();
    expect(ids(p.balancer(call(true).task, threads(POINT_CALLS_PER_THREAD - 1)))).toBe(1);
    expect(p.balancer(call(true).task, threads(POINT_CALLS_PER_THREAD, POINT_CALLS_PER_THREAD))).toBeNull();
  });

  it('a point call is never handed to a thread holding another kind of call; that one holds up at most one other behind it', () => {
    const p = new TaskPlacement();
    const heavy = call(false);
    expect(ids(p.balancer(heavy.task, threads(0, 0)))).toBe(1);
    // thread 1 now holds the expansion: point calls go to thread 2, or wait
    expect(ids(p.balancer(call(true).task, threads(1, 4)))).toBe(2);
    expect(p.balancer(call(true).task, threads(1, POINT_CALLS_PER_THREAD))).toBeNull();
    // another expansion may wait behind it, not a third (that goes behind the short point calls of another thread)
    const second = call(false);
    expect(ids(p.balancer(second.task, threads(1, POINT_CALLS_PER_THREAD)))).toBe(1);
    expect(HEAVY_CALLS_PER_THREAD).toBe(2);
    expect(ids(p.balancer(call(false).task, threads(2, POINT_CALLS_PER_THREAD)))).toBe(2);
    expect(p.balancer(call(false).task, threads(2))).toBeNull();
    // once they have ended, the thread takes point calls again
    p.done(heavy.placement);
    p.done(second.placement);
    expect(ids(p.balancer(call(true).task, threads(1, POINT_CALLS_PER_THREAD)))).toBe(1);
  });

  it('the placement rides on the task without being sent to the worker', () => {
    const task = placed({ method: 'lookup' }, { point: true });
    expect(Object.keys(task)).toEqual(['method']);
    expect((task as Record<symbol, unknown>)[Piscina.queueOptionsSymbol]).toEqual({ point: true });
    expect(structuredClone(task)).toEqual({ method: 'lookup' });
  });
});
