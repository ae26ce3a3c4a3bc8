import path from 'node:path';
import fs from 'node:fs';
import { Piscina } from 'piscina';
import type { TerminologyEngine, OperationRequest } from './engine';
import { TerminologyError, TxIssue } from './issues';
import { projectRoot } from '../config';

/** The engine calls the FHIR layer makes; each takes a request and an optional instance resource. */
export type EngineMethod = 'expand' | 'validateValueSetCode' | 'validateCodeSystemCode' | 'lookup' | 'subsumes' | 'translate' | 'batchValidate' | 'compare';

/** Runs terminology work for the HTTP layer (in this thread, or in worker threads). */
export interface TerminologyService {
  call(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<any>;
  close(): Promise<void>;
}

/** A TerminologyError as it crosses a thread boundary. */
export interface SerializedError {
  kind: 'terminology-error';
  issues: TxIssue[];
  httpStatus: number;
  unknownSystems: string[];
}

export function invoke(engine: TerminologyEngine, method: EngineMethod, request: OperationRequest, instance?: unknown): unknown {
  return (engine[method] as (r: OperationRequest, i?: unknown) => unknown).call(engine, request, instance);
}

/** Runs the engine in the calling thread (tests, CLI, in-memory stores). */
export class InProcessService implements TerminologyService {
  constructor(readonly engine: TerminologyEngine) {}

  async call(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<any> {
    return invoke(this.engine, method, request, instance);
  }

  async close(): Promise<void> {}
}

/**
 * Runs the engine in a pool of worker threads, each with its own read connection to the store,
 * so a long expansion never holds up other requests or the event loop.
 */
export class WorkerPoolService implements TerminologyService {
  private readonly pool: Piscina;

  constructor(
    dbPath: string,
    threads: number,
    engineOptions: Record<string, unknown>,
    /** longest a task may run on a worker, ms (0: no limit) */
    private readonly timeLimitMs = 0,
  ) {
    this.pool = new Piscina({
      filename: WorkerPoolService.workerFile(),
      minThreads: 1,
      maxThreads: threads,
      idleTimeout: 60_000,
      workerData: { dbPath, engineOptions },
    });
  }

  /** The compiled worker entry (tests run from TypeScript sources but workers need JavaScript). */
  static workerFile(): string {
    const compiled = __filename.endsWith('.ts') ? path.join(projectRoot(), 'dist', 'src', 'terminology', 'engine-worker.js') : path.join(__dirname, 'engine-worker.js');
    return compiled;
  }

  static available(): boolean {
    return fs.existsSync(WorkerPoolService.workerFile());
  }

  async call(method: EngineMethod, request: OperationRequest, instance?: unknown): Promise<any> {
    const result = this.timeLimitMs > 0 ? await this.runWithinBudget({ method, request, instance }) : await this.pool.run({ method, request, instance });
    if (result && result.kind === 'terminology-error') {
      const e = result as SerializedError;
      throw new TerminologyError(e.issues, e.httpStatus, e.unknownSystems);
    }
    return result;
  }

  /**
   * Runs a task with a time budget counted from when a worker starts it (the worker writes that
   * instant into a shared cell; time in the queue does not count). A task past its budget is
   * abandoned: piscina ends that worker thread and starts a fresh one, so the pool is free again.
   */
  private async runWithinBudget(task: { method: EngineMethod; request: OperationRequest; instance?: unknown }): Promise<any> {
    const started = new BigInt64Array(new SharedArrayBuffer(8));
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const watch = (wait: number) => {
      timer = setTimeout(() => {
        const at = Number(Atomics.load(started, 0));
        const left = at === 0 ? this.timeLimitMs : at + this.timeLimitMs - Date.now();
        if (at !== 0 && left <= 0) abort.abort();
        else watch(left);
      }, wait);
      timer.unref();
    };
    watch(this.timeLimitMs);
    try {
      return await this.pool.run({ ...task, started }, { signal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) {
        throw TerminologyError.of(
          { severity: 'error', code: 'too-costly', text: `The ${task.method} did not finish within the time this server gives one request (${this.timeLimitMs} ms, KODVERK_TASK_TIME_LIMIT_MS) and was abandoned` },
          422,
        );
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
