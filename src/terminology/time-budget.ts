import { TerminologyError } from './issues';

/**
 * The time budget of engine calls on the worker pool: counted from when a worker thread starts a
 * call (time waiting for a thread does not count). The threads write when they start a call and
 * which thread they are into a cell of one SharedArrayBuffer the pool gives every thread once at
 * its start; a call carries only its cell's number. One watch every few milliseconds looks at the
 * calls under way: a call past its budget is abandoned (its thread is ended, the caller answered
 * 422 too-costly), and a call that was waiting on that thread, never started (or had finished but
 * its answer, one of a batch, was lost with the thread), is run again.
 * (Not piscina's abort signal: a task with one has a thread to itself. Not a timer and a shared
 * buffer per call: on the busy HTTP thread they were a measurable part of a $lookup's cost.)
 */

/** Cells for calls under way at once; more wait for a cell. */
const CELLS = 4096;
/** Each cell: [0] when the call started, ms since the epoch (0: not running); [1] the thread's id. */
const CELL_SIZE = 2;

/** The cells as a worker thread sees them (the buffer from its workerData). */
export function startCells(buffer: SharedArrayBuffer): BigInt64Array {
  return new BigInt64Array(buffer);
}

/** A worker thread starts the call of this cell. */
export function markStarted(cells: BigInt64Array, cell: number, threadId: number): void {
  Atomics.store(cells, cell * CELL_SIZE + 1, BigInt(threadId));
  Atomics.store(cells, cell * CELL_SIZE, BigInt(Date.now()));
}

/**
 * A worker thread has answered the call of this cell, but its answer travels with others of its
 * batch (call-batch.ts): should the thread be ended before it sends them, the call counts as not
 * started and runs again.
 */
export function markFinished(cells: BigInt64Array, cell: number): void {
  Atomics.store(cells, cell * CELL_SIZE, 0n);
}

interface Watched {
  method: string;
  fail: (e: Error) => void;
}

export class TimeBudget {
  readonly buffer = new SharedArrayBuffer(CELLS * CELL_SIZE * 8);
  private readonly cells = new BigInt64Array(this.buffer);
  private readonly free: number[] = Array.from({ length: CELLS }, (_, i) => CELLS - 1 - i);
  private readonly waitingForCell: ((cell: number) => void)[] = [];
  private readonly watched = new Map<number, Watched>();
  private readonly watch: NodeJS.Timeout;

  constructor(
    /** the budget, ms */
    readonly limitMs: number,
    /** ends the thread with this id (its tasks fail, piscina starts a fresh thread) */
    private readonly endThread: (threadId: number) => void,
    /** whether a call that never started may run again (not while closing) */
    private readonly mayRerun: () => boolean,
  ) {
    // a call is abandoned between its budget and a tenth of it later (at most 250 ms later)
    this.watch = setInterval(() => this.look(), Math.max(10, Math.min(250, Math.round(limitMs / 10))));
    this.watch.unref();
  }

  /**
   * Runs a call within the budget: `run(cell)` hands it to a thread with its cell. A call that
   * failed other than with a TerminologyError without having started (its thread was ended for
   * another call) runs again, `reruns` times at most.
   */
  async run<T>(method: string, run: (cell: number) => Promise<T>, reruns: number): Promise<T> {
    const cell = this.free.pop() ?? (await new Promise<number>((resolve) => this.waitingForCell.push(resolve)));
    return new Promise<T>((resolve, reject) => {
      let abandoned = false;
      this.watched.set(cell, {
        method,
        fail: (e) => {
          abandoned = true;
          reject(e);
        },
      });
      const settle = () => {
        const started = this.cells[cell * CELL_SIZE] !== 0n;
        this.release(cell);
        return started;
      };
      run(cell).then(
        (value) => {
          settle();
          if (!abandoned) resolve(value);
        },
        (e) => {
          const started = settle();
          if (abandoned) return;
          if (!(e instanceof TerminologyError) && !started && reruns > 0 && this.mayRerun()) resolve(this.run(method, run, reruns - 1));
          else reject(e);
        },
      );
    });
  }

  close(): void {
    clearInterval(this.watch);
  }

  /** A cell is given back only once its call has ended: no thread writes it after that. */
  private release(cell: number): void {
    this.watched.delete(cell);
    Atomics.store(this.cells, cell * CELL_SIZE, 0n);
    Atomics.store(this.cells, cell * CELL_SIZE + 1, 0n);
    const waiting = this.waitingForCell.shift();
    if (waiting) waiting(cell);
    else this.free.push(cell);
  }

  private look(): void {
    if (this.watched.size === 0) return;
    const now = Date.now();
    for (const [cell, w] of this.watched) {
      const at = Number(Atomics.load(this.cells, cell * CELL_SIZE));
      if (at === 0 || now - at < this.limitMs) continue;
      // abandoned: the caller is answered now; the cell stays taken until the call has ended
      this.watched.delete(cell);
      this.endThread(Number(Atomics.load(this.cells, cell * CELL_SIZE + 1)));
      w.fail(
        TerminologyError.of(
          { severity: 'error', code: 'too-costly', text: `The ${w.method} did not finish within the time this server gives one request (${this.limitMs} ms, KODVERK_TASK_TIME_LIMIT_MS) and was abandoned` },
          422,
        ),
      );
    }
  }
}
