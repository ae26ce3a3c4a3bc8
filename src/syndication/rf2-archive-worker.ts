import { parentPort, workerData } from 'node:worker_threads';
import { ArtefactStore } from '../store/artefact-store';
import { Rf2ZipTask, rf2ZipStream } from './rf2-zip';

/**
 * Zips an RF2 release into a staging file of the artefact store, in a thread of its own: the
 * import it goes alongside holds the main thread in one synchronous SQLite transaction, and
 * yazl's deflate runs on libuv's thread pool, which needs an event loop that turns. The parent
 * adopts the file as an artefact once the import has committed, or removes it.
 */
const task = workerData as Rf2ZipTask;
new ArtefactStore(task.artefactDir).stage(rf2ZipStream(task.folder, task.releaseDate), task.staged).then(
  (ref) => parentPort!.postMessage({ ok: true, ref }),
  (e: unknown) => parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) }),
);
