import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CapabilityStatement } from 'fhir/r4';
import { ServerProcess, spawnServer } from '../helpers/server-process';
import { jsonOf } from '../helpers/json';

/**
 * The container image's file set, without Docker: the final stage of the Dockerfile is read, the
 * paths it copies are copied into a temporary folder (with production node_modules, made the way
 * the build stage makes them: npm prune --omit=dev), and the server is started there on a fresh
 * store with the image's environment. When the Dockerfile and what the server needs at run time
 * drift apart, this fails. (RUN lines of the final stage only make folders and a link.)
 */

const ROOT = path.resolve(__dirname, '../..');

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function dockerInstructions(text: string): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l);
      if (!m) throw new Error(`cannot read Dockerfile line: ${l}`);
      return { keyword: m[1].toUpperCase(), args: m[2] };
    });
}

interface Copy {
  /** build stage name, or undefined for the build context (the repository) */
  from?: string;
  sources: string[];
  dest: string;
}

interface Stage {
  name?: string;
  workdir: string;
  copies: Copy[];
  env: Record<string, string>;
  healthcheck?: string[];
  cmd?: string[];
}

function dockerStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { keyword, args } of dockerInstructions(text)) {
    if (keyword === 'FROM') {
      const m = /\bAS\s+(\S+)/i.exec(args);
      stages.push({ name: m?.[1], workdir: '/', copies: [], env: {} });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`${keyword} before FROM`);
    if (keyword === 'WORKDIR') stage.workdir = path.posix.resolve(stage.workdir, args);
    else if (keyword === 'ENV') {
      for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) stage.env[m[1]] = m[2].replace(/^"|"$/g, '');
    } else if (keyword === 'COPY') {
      if (args.trim().startsWith('[')) throw new Error('COPY in JSON form is not read by this test: use the plain form');
      const words = args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] });
    } else if (keyword === 'HEALTHCHECK') {
      const json = /CMD\s+(\[.*\])\s*$/.exec(args);
      if (!json) throw new Error('HEALTHCHECK CMD must be in JSON form');
      stage.healthcheck = JSON.parse(json[1]);
    } else if (keyword === 'CMD') {
      stage.cmd = JSON.parse(args);
    }
  }
  return stages;
}

/** Production node_modules, as the build stage leaves them (npm prune --omit=dev), offline. */
function productionNodeModules(work: string): string {
  const build = path.join(work, 'build');
  fs.mkdirSync(build);
  for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(ROOT, f), path.join(build, f));
  execFileSync('cp', ['-a', path.join(ROOT, 'node_modules'), build]);
  execFileSync('npm', ['prune', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: build, stdio: 'pipe' });
  return path.join(build, 'node_modules');
}

/** Copies what the final stage copies into `app` (its WORKDIR). */
function assembleImage(stages: Stage[], work: string): { app: string; stage: Stage } {
  const stage = stages[stages.length - 1];
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  let prodModules: string | undefined;
  for (const copy of stage.copies) {
    for (const source of copy.sources) {
      let from: string;
      if (copy.from) {
        const buildStage = stages.find((s) => s.name === copy.from);
        if (!buildStage) throw new Error(`COPY --from=${copy.from}: no such stage`);
        const rel = path.posix.relative(buildStage.workdir, path.posix.resolve(buildStage.workdir, source));
        // the build stage's node_modules are pruned to production; everything else it makes, the
        // build of this repository has made too (npm test builds first)
        from = rel === 'node_modules' ? (prodModules ??= productionNodeModules(work)) : path.join(ROOT, rel);
      } else {
        from = path.join(ROOT, source);
      }
      if (!fs.existsSync(from)) throw new Error(`the image copies ${source}, which does not exist (${from})`);
      const destRel = path.posix.relative(stage.workdir, path.posix.resolve(stage.workdir, copy.dest));
      const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
      const to = path.join(app, destRel, intoDir ? path.basename(source) : '');
      fs.mkdirSync(path.dirname(to), { recursive: true });
      execFileSync('cp', ['-a', from, to]);
    }
  }
  return { app, stage };
}

describe("the Dockerfile's build stage has what the build needs", () => {
  // npm ci runs the build (prepare: tsc -p tsconfig.json) on exactly the files this stage copies
  // from the build context; a source that imports something left out breaks `docker build`, which
  // the final-stage test below cannot see (it reuses this repository's dist/)
  it('compiles from the copied files alone', () => {
    const [build] = dockerStages(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-image-build-'));
    try {
      for (const copy of build.copies.filter((c) => !c.from)) {
        for (const source of copy.sources) {
          const intoDir = copy.dest.endsWith('/') || copy.sources.length > 1;
          const destRel = path.posix.relative(build.workdir, path.posix.resolve(build.workdir, copy.dest));
          const to = path.join(work, destRel, intoDir ? path.basename(source) : '');
          fs.mkdirSync(path.dirname(to), { recursive: true });
          execFileSync('cp', ['-a', path.join(ROOT, source), to]);
        }
      }
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
      const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      let output = '';
      try {
        execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: work, stdio: 'pipe' });
      } catch (e) {
        output = String((e as { stdout?: Buffer }).stdout ?? e);
      }
      expect(output).toBe('');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('the image built by the Dockerfile runs (its final stage reproduced without Docker)', () => {
  const stages = dockerStages(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  let work: string;
  let server: ServerProcess | undefined;
  let origin: string;
  let stage: Stage;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-image-'));
    const image = assembleImage(stages, work);
    stage = image.stage;
    expect(stage.cmd).toEqual(['node', 'dist/src/cli/main.js', 'serve']);
    // the image's environment, on an ephemeral loopback port and a fresh store in the temp folder
    const env = { HOME: work, ...stage.env, PORT: '0', HOST: '127.0.0.1', KODVERK_DB: path.join(work, 'data', 'kodverk.db'), KODVERK_WORKERS: '1' };
    expect(stage.cmd![0]).toBe('node');
    server = await spawnServer(stage.cmd!.slice(1), image.app, env);
    origin = server.origin;
  }, 240_000);

  afterAll(async () => {
    await server?.kill();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('copies no sources and no development dependencies', () => {
    const app = path.join(work, 'app');
    expect(fs.existsSync(path.join(app, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules', 'jest'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'dist', 'src', 'web', 'public', 'kodverk.css'))).toBe(true);
  });

  it('answers /fhir/metadata, an operation in a worker, and /readyz', async () => {
    const metadata = await fetch(`${origin}/fhir/metadata`);
    expect(metadata.status).toBe(200);
    expect((await jsonOf<CapabilityStatement>(metadata)).resourceType).toBe('CapabilityStatement');
    const lookup = await fetch(`${origin}/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female`);
    expect(lookup.status).toBe(200);
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { workers: { ok: true } } });
  });

  it.each(['/', '/katalog'])('serves the page %s with its CSS and scripts', async (page) => {
    const res = await fetch(origin + page);
    expect(res.status).toBe(200);
    const html = await res.text();
    const assets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"|<script[^>]* src="([^"]+)"/g)].map((m) => m[1] ?? m[2]);
    expect(assets).toContain('/resurser/kodverk.css');
    expect(assets.length).toBeGreaterThan(1);
    for (const asset of assets) {
      const a = await fetch(origin + asset);
      expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
      expect(a.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /text\/css/ : /javascript/);
      expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
  });

  it("the HEALTHCHECK command passes against it, and SIGTERM stops it with exit code 0", async () => {
    expect(stage.healthcheck?.[0]).toBe('node');
    const port = new URL(origin).port;
    execFileSync(stage.healthcheck![0], stage.healthcheck!.slice(1), { env: { PATH: process.env.PATH!, PORT: port }, timeout: 20_000 });
    server!.child.kill('SIGTERM');
    expect(await server!.exited).toBe(0);
  });
});
