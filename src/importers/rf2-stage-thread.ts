import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { compiledBeside } from '../config';
import type { ConceptInput } from '../store/concept-store';
import { Rf2Staging } from '../store/snomed-store';
import type { Rf2File } from '../terminology/snomed/rf2-reader';
import { guarded, stageRelease } from './rf2-assembly';
import { ImportError, Progress } from './importer';
import { WireConcepts, decodeConcepts } from './rf2-wire';

/** What the staging thread was given. */
export interface StageJob {
  files: Rf2File[];
  /** the staging SQLite file to create */
  file: string;
  /** the links part's file, staged by the import's thread: the worker then stages the terms part only, and attaches this file once it is ready */
  links?: string;
  /** concepts in the release (for the progress of assembling them) */
  total: number;
  phase: string;
  isA: string;
  chartype: string;
  port: MessagePort;
  /** Int32 counters: messages posted, pages posted, pages taken, cancelled, links part ready */
  signal: SharedArrayBuffer;
  /** concepts per page handed over, and how many pages may wait untaken */
  page: number;
  ahead: number;
}

/** Counts of the staged release, sent when every concept has been handed over. */
export interface StageCounts {
  concepts: number;
  activeConcepts: number;
  descriptions: number;
  activeDescriptions: number;
  activeLanguageMembers: number;
}

export type StageMessage =
  | { type: 'progress'; op: 'start'; phase: string; total?: number }
  | { type: 'progress'; op: 'update'; done: number }
  | { type: 'progress'; op: 'stop' }
  | { type: 'page'; concepts: WireConcepts }
  | { type: 'done'; counts: StageCounts }
  | { type: 'error'; message: string; file?: string; row?: number; column?: string; stack?: string };

export const POSTED = 0;
export const PAGES = 1;
export const TAKEN = 2;
export const CANCELLED = 3;
export const LINKS_READY = 4;

/** How long the import's thread waits for the worker before checking that it is still alive. */
const LIVENESS_SLICE_MS = 250;

/**
 * An RF2 release staged and its concepts assembled on a worker thread (the machine's second core)
 * while the import's thread writes the ones already assembled into the store. The import's thread
 * holds a synchronous SQLite transaction, so it takes the pages synchronously: it blocks on a
 * shared counter until the worker has posted something, and reads the message off the port. The
 * worker stays at most `ahead` pages in front (bounded memory). A worker that dies without a word
 * (out of memory, process.exit, terminate) ends the import with an ImportError, not a hang.
 *
 * With a links file, the import's thread would otherwise idle while the worker stages: it stages
 * the release's links part (language-refset members, relationships, other refset members) itself
 * meanwhile, and the worker stages the terms part (concepts, descriptions), then attaches the
 * links file to assemble the concepts. The two parts are about the same size.
 */
export class Rf2StagingThread {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flags: Int32Array;
  private finished = false;
  private linksStaged = false;
  /** whether this Node tells, through postMessage's result, that the worker's end of the port is gone (else the wait is unbounded, as it was) */
  private readonly liveness: boolean;
  counts?: StageCounts;
  /** the links part's file, when this thread stages that part (see above) */
  readonly links?: string;

  constructor(
    private readonly files: Rf2File[],
    readonly file: string,
    options: { total: number; phase: string; isA: string; chartype: string; page?: number; ahead?: number; links?: string },
  ) {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT);
    this.links = options.links;
    this.flags = new Int32Array(signal);
    this.port = port1;
    const job: StageJob = { files, file, links: options.links, port: port2, signal, page: options.page ?? 250, ahead: options.ahead ?? 8, total: options.total, phase: options.phase, isA: options.isA, chartype: options.chartype };
    this.worker = new Worker(compiledBeside(__filename, 'rf2-stage-worker'), { workerData: job, transferList: [port2] });
    // the import's thread never waits for the worker's exit: it reads its messages off the port
    this.worker.unref();
    // a death is reported by next(); the 'error' event comes later, on the event loop, and must not crash the process
    this.worker.on('error', () => {});
    this.liveness = typeof this.probe() === 'boolean';
  }

  /**
   * The assembled concepts in file order, as the worker hands them over; its progress (reading,
   * indexing) is passed on meanwhile. A bad row ends it with the ImportError naming file, row and column.
   */
  *concepts(progress: Progress): Generator<ConceptInput> {
    this.stageLinks(progress);
    while (!this.finished) {
      const m = this.next();
      switch (m.type) {
        case 'progress':
          if (m.op === 'start') progress.start(m.phase, m.total);
          else if (m.op === 'update') progress.update(m.done);
          else progress.stop();
          break;
        case 'page':
          Atomics.add(this.flags, TAKEN, 1);
          Atomics.notify(this.flags, TAKEN);
          yield* decodeConcepts(m.concepts);
          break;
        case 'done':
          this.counts = m.counts;
          this.finished = true;
          break;
        case 'error':
          this.finished = true;
          if (m.file !== undefined) throw new ImportError(m.message, { file: m.file, row: m.row, column: m.column });
          throw Object.assign(new Error(m.message), m.stack ? { stack: m.stack } : {});
      }
    }
  }

  /** Waits for everything to be handed over (the staging file is then closed by the worker). */
  finish(progress: Progress): StageCounts {
    for (const _ of this.concepts(progress));
    return this.counts!;
  }

  /** Stages the links part on this thread (once), then lets the worker attach it. A bad row ends it with its ImportError. */
  private stageLinks(progress: Progress): void {
    if (!this.links || this.linksStaged) return;
    const st = new Rf2Staging(this.links, false, { part: 'links' });
    try {
      guarded(() => stageRelease(st, this.files, progress));
    } catch (e) {
      this.finished = true;
      throw e;
    } finally {
      // closed before the worker attaches it: both open their files exclusively
      st.close();
    }
    this.linksStaged = true;
    Atomics.store(this.flags, LINKS_READY, 1);
    Atomics.notify(this.flags, LINKS_READY);
  }

  private next(): StageMessage {
    for (;;) {
      const posted = Atomics.load(this.flags, POSTED);
      const m = receiveMessageOnPort(this.port);
      if (m) return m.message as StageMessage;
      // the Worker's 'exit' and 'error' events never run while this thread blocks, so a worker that
      // has posted nothing for a while is asked whether it still lives (liveness, not duration: a
      // slow page is fine)
      if (Atomics.wait(this.flags, POSTED, posted, LIVENESS_SLICE_MS) === 'timed-out' && !this.workerAlive()) {
        // what it posted just before it died is still queued
        const last = receiveMessageOnPort(this.port);
        if (last) return last.message as StageMessage;
        this.finished = true;
        throw new ImportError('the RF2 staging thread ended without handing over the whole release (it may have run out of memory)');
      }
    }
  }

  /**
   * Whether the worker's end of the port is still open, known without the event loop: Node's
   * postMessage returns true while the other end is there, false once it is closed (the worker's
   * ports close when it dies, however it dies) and nothing once this end has read that close. The
   * worker never reads its port; the probes are dropped with it. (A worker terminated before it ran
   * its script keeps the port open; only close() terminates it, and nothing waits after that.)
   */
  private workerAlive(): boolean {
    return !this.liveness || this.probe() === true;
  }

  private probe(): unknown {
    return (this.port as unknown as { postMessage(value: null): unknown }).postMessage(null);
  }

  /** Stops the worker (if it is still running) and lets go of the port. */
  close(): void {
    Atomics.store(this.flags, CANCELLED, 1);
    Atomics.notify(this.flags, TAKEN);
    Atomics.notify(this.flags, LINKS_READY);
    this.port.close();
    void this.worker.terminate();
  }
}
