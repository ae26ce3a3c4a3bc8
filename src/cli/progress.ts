import cliProgress from 'cli-progress';
import type { Progress } from '../importers/importer';

/** A progress bar on a terminal (stderr), silent otherwise. */
export function terminalProgress(): Progress {
  if (!process.stderr.isTTY) return { start() {}, update() {}, stop() {} };
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(phase, total) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        { format: total ? `${phase} [{bar}] {percentage}% {value}/{total}` : `${phase} {value}`, stream: process.stderr, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, 0);
    },
    update(done) {
      bar?.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
