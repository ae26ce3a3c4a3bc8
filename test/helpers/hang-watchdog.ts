import { Worker } from 'node:worker_threads';

/**
 * Runs fn, killing the whole test process (with a message) if it has not returned within `seconds`:
 * a test of code that blocks its thread (Atomics.wait) never reaches jest's own timeout, whose timer
 * runs on that same thread. The watchdog is a thread of its own.
 */
export async function withHangWatchdog<T>(seconds: number, what: string, fn: () => Promise<T> | T): Promise<T> {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const watchdog = new Worker(
    `const { workerData: { done, ms, what } } = require('node:worker_threads');
     if (Atomics.wait(new Int32Array(done), 0, 0, ms) === 'timed-out') {
       process._rawDebug('HUNG: ' + what + ' did not return within ' + ms + ' ms; killing the test process');
       process.kill(process.pid, 'SIGKILL');
     }`,
    { eval: true, workerData: { done: done.buffer, ms: seconds * 1000, what } },
  );
  try {
    return await fn();
  } finally {
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
    await new Promise((resolve) => watchdog.once('exit', resolve));
  }
}
