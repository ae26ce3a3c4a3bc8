import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { startTestServer } from '../helpers/server';
import type { RunningServer } from '../../src/server';
import { ApiKeys } from '../../src/security/api-keys';
import { FuzzRequest, fuzzRequests, problemWith } from '../../bench/fuzz/requests';

/**
 * The HTTP fuzz: 2,000 generated requests (fixed seed) to every route of the real server with
 * the content pack: no 5xx, an OperationOutcome for every refusal on the API and an error page
 * for every refusal of a page, no request left hanging, /readyz still answering and the heap
 * back near where it started. bench/http-fuzz.ts sends 20,000 and more with other seeds.
 */

const PACK = path.resolve(__dirname, '../../terminology');
const SEED = Number(process.env.FUZZ_SEED ?? 9);
let server: RunningServer & { dir: string };
let admin: string;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

beforeAll(async () => {
  server = await startTestServer({ contentPackDir: PACK, loadFhirCore: false, security: { rateLimit: 0, rateLimitExpensive: 0, authFailureLimit: 0 } });
  admin = (await new ApiKeys(server.db).create({ name: 'fuzz', role: 'admin' })).key;
});
afterAll(async () => {
  await server?.close();
});

async function send(r: FuzzRequest): Promise<string | undefined> {
  let res: Response;
  try {
    res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, body: r.body ? new Uint8Array(r.body) : undefined, signal: AbortSignal.timeout(30_000), redirect: 'manual' });
  } catch (e) {
    // a path or header the client itself will not send is no answer of the server
    if (e instanceof TypeError && /Invalid URL|header/i.test(String(e.message))) return undefined;
    return `${e instanceof Error ? e.name : 'failed'}: no answer`;
  }
  const problem = problemWith(r, res.status, res.headers.get('content-type') ?? '', await res.text());
  return problem && `${r.method} ${r.path.slice(0, 200)} → ${problem}`;
}

it('answers 2,000 generated requests without a 5xx, each refusal as an OperationOutcome or error page, and recovers', async () => {
  const requests = fc.sample(fuzzRequests(admin), { seed: SEED, numRuns: 2000 });
  // a first pass of each kind warms caches, so the heap is compared with a warmed-up server
  for (const r of requests.slice(0, 100)) await send(r);
  const baseline = heap();
  const problems: string[] = [];
  let next = 100;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < requests.length) {
        const p = await send(requests[next++]);
        if (p) problems.push(p);
      }
    }),
  );
  expect(problems).toEqual([]);
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(200);
  expect((await fetch(`${server.url}/fhir/metadata`)).status).toBe(200);
  const grown = heap() - baseline;
  expect(grown).toBeLessThan(64 * 1024 * 1024);
}, 600_000);
