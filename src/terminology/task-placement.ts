import { Piscina } from 'piscina';
import type { OperationRequest } from './engine';

type LoadBalancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer']>;

/**
 * Which worker thread takes an engine call. A worker is handed several calls at once, so that it
 * never waits for the busy HTTP thread between them: woken once, it runs all it has been handed
 * (waking a sleeping thread is the dearest part of a hand-off on this machine, ~20 µs of the HTTP
 * thread's time per call, and with two calls per thread most calls woke one). Calls are run one
 * after another on a thread, so a call waits for those handed before it:
 *
 * - a point call (a $lookup, a $validate-code, a $subsumes of stored content: tens of
 *   microseconds) is handed to a thread that holds no other kind of call, up to
 *   POINT_CALLS_PER_THREAD at a time;
 * - other calls on stored content (expansions, translations) made in one turn of the event loop
 *   go OTHER_CALLS_PER_BATCH at most to a batch (a paged expansion takes a few hundred
 *   microseconds: handed one by one, the wake-up of a sleeping thread for each was a tenth of its
 *   cost); a call with resources of its own (a posted value set, tx-resource) goes alone, so a
 *   thread never holds more than two such bodies' copies. A batch, or a call alone, goes to a
 *   thread that holds fewer than HEAVY_CALLS_PER_THREAD of them: a long call holds up at most the
 *   seven calls handed with and after it on its thread (for the time budget at most,
 *   KODVERK_TASK_TIME_LIMIT_MS), and point calls never wait behind one;
 * - an idle thread takes anything.
 */

/** Point calls (batches of them: call-batch.ts) a thread may hold at once. */
export const POINT_CALLS_PER_THREAD = 8;
/** Batches of other calls a thread may hold at once (besides point calls handed to it before them). */
export const HEAVY_CALLS_PER_THREAD = 2;
/** Other calls of one turn go to a thread this many at most to a batch (call-batch.ts). */
export const OTHER_CALLS_PER_BATCH = 4;

/** The service's engine methods that are point operations (by name: the service imports this module). */
const POINT_METHODS: ReadonlySet<string> = new Set(['lookup', 'validateCodeSystemCode', 'validateValueSetCode', 'subsumes']);

/** Does this call work on stored content only (no resources of its own in the request)? */
export function onStoredContent(request: OperationRequest): boolean {
  return request.txResources.length === 0 && !request.heldResources && !request.parameters.some((p) => p.resource !== undefined);
}

/** Is this call a point call: one of the point operations on stored content only? */
export function isPointCall(method: string, request: OperationRequest): boolean {
  return POINT_METHODS.has(method) && onStoredContent(request);
}

/** What the placement knows of one call: its kind, and the thread it was handed to (other calls). */
export interface Placement {
  point: boolean;
  thread?: number;
}

/** Tags a task with its placement (a symbol-keyed property: not copied to the worker). */
export function placed<T extends object>(task: T, placement: Placement): T {
  (task as Record<symbol, unknown>)[Piscina.queueOptionsSymbol] = placement;
  return task;
}

/**
 * The load balancer of the pool (piscina's `loadBalancer`), with the count of other calls each
 * thread holds; `done` is to be called when a call has ended, however it ended.
 */
export class TaskPlacement {
  private readonly heavyOn = new Map<number, number>();

  readonly balancer: LoadBalancer = (task, workers) => {
    const placement = (task as unknown as Record<symbol, Placement | undefined>)[Piscina.queueOptionsSymbol];
    const point = placement?.point ?? false;
    let best: (typeof workers)[number] | null = null;
    for (const w of workers) {
      const usage = w.currentUsage;
      const heavy = this.heavyOn.get(w.id) ?? 0;
      if (usage === 0) {
        best = w;
        break;
      }
      const fits = point ? heavy === 0 && usage < POINT_CALLS_PER_THREAD : heavy < HEAVY_CALLS_PER_THREAD;
      if (fits && (best === null || usage < best.currentUsage)) best = w;
    }
    if (best && placement && !point) {
      placement.thread = best.id;
      this.heavyOn.set(best.id, (this.heavyOn.get(best.id) ?? 0) + 1);
    }
    return best;
  };

  done(placement: Placement): void {
    if (placement.thread === undefined) return;
    const left = (this.heavyOn.get(placement.thread) ?? 1) - 1;
    if (left > 0) this.heavyOn.set(placement.thread, left);
    else this.heavyOn.delete(placement.thread);
    placement.thread = undefined;
  }
}
