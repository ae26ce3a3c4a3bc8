import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ServerProcess, spawnServer } from '../helpers/server-process';

/**
 * Graceful shutdown of `kodverk serve` as an orchestrator does it: SIGTERM while a request is in
 * flight. The slow request is an $expand whose body the client is still sending when the signal
 * arrives, so it is in flight for certain, with no sleep inside the server.
 */

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Sends a POST whose body comes in two parts; `finish()` sends the rest and gives the answer. */
function slowPost(origin: string, pathname: string, body: string) {
  const url = new URL(pathname, origin);
  let sendRest: () => void = () => undefined;
  const answer = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    sendRest = () => req.end(body.slice(half));
  });
  return {
    finish: () => {
      sendRest();
      return answer;
    },
  };
}

/** Whether a new connection to the server is refused. */
async function refused(origin: string): Promise<boolean> {
  try {
    await fetch(`${origin}/healthz`);
    return false;
  } catch (e) {
    return (e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

describe('graceful shutdown (SIGTERM)', () => {
  let dir: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-shutdown-'));
    server = await spawnServer([CLI, 'serve'], ROOT, { KODVERK_DB: path.join(dir, 'kodverk.db'), KODVERK_FHIR_CORE: 'false', KODVERK_WORKERS: '1', KODVERK_SHUTDOWN_GRACE_MS: '20000' });
  }, 180_000);

  afterAll(async () => {
    await server?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a request in flight still gets its 200, a later one is refused, exit code 0', async () => {
    const { origin, child, log } = server!;
    const parameters = { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'https://kodverk.se/fhir/ValueSet/juridiskt-kon' }] };
    const slow = slowPost(origin, '/fhir/ValueSet/$expand', JSON.stringify(parameters));
    // the server has the request's headers: it is in flight
    await new Promise((r) => setTimeout(r, 300));
    const signalled = Date.now();
    child.kill('SIGTERM');
    // the listener closes at once; the request in flight keeps the process alive
    const deadline = Date.now() + 5000;
    while (!(await refused(origin)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await refused(origin)).toBe(true);
    expect(child.exitCode).toBeNull();

    const answer = await slow.finish();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ resourceType: 'ValueSet', expansion: { contains: expect.any(Array) } });
    // a keep-alive client is told to reconnect (elsewhere)
    expect(answer.headers.connection).toBe('close');

    expect(await server!.exited).toBe(0);
    const report = log.find((l) => l.msg === 'shut down');
    expect(report).toMatchObject({ inFlightAtStart: 1, cutOff: 0 });
    expect(report!.drainMs).toBeLessThanOrEqual(Date.now() - signalled);
    expect(log.filter((l) => l.level >= 50)).toEqual([]);
  });
});

describe('SIGTERM while a new store loads its content', () => {
  it('is taken when the start is done: the server stops with exit code 0, and its store is whole', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-shutdown-start-'));
    try {
      const db = path.join(dir, 'kodverk.db');
      const child = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', KODVERK_DB: db, KODVERK_WORKERS: '1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      let out = '';
      // the first log line comes before the store opens and its content loads (several seconds)
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('Kodverk starting')) resolve();
        });
        child.once('exit', () => reject(new Error(`exited before starting: ${out}`)));
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/"msg":"shut down"/);
      // the content went in as one: the check command finds nothing wrong
      const check = spawn(process.execPath, [CLI, 'check'], { cwd: ROOT, env: { ...process.env, KODVERK_DB: db, LOG_LEVEL: 'silent' }, stdio: 'ignore' });
      expect(await new Promise((r) => check.once('exit', r))).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
