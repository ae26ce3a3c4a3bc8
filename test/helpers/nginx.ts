import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Debian's nginx, where installed (`.ci/run` installs it); undefined when absent. */
export function nginxBinary(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx']) if (fs.existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A free loopback port (closed again at once, so a server can take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * deploy/nginx.conf as it runs on one machine without root: listening on a loopback port, the
 * replicas' and the primary's addresses in its upstreams, pid, logs and temp files in `dir`.
 * Everything else — routing, retries, passive health checks, timeouts, gzip — is the file's own.
 */
export function loopbackNginxConf(deployConf: string, dir: string, ports: { listen: number; primary: number; replicas: number[] }): string {
  let conf = fs.readFileSync(deployConf, 'utf8');
  const replace = (pattern: RegExp, by: string | ((...groups: string[]) => string)) => {
    if (!pattern.test(conf)) throw new Error(`deploy/nginx.conf no longer has ${pattern}`);
    conf = conf.replace(pattern, by as any);
  };
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
  replace(/^error_log .*;$/m, `error_log ${path.join(dir, 'error.log')} warn;`);
  replace(/^pid .*;$/m, `pid ${path.join(dir, 'nginx.pid')};`);
  replace(/^worker_processes .*;$/m, 'worker_processes 1;');
  replace(/^(\s*)access_log .*;$/m, (_m, indent) => [`${indent}access_log ${path.join(dir, 'access.log')};`, ...temp.map((t) => `${indent}${t}_temp_path ${path.join(dir, t)};`)].join('\n'));
  replace(/(upstream kodverk_replicas \{\n)((?:\s*server [^\n]+\n)+)/, (_m, head, servers) => {
    const options = /server \S+ ([^;]*);/.exec(servers)?.[1] ?? '';
    return head + ports.replicas.map((p) => `    server 127.0.0.1:${p} ${options};\n`).join('');
  });
  replace(/(upstream kodverk_primary \{\n)(\s*server [^\n]+\n)/, `$1    server 127.0.0.1:${ports.primary};\n`);
  replace(/^(\s*)listen \d+;$/m, `$1listen 127.0.0.1:${ports.listen};`);
  return conf;
}

/** nginx started with a generated configuration in `dir`; resolves when it accepts connections. */
export async function startNginx(binary: string, dir: string, conf: string, port: number): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  fs.mkdirSync(dir, { recursive: true });
  // the worker may run as another user than the master (root): let it write its temp files
  fs.chmodSync(dir, 0o777);
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, conf);
  execFileSync(binary, ['-t', '-q', '-p', dir, '-c', file], { stdio: 'pipe' });
  const child = spawn(binary, ['-p', dir, '-c', file, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > end || child.exitCode !== null) throw new Error(`nginx did not start: ${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGQUIT');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
