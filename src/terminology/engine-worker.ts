import { threadId, workerData } from 'node:worker_threads';
import { openDatabase, readingOnce } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { StoreResourceSource } from './store-source';
import { TerminologyEngine } from './engine';
import { TerminologyError } from './issues';
import { EngineTask, WorkerAnswer, WorkerTask, invoke } from './service';
import { answerText } from './answer-text';
import { takeCacheCounts } from './cache-stats';
import { markFinished, markStarted, startCells } from './time-budget';
import { forgetHeldResources } from './held-resources';

// One read connection and one engine per worker thread; caches live as long as the thread.
const db = openDatabase(workerData.dbPath, undefined, { readonly: true });
const source = new StoreResourceSource(new ResourceStore(db));
const engine = new TerminologyEngine(source, workerData.engineOptions);
// where the time budget's watch sees when a call started (time-budget.ts)
const cells = workerData.startCells ? startCells(workerData.startCells) : undefined;

/** After this long without work a worker lets go of its caches (built concepts, SQLite pages): memory falls back after load. */
const IDLE_MS = 15_000;
let idle: NodeJS.Timeout | undefined;

function rest(): void {
  source.clear();
  forgetHeldResources();
  db.pragma('shrink_memory');
}

export default function run(task: WorkerTask): WorkerAnswer | WorkerAnswer[] {
  if (idle) clearTimeout(idle);
  idle = setTimeout(rest, IDLE_MS);
  idle.unref();
  if (!('calls' in task)) return runOne(task);
  // a batch of point calls (short) reads the store in one read transaction, as it was when the
  // batch began: its change counter is read once for the batch; other calls may be long, and a
  // long read would keep the write-ahead log from being checkpointed
  return task.oneRead ? readingOnce(db, () => source.during(() => task.calls.map(runInBatch))) : task.calls.map(runInBatch);
}

/**
 * One call of a batch: its answer waits for the others', so it is marked finished (should the
 * thread be ended before the batch is answered, it runs again), and a failure is its answer alone.
 */
function runInBatch(task: EngineTask): WorkerAnswer {
  const started = performance.now();
  try {
    const answer = runOne(task);
    if (cells && task.cell !== undefined) markFinished(cells, task.cell);
    return answer;
  } catch (e) {
    return { failure: e instanceof Error ? e : new Error(String(e)), runMs: performance.now() - started };
  }
}

function runOne(task: EngineTask): WorkerAnswer {
  // tell the pool when the task began: its time budget counts from here
  if (cells && task.cell !== undefined) markStarted(cells, task.cell, threadId);
  const started = performance.now();
  try {
    const value = source.during(() => invoke(engine, task.method, task.request, task.instance));
    return { value: task.json ? answerText(value) : value, runMs: performance.now() - started, cache: takeCacheCounts() };
  } catch (e) {
    if (e instanceof TerminologyError) {
      const error = { kind: 'terminology-error' as const, issues: e.issues, httpStatus: e.httpStatus, unknownSystems: e.unknownSystems };
      return { error, runMs: performance.now() - started, cache: takeCacheCounts() };
    }
    throw e;
  }
}
