import { workerData } from 'node:worker_threads';
import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { StoreResourceSource } from './store-source';
import { TerminologyEngine } from './engine';
import { TerminologyError } from './issues';
import { EngineMethod, SerializedError, invoke } from './service';
import type { OperationRequest } from './engine';

// One read connection and one engine per worker thread; caches live as long as the thread.
const db = openDatabase(workerData.dbPath, undefined, { readonly: true });
const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(db)), workerData.engineOptions);

export default function run(task: { method: EngineMethod; request: OperationRequest; instance?: unknown }): unknown {
  try {
    return invoke(engine, task.method, task.request, task.instance);
  } catch (e) {
    if (e instanceof TerminologyError) {
      const out: SerializedError = { kind: 'terminology-error', issues: e.issues, httpStatus: e.httpStatus, unknownSystems: e.unknownSystems };
      return out;
    }
    throw e;
  }
}
