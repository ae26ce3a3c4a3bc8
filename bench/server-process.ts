import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

// Shared by the benchmarks and the tests that start `kodverk serve` as its own process.

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

/** A loopback port free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node <args>` in `cwd` with exactly `env` (plus PATH) and waits for its "Kodverk
 * listening" log line. PORT=0 and HOST=127.0.0.1 unless env says otherwise. With
 * `discardOutput` (benchmarks: reading the logs would cost the measuring process) its output is
 * dropped, it gets a free port, and it is ready when /readyz answers 200.
 */
export async function spawnServer(args: string[], cwd: string, env: Record<string, string>, options: { timeoutMs?: number; discardOutput?: boolean } = {}): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 150_000;
  if (options.discardOutput) return spawnQuiet(args, cwd, env, timeoutMs);
  const child = spawn('node', args, { cwd, env: { PATH: process.env.PATH!, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: Record<string, any>[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`the server did not start within ${timeoutMs} ms:\n${JSON.stringify(log)}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        let entry: Record<string, any>;
        try {
          entry = JSON.parse(line);
        } catch {
          entry = { text: line };
        }
        log.push(entry);
        if (entry.msg === 'Kodverk listening') {
          clearTimeout(timer);
          resolve({ child, origin: new URL(entry.url).origin, log, exited, kill });
        }
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.push({ stderr: chunk.toString() }));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${JSON.stringify(log)}`));
    });
  });
}

async function spawnQuiet(args: string[], cwd: string, env: Record<string, string>, timeoutMs: number): Promise<ServerProcess> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn('node', args, { cwd, env: { PATH: process.env.PATH!, HOST: '127.0.0.1', ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`${origin}/readyz`).then((r) => r.ok, () => false);
    if (ready) return { child, origin, log: [], exited, kill };
    await new Promise((r) => setTimeout(r, 250));
  }
  await kill();
  throw new Error(`the server on ${origin} did not become ready within ${timeoutMs} ms`);
}
