import fs from 'node:fs';
import { Piscina } from 'piscina';
import type { TerminologyEngine, OperationRequest } from './engine';
import { TerminologyError, TxIssue } from './issues';
import { compiledBeside } from '../config';
import { CacheCounts, addCacheCounts } from './cache-stats';
import { AnswerText, answerText } from './answer-text';
import { withHeldResources } from './held-resources';
import { OTHER_CALLS_PER_BATCH, POINT_CALLS_PER_THREAD, TaskPlacement, isPointCall, onStoredContent, placed } from './task-placement';
import { TimeBudget } from './time-budget';
import { CallBatch } from './call-batch';

/** The engine calls the FHIR layer makes; each takes a request and an optional instance resource. */
export type EngineMethod = 'expand' | 'validateValueSetCode' | 'validateCodeSystemCode' | 'lookup' | 'subsumes' | 'translate' | 'batchValidate' | 'compare';

/** How one engine call went: time waiting for a thread and time running, in milliseconds. */
export interface TaskTiming {
  method: EngineMethod;
  waitMs: number;
  runMs: number;
  /** ended with an error other than a TerminologyError (a refusal of bad input is no failure) */
  failed: boolean;
}

/** The state of the threads that run engine calls (for readiness and metrics). */
export interface PoolStats {
  /** 'workers': a pool of worker threads; 'in-process': the HTTP thread itself */
  mode: 'workers' | 'in-process';
  /** running and able to take calls */
  started: boolean;
  threads: number;
  maxThreads: number;
  /** calls waiting for a free thread */
  queued: number;
  /** threads running a call */
  busy: number;
}

/** Runs terminology work for the HTTP layer (in this thread, or in worker threads). */
export interface TerminologyService {
  call(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<any>;
  /**
   * The answer as JSON text, serialised where it was made: a worker hands over one string, which
   * crosses the thread boundary as one copy, instead of an object graph the HTTP thread would
   * copy and then serialise again (the HTTP thread's largest cost per call).
   */
  callJson(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<AnswerText>;
  stats(): PoolStats;
  /** Tells the listener about every call when it ends. */
  onTask(listener: (timing: TaskTiming) => void): void;
  close(): Promise<void>;
}

/** A task queued on a thread that was ended (another task there spent its budget) is run again, this many times at most. */
const RERUNS = 3;

/** A TerminologyError as it crosses a thread boundary. */
export interface SerializedError {
  kind: 'terminology-error';
  issues: TxIssue[];
  httpStatus: number;
  unknownSystems: string[];
}

/** What a worker thread answers: the result (or a refusal, or a failure), its run time and cache counts. */
export interface WorkerAnswer {
  value?: unknown;
  error?: SerializedError;
  /** the call failed (a call of a batch: the others' answers stand) */
  failure?: Error;
  runMs: number;
  cache?: CacheCounts;
}

/** One engine call as a worker thread receives it; `json`: answer with the result's JSON text and tag (AnswerText). */
export interface EngineTask {
  method: EngineMethod;
  request: OperationRequest;
  instance?: unknown;
  json?: boolean;
  /**
   * The cell (time-budget.ts) the worker writes when it began (the time budget counts from there)
   * and which thread it runs on (the thread to end when the budget is spent).
   */
  cell?: number;
}

/**
 * Calls handed to a worker thread together (call-batch.ts), answered in order; `oneRead`: point
 * calls, short enough to be read in one read transaction.
 */
export interface BatchTask {
  calls: EngineTask[];
  oneRead: boolean;
}

/** What a worker thread is handed: one call, or a batch of them. */
export type WorkerTask = EngineTask | BatchTask;

export function invoke(engine: TerminologyEngine, method: EngineMethod, request: OperationRequest, instance?: unknown): unknown {
  return (engine[method] as (r: OperationRequest, i?: unknown) => unknown).call(engine, withHeldResources(request), instance);
}

function shuttingDown(): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'transient', txType: 'internal-error', text: 'The server is shutting down; try again' }, 503);
}

/** Keeps the task listeners of a service. */
class TaskListeners {
  private readonly listeners: ((t: TaskTiming) => void)[] = [];
  add(listener: (t: TaskTiming) => void): void {
    this.listeners.push(listener);
  }
  emit(t: TaskTiming): void {
    for (const l of this.listeners) l(t);
  }
}

/** Runs the engine in the calling thread (tests, CLI, in-memory stores). */
export class InProcessService implements TerminologyService {
  private readonly listeners = new TaskListeners();
  private running = 0;
  private closed = false;

  constructor(readonly engine: TerminologyEngine) {}

  async call(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<any> {
    const started = performance.now();
    let failed = false;
    this.running++;
    try {
      return invoke(this.engine, method, request, instance);
    } catch (e) {
      failed = !(e instanceof TerminologyError);
      throw e;
    } finally {
      this.running--;
      this.listeners.emit({ method, waitMs: 0, runMs: performance.now() - started, failed });
    }
  }

  async callJson(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<AnswerText> {
    return answerText(await this.call(method, request, instance));
  }

  stats(): PoolStats {
    return { mode: 'in-process', started: !this.closed, threads: 0, maxThreads: 0, queued: 0, busy: this.running };
  }

  onTask(listener: (t: TaskTiming) => void): void {
    this.listeners.add(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * Runs the engine in a pool of worker threads, each with its own read connection to the store,
 * so a long expansion never holds up other requests or the event loop.
 */
export class WorkerPoolService implements TerminologyService {
  private readonly pool: Piscina;
  private readonly placement = new TaskPlacement();
  /** the time budget of a call (none when the limit is 0) */
  private readonly budget?: TimeBudget;
  private readonly listeners = new TaskListeners();
  /** point calls are handed to the threads a turn of the event loop at a time (call-batch.ts) */
  private readonly pointBatch = new CallBatch<EngineTask, WorkerAnswer>((calls) => this.runPlaced({ calls, oneRead: true }, true) as Promise<WorkerAnswer[]>, () => this.pool.maxThreads);
  /** other calls on stored content too, a few to a batch: one slow call holds up at most the few handed with it */
  private readonly otherBatch = new CallBatch<EngineTask, WorkerAnswer>(
    (calls) => this.runPlaced({ calls, oneRead: false }, false) as Promise<WorkerAnswer[]>,
    () => this.pool.maxThreads,
    OTHER_CALLS_PER_BATCH,
  );
  private inFlight = 0;
  private closed = false;

  constructor(
    dbPath: string,
    threads: number,
    engineOptions: Record<string, unknown>,
    /** longest a task may run on a worker, ms (0: no limit) */
    timeLimitMs = 0,
  ) {
    if (timeLimitMs > 0) this.budget = new TimeBudget(timeLimitMs, (threadId) => this.endThread(threadId), () => !this.closed);
    this.pool = new Piscina({
      filename: WorkerPoolService.workerFile(),
      minThreads: 1,
      maxThreads: threads,
      // a thread beyond the first ends after 20 s without work (its heap and page cache go with it: memory falls back after load)
      idleTimeout: 20_000,
      // a thread is handed its next tasks while it runs one, so it never waits for the HTTP
      // thread's event loop between tasks (with one task at a time a worker sat idle most of the
      // time under load: its next task waited for the HTTP thread to read the answer first);
      // which thread takes which task, and how many, is the placement's choice (task-placement.ts)
      concurrentTasksPerWorker: POINT_CALLS_PER_THREAD,
      loadBalancer: this.placement.balancer,
      workerData: { dbPath, engineOptions, startCells: this.budget?.buffer },
    });
  }

  /** The compiled worker entry (tests run from TypeScript sources but workers need JavaScript). */
  static workerFile(): string {
    return compiledBeside(__filename, 'engine-worker');
  }

  static available(): boolean {
    return fs.existsSync(WorkerPoolService.workerFile());
  }

  async call(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<any> {
    return this.run({ method, request, instance });
  }

  async callJson(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<AnswerText> {
    return this.run({ method, request, instance, json: true });
  }

  private async run(task: EngineTask): Promise<any> {
    const method = task.method;
    if (this.closed) throw shuttingDown();
    const started = performance.now();
    this.inFlight++;
    let answer: WorkerAnswer | undefined;
    const batch = isPointCall(method, task.request) ? this.pointBatch : onStoredContent(task.request) ? this.otherBatch : undefined;
    const hand = batch ? (t: EngineTask) => batch.add(t) : (t: EngineTask) => this.runPlaced(t, false) as Promise<WorkerAnswer>;
    try {
      answer = await (this.budget ? this.budget.run(method, (cell) => hand({ ...task, cell }), RERUNS) : hand(task));
    } catch (e) {
      // a call cut off by the end of a shutdown's grace period is no internal error
      throw this.closed ? shuttingDown() : e;
    } finally {
      this.inFlight--;
      const total = performance.now() - started;
      const runMs = answer?.runMs ?? total;
      this.listeners.emit({ method, waitMs: Math.max(0, total - runMs), runMs, failed: !answer || answer.failure !== undefined });
    }
    if (answer.failure) throw answer.failure;
    if (answer.cache) addCacheCounts(answer.cache);
    if (answer.error) {
      const e = answer.error;
      throw new TerminologyError(e.issues, e.httpStatus, e.unknownSystems);
    }
    return answer.value;
  }

  stats(): PoolStats {
    const queued = this.pool.queueSize;
    return {
      mode: 'workers',
      started: !this.closed && this.pool.threads.length > 0,
      threads: this.pool.threads.length,
      maxThreads: this.pool.maxThreads,
      queued,
      busy: Math.max(0, Math.min(this.pool.threads.length, this.inFlight - queued)),
    };
  }

  onTask(listener: (t: TaskTiming) => void): void {
    this.listeners.add(listener);
  }

  /** Runs a task on the thread the placement chooses; `point`: point calls only. */
  private runPlaced(task: WorkerTask, point: boolean): Promise<unknown> {
    const placement = { point };
    const done = () => this.placement.done(placement);
    const running = this.pool.run(placed(task, placement));
    running.then(done, done);
    return running;
  }

  /** Ends the worker thread with this id (piscina fails its tasks and starts a fresh thread). */
  private endThread(threadId: number): void {
    const thread = this.pool.threads.find((t) => t.threadId === threadId);
    void thread?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.budget?.close();
    await this.pool.destroy();
  }
}
