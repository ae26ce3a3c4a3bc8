import { threadId, workerData } from 'node:worker_threads';
import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { StoreResourceSource } from './store-source';
import { TerminologyEngine } from './engine';
import { TerminologyError } from './issues';
import { EngineTask, WorkerAnswer, invoke } from './service';
import { answerText } from './answer-text';
import { takeCacheCounts } from './cache-stats';
import { markStarted, startCells } from './time-budget';

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
  db.pragma('shrink_memory');
}

export default function run(task: EngineTask): WorkerAnswer {
  // tell the pool when the task began: its time budget counts from here
  if (cells && task.cell !== undefined) markStarted(cells, task.cell, threadId);
  if (idle) clearTimeout(idle);
  idle = setTimeout(rest, IDLE_MS);
  idle.unref();
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
