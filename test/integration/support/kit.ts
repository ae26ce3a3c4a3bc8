import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * fhir-kit-client for jest.
 *
 * fhir-kit-client 2 is published as ES modules only, and jest (without
 * --experimental-vm-modules) cannot load ES modules into a test. So each client lives in a
 * worker thread, where Node loads the package itself, and the test calls it through a proxy with
 * the same method names and arguments. Answers come back as the parsed FHIR resource, with the
 * HTTP status and headers available through httpOf(); failures reject like fhir-kit-client's
 * own (error.response.status, error.response.data), with error.headers added.
 */

const CLIENT_MODULE = path.resolve(__dirname, '../../../node_modules/fhir-kit-client/dist/index.js');

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = import(workerData.module).then((m) => ({ Client: m.Client, client: new m.Client(workerData.config) }));
const headersOf = (response) => (response && response.headers ? Object.fromEntries(response.headers.entries()) : {});
parentPort.on('message', async ({ id, method, args }) => {
  try {
    const { Client, client } = await loaded;
    const body = await client[method](...args);
    const { response } = Client.httpFor(body);
    parentPort.postMessage({ id, ok: true, body, status: response && response.status, headers: headersOf(response) });
  } catch (e) {
    const response = e && e.response;
    parentPort.postMessage({ id, ok: false, message: String((e && e.message) || e), status: response && response.status, data: response && response.data, headers: headersOf(e && e.config) });
  }
});
`;

/** Status and headers (lower-case names) of the HTTP answer a resource came with. */
export interface HttpInfo {
  status: number;
  headers: Record<string, string>;
}

/** A rejected call: what fhir-kit-client reports, plus the answer's headers. */
export interface KitError extends Error {
  response?: { status: number; data: any };
  headers: Record<string, string>;
}

const HTTP = Symbol('http');

/** The status and headers a resource returned by a Kit call came with. */
export function httpOf(resource: unknown): HttpInfo {
  const info = (resource as { [HTTP]?: HttpInfo })[HTTP];
  if (!info) throw new Error('not a resource returned by a Kit call');
  return info;
}

type Params = Record<string, unknown>;

/** The fhir-kit-client calls the tests use. */
export interface Kit {
  read(p: Params): Promise<any>;
  vread(p: Params): Promise<any>;
  search(p: Params): Promise<any>;
  create(p: Params): Promise<any>;
  update(p: Params): Promise<any>;
  delete(p: Params): Promise<any>;
  operation(p: Params): Promise<any>;
  request(url: string, p?: Params): Promise<any>;
  nextPage(p: Params): Promise<any>;
  prevPage(p: Params): Promise<any>;
  capabilityStatement(): Promise<any>;
  close(): Promise<void>;
}

/** A fhir-kit-client `new Client(config)` in its own worker thread. */
export function connectKit(config: { baseUrl: string; bearerToken?: string; customHeaders?: Record<string, string> }): Kit {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: CLIENT_MODULE, config } });
  worker.unref();
  let next = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: unknown) => void }>();
  worker.on('message', (m: any) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) {
      const body = m.body ?? {};
      Object.defineProperty(body, HTTP, { value: { status: m.status, headers: m.headers }, enumerable: false });
      p.resolve(body);
    } else {
      const e = new Error(m.message) as KitError;
      if (m.status !== undefined) e.response = { status: m.status, data: m.data };
      e.headers = m.headers;
      p.reject(e);
    }
  });
  worker.on('error', (err) => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  const call =
    (method: string) =>
    (...args: unknown[]) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, method, args });
      });
  const kit: Record<string, unknown> = {};
  for (const m of ['read', 'vread', 'search', 'create', 'update', 'delete', 'operation', 'request', 'nextPage', 'prevPage', 'capabilityStatement']) kit[m] = call(m);
  kit.close = async () => {
    await worker.terminate();
  };
  return kit as unknown as Kit;
}

/** The error a call was expected to fail with. */
export async function failure(call: Promise<unknown>): Promise<{ status: number; data: any; headers: Record<string, string> }> {
  try {
    await call;
  } catch (e) {
    const err = e as KitError;
    if (!err.response) throw err;
    return { status: err.response.status, data: err.response.data, headers: err.headers };
  }
  throw new Error('the call succeeded but was expected to fail');
}
