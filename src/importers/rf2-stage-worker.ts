/**
 * The staging thread of an RF2 import (see Rf2StagingThread): reads, checks and stages the
 * release's rows, then assembles its concepts and hands them to the import's thread a page at a
 * time, never more than `ahead` pages in front of it.
 */
import { workerData } from 'node:worker_threads';
import type { ConceptInput } from '../store/concept-store';
import { Rf2Staging } from '../store/snomed-store';
import { Rf2FormatError } from '../terminology/snomed/rf2-reader';
import type { Progress } from './importer';
import { conceptInputOf, stageRelease } from './rf2-assembly';
import { CANCELLED, LINKS_READY, PAGES, POSTED, StageCounts, StageJob, StageMessage, TAKEN } from './rf2-stage-thread';
import { encodeConcepts } from './rf2-wire';

const job = workerData as StageJob;
const flags = new Int32Array(job.signal);

class Cancelled extends Error {}

function send(m: StageMessage): void {
  job.port.postMessage(m);
  Atomics.add(flags, POSTED, 1);
  Atomics.notify(flags, POSTED);
}

function sendPage(concepts: ConceptInput[]): void {
  const pages = Atomics.add(flags, PAGES, 1) + 1;
  for (;;) {
    if (Atomics.load(flags, CANCELLED)) throw new Cancelled();
    const taken = Atomics.load(flags, TAKEN);
    if (pages - taken <= job.ahead) break;
    Atomics.wait(flags, TAKEN, taken, 1000);
  }
  send({ type: 'page', concepts: encodeConcepts(concepts) });
}

/** Waits until the import's thread has staged the links part (see Rf2StagingThread), or the import is cancelled. */
function awaitLinks(): void {
  while (!Atomics.load(flags, LINKS_READY)) {
    if (Atomics.load(flags, CANCELLED)) throw new Cancelled();
    Atomics.wait(flags, LINKS_READY, 0, 1000);
  }
}

const progress: Progress = {
  start: (phase, total) => send({ type: 'progress', op: 'start', phase, total }),
  update: (done) => send({ type: 'progress', op: 'update', done }),
  stop: () => send({ type: 'progress', op: 'stop' }),
};

function run(): StageCounts {
  const st = new Rf2Staging(job.file, false, { part: job.links ? 'terms' : 'whole' });
  try {
    stageRelease(st, job.files, progress);
    if (job.links) {
      awaitLinks();
      st.attach(job.links);
    }
    const counts = { concepts: st.count('concept'), activeConcepts: st.count('concept', true) };
    progress.start(job.phase, job.total);
    let page: ConceptInput[] = [];
    for (const { concept, descriptions, parents } of st.assembled(job.isA, job.chartype)) {
      page.push(conceptInputOf(concept, descriptions, parents));
      if (page.length === job.page) {
        sendPage(page);
        page = [];
      }
    }
    if (page.length) sendPage(page);
    return { ...counts, ...st.counts };
  } finally {
    // closed before 'done': the import's thread then opens the file for the Snomed CT tables
    st.close();
  }
}

try {
  send({ type: 'done', counts: run() });
} catch (e) {
  if (e instanceof Rf2FormatError) send({ type: 'error', message: e.message, file: e.file, row: e.line, column: e.column });
  else if (!(e instanceof Cancelled)) send({ type: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
} finally {
  job.port.close();
}
