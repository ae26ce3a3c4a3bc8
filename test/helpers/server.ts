import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, RunningServer } from '../../src/server';

/** Starts the real server on an ephemeral port with a fresh SQLite file in a temp folder, removed when the server is closed. */
export async function startTestServer(overrides: Record<string, unknown> = {}, options: Parameters<typeof startServer>[1] = {}): Promise<RunningServer & { dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-test-'));
  // no rate limits unless a test sets them: suites send hundreds of requests a minute from one address
  const security = { rateLimit: 0, rateLimitExpensive: 0, ...(overrides.security as object) };
  // idle connections kept past any pause within a test (as README asks of a server behind a proxy):
  // at the server's 5 s a client may send on a connection in the instant the server closes it,
  // an ECONNRESET that a busy machine (another test file running alongside) makes likely
  const server = await startServer({ port: 0, host: '127.0.0.1', dbPath: path.join(dir, 'kodverk.db'), logLevel: 'silent', keepAliveTimeoutMs: 65_000, ...overrides, security }, options);
  // closing removes the folder too: a suite of servers would otherwise leave hundreds in /tmp
  const close = server.close.bind(server);
  return Object.assign(server, { dir, close: () => close().finally(() => fs.rmSync(dir, { recursive: true, force: true })) });
}

export const SHARED_DATA = path.resolve(__dirname, '../../../shared/data');
export function sharedDataPresent(sub: string): boolean {
  return fs.existsSync(path.join(SHARED_DATA, sub));
}

/** Log lines written by a server started with `{ logDestination: logs.destination }`. */
export function collectLogs(): { destination: { write(line: string): void }; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}
