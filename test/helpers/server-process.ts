import { ChildProcess, spawn } from 'node:child_process';

/** A server started as its own process (`kodverk serve`), as an operator runs it. */
export interface ServerProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** its log lines so far (JSON lines parsed, others as { text }) */
  log: Record<string, any>[];
  /** resolves with the exit code */
  exited: Promise<number | null>;
  /** SIGKILL if still running (cleanup) */
  kill(): Promise<void>;
}

/**
 * Starts `node <args>` in `cwd` with exactly `env` (plus PATH) and waits for its "Kodverk
 * listening" log line. PORT=0 and HOST=127.0.0.1 unless env says otherwise.
 */
export function spawnServer(args: string[], cwd: string, env: Record<string, string>, timeoutMs = 150_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH!, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Record<string, any>[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`the server did not start within ${timeoutMs} ms:\n${JSON.stringify(log.slice(-20))}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        let entry: Record<string, any>;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = { text: line };
        }
        log.push(entry);
        if (entry.msg !== 'Kodverk listening') continue;
        clearTimeout(timer);
        resolve({ child, origin: new URL(entry.url).origin, log, exited, kill });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.push({ stderr: chunk.toString() }));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it listened:\n${JSON.stringify(log.slice(-20))}`));
    });
  });
}
