/**
 * The Helm chart in .helm/, rendered by the real helm binary for production, staging and a review
 * environment with the values werf and the pipeline inject, then checked object by object:
 * Kubernetes schemas, images, secrets kept out of plain text, probes and limits, Services that
 * select pods, the registry pull secret, and the deploy order (werf's deploy dependencies) that makes migrations
 * run after PostgreSQL and before the app.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { kubeTools, werfServiceValues, type KubeTools, type RenderedObject as K8sObject } from '../support/helm';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const chart = path.join(root, '.helm');

/** Every kind the chart may render, with the model that validates it; any other kind fails the test. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

interface Probe {
  httpGet?: unknown;
  exec?: unknown;
  tcpSocket?: unknown;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { limits?: { cpu?: string; memory?: string }; requests?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } };
  ports?: { name: string; containerPort: number }[];
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    imagePullSecrets?: { name: string }[];
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean };
    terminationGracePeriodSeconds?: number;
    topologySpreadConstraints?: { topologyKey: string }[];
  };
}

const images = {
  node: 'registry.example.com/group/chat:node-3f1a9c0d2b7e4f56',
  node_assets: 'registry.example.com/group/chat:node_assets-8c2d1e0f3a4b5c6d',
  python: 'registry.example.com/group/chat:python-0a1b2c3d4e5f6789',
};

/** Values a production deploy gets from the encrypted secret-values.yaml; dummy, and each distinctive so a leak is findable. */
const productionSecrets = {
  cookieSecret: { production: 'dummy-cookie-secret-0123456789abcdefghij' },
  databaseUrl: { production: 'postgres://chat:dummy-db-password-31337@db.internal:5432/chat' },
  sessionRedis: { production: 'rediss://:dummy-redis-password-31337@redis.internal:6380/0' },
  amqpUri: { production: 'amqps://chat:dummy-amqp-password-31337@mq.internal:5671/' },
  s3AccessKey: { production: 'DUMMYACCESSKEY31337' },
  s3SecretKey: { production: 'dummy-s3-secret-key-31337' },
  mailgunApiKey: { production: 'dummy-mailgun-key-31337' },
  defaultUserPassword: { production: 'dummy-default-password-31337' },
};
/** The GitLab deploy token (scope read_registry) every pod pulls with: one for all environments, under _default. */
const deployToken = { username: 'gitlab+deploy-token-31337', password: 'dummy-deploy-token-31337' };
const registrySecrets = { registryUsername: { _default: deployToken.username }, registryPassword: { _default: deployToken.password } };
const secretLiterals = [...Object.values(productionSecrets).map((entry) => entry.production), deployToken.password];

/**
 * What werf (its service values, and the decrypted secret-values.yaml with the deploy token in it) and the pipeline
 * (--set global.env_url=$CI_ENVIRONMENT_URL) pass, per environment.
 */
function werfValues(env: string, namespace: string, envUrl: string, options: { images?: Record<string, string>; secrets?: Record<string, unknown> } = {}) {
  const injected = werfServiceValues({ project: 'chat', env, namespace, repo: 'registry.example.com/group/chat', images: options.images ?? images });
  return { ...injected, global: { ...injected.global, env_url: envUrl }, secrets: { ...registrySecrets, ...options.secrets } };
}

const environments = {
  production: {
    namespace: 'chat-production',
    url: 'https://chat.example.com',
    values: {
      ...werfValues('production', 'chat-production', 'https://chat.example.com', { secrets: productionSecrets }),
      external: { s3Endpoint: { production: 's3.eu-central-1.amazonaws.com' } },
      workers: { mailgunDomain: { production: 'mg.example.com' } },
    },
  },
  staging: {
    namespace: 'chat-staging',
    url: 'https://chat-staging.example.com',
    values: {
      ...werfValues('staging', 'chat-staging', 'https://chat-staging.example.com', { secrets: { cookieSecret: { staging: 'dummy-staging-cookie-secret-0123456789abcdef' } } }),
    },
  },
  review: {
    namespace: 'chat-review-feature-login-x1y2z3',
    url: 'https://review-feature-login-x1y2z3.review.example.com',
    values: werfValues('review-feature-login-x1y2z3', 'chat-review-feature-login-x1y2z3', 'https://review-feature-login-x1y2z3.review.example.com'),
  },
} as const;
type EnvName = keyof typeof environments;

let tools: KubeTools;
let workDir: string;
const rendered = {} as Record<EnvName, K8sObject[]>;

function valuesFile(name: string, values: unknown): string {
  const file = path.join(workDir, `${name}.values.json`);
  // JSON is YAML: helm reads it as a values file.
  writeFileSync(file, JSON.stringify(values));
  return file;
}

async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(tools.helm, args, { cwd: root, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: workDir, HELM_CONFIG_HOME: workDir, HELM_DATA_HOME: workDir } });
}

async function template(name: string, namespace: string, values: unknown): Promise<K8sObject[]> {
  const { stdout } = await helm(['template', 'chat', chart, '--namespace', namespace, '-f', valuesFile(name, values)]);
  return (loadAll(stdout) as (K8sObject | null)[]).filter((doc): doc is K8sObject => doc !== null);
}

/** The error helm prints when rendering fails. */
async function templateError(name: string, values: unknown): Promise<string> {
  try {
    await template(name, 'chat-test', values);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error('expected helm template to fail');
}

interface NetworkPolicyRule {
  from?: unknown[];
  ports: { port: string | number; protocol: string }[];
}

const workloadKinds = new Set(['Deployment', 'StatefulSet', 'Job']);
function podTemplate(object: K8sObject): PodTemplate {
  return (object.spec as { template: PodTemplate }).template;
}
function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((object) => workloadKinds.has(object.kind));
}
function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is not rendered`);
  return found;
}
function allContainers(object: K8sObject): Container[] {
  const spec = podTemplate(object).spec;
  return [...spec.containers, ...(spec.initContainers ?? [])];
}
const weight = (object: K8sObject) => Number(object.metadata.annotations?.['werf.io/weight'] ?? 0);

interface DeployDependency {
  state: string;
  kind: string;
  name: string;
}
/** The werf.io/deploy-dependency-<id> annotations of an object (state=…,kind=…,name=…), parsed. */
function deployDependencies(object: K8sObject): DeployDependency[] {
  return Object.entries(object.metadata.annotations ?? {})
    .filter(([key]) => key.startsWith('werf.io/deploy-dependency-'))
    .map(([, value]) => {
      const properties = Object.fromEntries(value.split(',').map((property) => property.split('=') as [string, string]));
      return { state: properties.state ?? '', kind: properties.kind ?? '', name: properties.name ?? '' };
    });
}
interface PodRead {
  kind: 'ConfigMap' | 'Secret' | 'ServiceAccount';
  name: string;
  optional: boolean;
}
/** The objects a pod reads from the release: its ServiceAccount, pull Secrets, envFrom and env sources, and volumes. */
function podReads(object: K8sObject): PodRead[] {
  const spec = podTemplate(object).spec as PodTemplate['spec'] & {
    serviceAccountName?: string;
    volumes?: { secret?: { secretName: string; optional?: boolean }; configMap?: { name: string; optional?: boolean } }[];
  };
  type Source = { name: string; optional?: boolean } | undefined;
  const reads: PodRead[] = [];
  const add = (kind: PodRead['kind'], source: Source) => {
    if (source) reads.push({ kind, name: source.name, optional: source.optional === true });
  };
  add('ServiceAccount', spec.serviceAccountName ? { name: spec.serviceAccountName } : undefined);
  for (const reference of spec.imagePullSecrets ?? []) add('Secret', reference);
  for (const container of allContainers(object) as (Container & { envFrom?: { configMapRef?: Source; secretRef?: Source }[] })[]) {
    for (const source of container.envFrom ?? []) {
      add('ConfigMap', source.configMapRef);
      add('Secret', source.secretRef);
    }
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom as { secretKeyRef?: Source; configMapKeyRef?: Source } | undefined;
      add('Secret', from?.secretKeyRef);
      add('ConfigMap', from?.configMapKeyRef);
    }
  }
  for (const volume of spec.volumes ?? []) {
    add('Secret', volume.secret ? { name: volume.secret.secretName, optional: volume.secret.optional } : undefined);
    add('ConfigMap', volume.configMap);
  }
  return reads;
}

/** The registry credentials a kubernetes.io/dockerconfigjson Secret holds, decoded. */
function dockerConfig(secret: K8sObject): unknown {
  return JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));
}
/** What the kubelet needs to log in to the registry with the deploy token (`auth` is user:password in base64, as docker login writes it). */
function expectedDockerConfig(registry: string): unknown {
  const { username, password } = deployToken;
  return { auths: { [registry]: { username, password, auth: Buffer.from(`${username}:${password}`).toString('base64') } } };
}

/** Names that say "this is a credential": such a value belongs in a Secret, never in a ConfigMap or an env value. */
const secretLikeName = /(PASS(WORD)?|SECRET|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE|CREDENTIAL|DATABASE_URL|AMQP_URI|SESSION_REDIS)/i;
/** A URL with a password in it, whatever its key is called. */
const urlWithPassword = /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

beforeAll(async () => {
  tools = await kubeTools();
  workDir = mkdtempSync(path.join(tmpdir(), 'chat-chart-'));
  for (const [name, environment] of Object.entries(environments) as [EnvName, (typeof environments)[EnvName]][]) {
    rendered[name] = await template(name, environment.namespace, environment.values);
  }
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.each(Object.keys(environments) as EnvName[])('%s', (env) => {
  const objects = () => rendered[env];

  test('helm lint passes with the values werf injects', async () => {
    const { stdout } = await helm(['lint', chart, '--strict', '--namespace', environments[env].namespace, '-f', valuesFile(`${env}-lint`, environments[env].values)]);
    expect(stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test('every object is a known kind and valid against the Kubernetes schema', () => {
    expect(objects().length).toBeGreaterThan(10);
    for (const object of objects()) {
      const key = `${object.apiVersion}/${object.kind}`;
      const Model = models[key];
      if (!Model) throw new Error(`${key} (${object.metadata.name}) is rendered but not validated: add its model`);
      expect(() => new Model(object as never).validate()).not.toThrow();
    }
  });

  test('every container runs an image, and the chat containers run the images werf built', () => {
    for (const object of workloads(objects())) {
      for (const container of allContainers(object)) {
        expect(container.image).toMatch(/^[a-z0-9./_-]+(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/);
        // A third-party image must be pinned to a version, never latest.
        if (!Object.values(images).includes(container.image)) expect(container.image).toMatch(/:\d[\w.-]*$/);
      }
    }
    const app = podTemplate(find(objects(), 'Deployment', 'chat')).spec.containers;
    expect(Object.fromEntries(app.map((container) => [container.name, container.image]))).toEqual({ node: images.node, nginx: images.node_assets });
    for (const worker of ['chat-greeter', 'chat-mailer']) {
      expect(podTemplate(find(objects(), 'Deployment', worker)).spec.containers[0]?.image).toBe(images.python);
    }
    expect(podTemplate(find(objects(), 'Job', 'chat-migrate')).spec.containers[0]?.image).toBe(images.node);
  });

  test('every pod pulls with a dockerconfigjson Secret that holds the deploy token for the registry werf pushed to', () => {
    const pullSecrets = workloads(objects()).map((object) => ({ pod: `${object.kind}/${object.metadata.name}`, names: (podTemplate(object).spec.imagePullSecrets ?? []).map((reference) => reference.name) }));
    expect(pullSecrets.length).toBeGreaterThan(3);
    for (const { pod, names } of pullSecrets) {
      expect({ pod, references: names.length }).toEqual({ pod, references: 1 });
      for (const name of names) {
        const secret = find(objects(), 'Secret', name);
        expect({ pod, type: secret.type }).toEqual({ pod, type: 'kubernetes.io/dockerconfigjson' });
        expect(dockerConfig(secret)).toEqual(expectedDockerConfig('registry.example.com'));
      }
    }
  });

  test('credentials live only in Secrets: no secret-looking ConfigMap key or env value', () => {
    for (const object of objects().filter((candidate) => candidate.kind === 'ConfigMap')) {
      for (const [key, value] of Object.entries(object.data ?? {})) {
        expect({ configMap: object.metadata.name, key, secretLike: secretLikeName.test(key) || urlWithPassword.test(value) }).toEqual({ configMap: object.metadata.name, key, secretLike: false });
      }
    }
    for (const object of workloads(objects())) {
      for (const container of allContainers(object)) {
        for (const variable of container.env ?? []) {
          if (variable.value === undefined) continue;
          const plain = secretLikeName.test(variable.name) || urlWithPassword.test(variable.value);
          expect({ container: `${object.metadata.name}/${container.name}`, env: variable.name, plain }).toEqual({ container: `${object.metadata.name}/${container.name}`, env: variable.name, plain: false });
        }
      }
    }
    // The dummy secret values themselves appear in Secrets and nowhere else.
    const outsideSecrets = JSON.stringify(objects().filter((object) => object.kind !== 'Secret'));
    for (const literal of secretLiterals) expect(outsideSecrets).not.toContain(literal);
  });

  test('every long-running container has probes; every container has CPU and memory limits and no privileges', () => {
    for (const object of workloads(objects())) {
      for (const container of podTemplate(object).spec.containers) {
        const where = `${object.kind}/${object.metadata.name}/${container.name}`;
        if (object.kind !== 'Job') {
          expect({ where, liveness: Boolean(container.livenessProbe) }).toEqual({ where, liveness: true });
          // A container that serves a port must also say when it is ready.
          if (container.ports?.length) expect({ where, readiness: Boolean(container.readinessProbe) }).toEqual({ where, readiness: true });
        }
      }
      for (const container of allContainers(object)) {
        const where = `${object.kind}/${object.metadata.name}/${container.name}`;
        expect({ where, cpu: Boolean(container.resources?.limits?.cpu), memory: Boolean(container.resources?.limits?.memory) }).toEqual({ where, cpu: true, memory: true });
        expect({ where, escalation: container.securityContext?.allowPrivilegeEscalation, drop: container.securityContext?.capabilities?.drop }).toEqual({ where, escalation: false, drop: ['ALL'] });
      }
      const spec = podTemplate(object).spec;
      expect({ pod: object.metadata.name, nonRoot: spec.securityContext?.runAsNonRoot, token: spec.automountServiceAccountToken }).toEqual({ pod: object.metadata.name, nonRoot: true, token: false });
    }
  });

  test('every Service selects the pods of some workload, on a port they declare', () => {
    const pods = workloads(objects()).map((object) => podTemplate(object));
    for (const service of objects().filter((object) => object.kind === 'Service')) {
      const spec = service.spec as { selector: Record<string, string>; ports: { targetPort: string | number }[] };
      const matching = pods.filter((pod) => Object.entries(spec.selector).every(([key, value]) => pod.metadata.labels[key] === value));
      expect({ service: service.metadata.name, matches: matching.length > 0 }).toEqual({ service: service.metadata.name, matches: true });
      const declared = matching.flatMap((pod) => pod.spec.containers.flatMap((container) => container.ports ?? []));
      for (const { targetPort } of spec.ports) {
        expect(declared.some((port) => port.name === targetPort || port.containerPort === targetPort)).toBe(true);
      }
    }
  });

  test('deploy order: the migration waits for what it reads and for PostgreSQL where the chart runs one; the app and workers wait for the migration', () => {
    const migrate = find(objects(), 'Job', 'chat-migrate');
    const hasPostgres = objects().some((object) => object.kind === 'StatefulSet' && object.metadata.name === 'chat-postgresql');
    expect(hasPostgres).toBe(env !== 'production');
    // Production has no in-cluster PostgreSQL, so no dependency on one (werf allows only resources of the release).
    expect(deployDependencies(migrate).filter((dependency) => dependency.state === 'ready')).toEqual(hasPostgres ? [{ state: 'ready', kind: 'StatefulSet', name: 'chat-postgresql' }] : []);
    for (const name of ['chat', 'chat-greeter', 'chat-mailer']) {
      expect({ name, dependencies: deployDependencies(find(objects(), 'Deployment', name)) }).toEqual({ name, dependencies: expect.arrayContaining([{ state: 'ready', kind: 'Job', name: 'chat-migrate' }]) });
    }
    const appStores = deployDependencies(find(objects(), 'Deployment', 'chat')).filter((dependency) => dependency.kind === 'StatefulSet').map((dependency) => dependency.name);
    expect(appStores.sort()).toEqual(objects().filter((object) => object.kind === 'StatefulSet').map((object) => object.metadata.name).sort());
    expect(podTemplate(migrate).spec.initContainers?.map((container) => container.name)).toEqual(['wait-for-postgres']);
    expect(find(objects(), 'Job', 'chat-fixtures').metadata.annotations?.['helm.sh/hook']).toBe('post-install');
  });

  test('every deploy dependency names an object of this environment, and every pod waits for what it reads', () => {
    for (const object of objects()) {
      for (const dependency of deployDependencies(object)) {
        expect(['present', 'ready']).toContain(dependency.state);
        expect(() => find(objects(), dependency.kind, dependency.name)).not.toThrow();
      }
    }
    for (const object of workloads(objects())) {
      const pod = `${object.kind}/${object.metadata.name}`;
      const reads = podReads(object).filter((read) => !read.optional || objects().some((candidate) => candidate.kind === read.kind && candidate.metadata.name === read.name));
      const dependencies = deployDependencies(object);
      for (const read of reads) {
        const target = find(objects(), read.kind, read.name);
        // werf ignores the weight of a resource with deploy dependencies: then each read must be one of them.
        if (dependencies.length > 0) expect({ pod, read: `${read.kind}/${read.name}`, dependency: dependencies.some((dependency) => dependency.kind === read.kind && dependency.name === read.name) }).toEqual({ pod, read: `${read.kind}/${read.name}`, dependency: true });
        else expect({ pod, read: `${read.kind}/${read.name}`, earlier: weight(target) < weight(object) }).toEqual({ pod, read: `${read.kind}/${read.name}`, earlier: true });
      }
      // A weight beside dependencies would be ignored, and mislead the reader.
      if (dependencies.length > 0) expect({ pod, weight: object.metadata.annotations?.['werf.io/weight'] }).toEqual({ pod, weight: undefined });
    }
  });

  test('two migrations never run at once: one Job, replaced only after the previous one is gone, one pod at a time', () => {
    const migrate = find(objects(), 'Job', 'chat-migrate');
    expect(migrate.metadata.annotations?.['werf.io/delete-policy']).toBe('before-creation');
    const job = migrate.spec as { parallelism?: number; backoffLimit?: number; podReplacementPolicy?: string; activeDeadlineSeconds?: number };
    expect(job.parallelism).toBe(1);
    expect(job.podReplacementPolicy).toBe('Failed');
    expect(job.backoffLimit).toBeGreaterThan(0);
    expect(job.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(objects().filter((object) => object.kind === 'Job' && podTemplate(object).spec.containers.some((container) => container.command?.join(' ').includes('migrate')))).toEqual([migrate]);
  });

  test('the Ingress serves the environment URL from the pipeline', () => {
    const url = new URL(environments[env].url);
    const ingress = find(objects(), 'Ingress', 'chat').spec as { ingressClassName: string; rules: { host: string }[]; tls?: { hosts: string[]; secretName?: string }[] };
    expect(ingress.ingressClassName).toBeTruthy();
    expect(ingress.rules.map((rule) => rule.host)).toEqual([url.hostname]);
    expect(ingress.tls?.[0]?.hosts ?? []).toEqual(url.protocol === 'https:' ? [url.hostname] : []);
    // staging and production get a certificate from cert-manager; review environments use the controller's wildcard default.
    const ingressObject = find(objects(), 'Ingress', 'chat');
    const issued = env !== 'review';
    expect({ secretName: ingress.tls?.[0]?.secretName, issuer: ingressObject.metadata.annotations?.['cert-manager.io/cluster-issuer'] }).toEqual(
      issued ? { secretName: 'chat-tls', issuer: 'letsencrypt' } : { secretName: undefined, issuer: undefined },
    );
    expect(find(objects(), 'ConfigMap', 'chat-app').data?.COOKIE_SECURE).toBe(String(url.protocol === 'https:'));
  });

  test('the app pod drains before it stops', () => {
    const app = find(objects(), 'Deployment', 'chat');
    const spec = app.spec as { strategy: { rollingUpdate: { maxUnavailable: number } } };
    expect(spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const pod = podTemplate(app).spec;
    const [node, nginx] = pod.containers as [Container & { lifecycle?: { preStop?: { sleep?: { seconds: number } } } }, Container & { lifecycle?: { preStop?: { exec?: { command: string[] } } } }];
    const drain = node.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(drain).toBeGreaterThan(0);
    expect(nginx.lifecycle?.preStop?.exec?.command.join(' ')).toContain('nginx -s quit');
    const shutdown = Number(find(objects(), 'ConfigMap', 'chat-app').data?.SHUTDOWN_TIMEOUT);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(drain + shutdown);
    expect(pod.topologySpreadConstraints?.map((constraint) => constraint.topologyKey)).toContain('kubernetes.io/hostname');
  });

  test("Prometheus may scrape the app pod on Node's own port, where /metrics is served (nginx's port does not serve it)", () => {
    const pod = podTemplate(find(objects(), 'Deployment', 'chat'));
    const annotations = pod.metadata.annotations ?? {};
    expect({ scrape: annotations['prometheus.io/scrape'], path: annotations['prometheus.io/path'] }).toEqual({ scrape: 'true', path: '/metrics' });
    const node = pod.spec.containers[0] as Container & { ports?: { containerPort: number }[] };
    expect(node.ports?.map((port) => String(port.containerPort))).toContain(annotations['prometheus.io/port']);
    const nginxUpstream = (pod.spec.containers[1]?.env ?? []).find((variable) => variable.name === 'NGINX_UPSTREAM')?.value;
    expect(nginxUpstream).toBe(`127.0.0.1:${annotations['prometheus.io/port']}`);
    // The NetworkPolicy lets the monitoring namespace, and only it, reach that port.
    const rules = (find(objects(), 'NetworkPolicy', 'chat-app').spec as { ingress: NetworkPolicyRule[] }).ingress;
    expect(rules.filter((rule) => rule.ports.some((port) => port.port === 'node'))).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'node', protocol: 'TCP' }] },
    ]);
  });

  test('with metrics.scrape off, the pod has no scrape annotations and Node\'s port stays closed', async () => {
    const objects = await template('no-scrape', environments.production.namespace, { ...environments.production.values, metrics: { scrape: { _default: false } } });
    const annotations = podTemplate(find(objects, 'Deployment', 'chat')).metadata.annotations ?? {};
    expect(Object.keys(annotations).filter((key) => key.startsWith('prometheus.io/'))).toEqual([]);
    const rules = (find(objects, 'NetworkPolicy', 'chat-app').spec as { ingress: NetworkPolicyRule[] }).ingress;
    expect(rules.flatMap((rule) => rule.ports.map((port) => port.port))).toEqual(['http']);
  });

  test('the nginx sidecar gets every variable its config template uses', () => {
    const template = readFileSync(path.join(root, 'node/nginx/nginx.conf'), 'utf8');
    const used = [...new Set([...template.matchAll(/\$\{(NGINX_\w+)\}/g)].map((match) => match[1]))].sort();
    const nginx = podTemplate(find(objects(), 'Deployment', 'chat')).spec.containers.find((container) => container.name === 'nginx');
    const given = (nginx?.env ?? []).map((variable) => variable.name);
    expect(used.length).toBeGreaterThan(0);
    for (const name of used) expect(given).toContain(name);
    // nginx proxies to the port Node listens on.
    const upstream = nginx?.env?.find((variable) => variable.name === 'NGINX_UPSTREAM')?.value;
    expect(upstream).toBe(`127.0.0.1:${find(objects(), 'ConfigMap', 'chat-app').data?.PORT}`);
  });
});

describe('per-environment choices', () => {
  const kinds = (env: EnvName, kind: string) => rendered[env].filter((object) => object.kind === kind).map((object) => object.metadata.name).sort();

  test('production uses managed services; staging and review run their own', () => {
    expect(kinds('production', 'StatefulSet')).toEqual([]);
    for (const env of ['staging', 'review'] as const) {
      expect(kinds(env, 'StatefulSet')).toEqual(['chat-postgresql', 'chat-rabbitmq', 'chat-redis', 'chat-s3']);
    }
    const production = find(rendered.production, 'Secret', 'chat-app').stringData;
    expect(production?.DATABASE_URL).toBe(productionSecrets.databaseUrl.production);
    expect(find(rendered.production, 'ConfigMap', 'chat-app').data?.S3_ENDPOINT).toBe('s3.eu-central-1.amazonaws.com');
  });

  test('production runs at least two replicas, autoscaled, spread across nodes', () => {
    const hpa = find(rendered.production, 'HorizontalPodAutoscaler', 'chat').spec as { minReplicas: number; maxReplicas: number };
    expect(hpa.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.maxReplicas).toBeGreaterThan(hpa.minReplicas);
    const deployment = find(rendered.production, 'Deployment', 'chat');
    // The HPA owns the count; werf sets it once at creation.
    expect((deployment.spec as { replicas?: number }).replicas).toBeUndefined();
    expect(Number(deployment.metadata.annotations?.['werf.io/replicas-on-creation'])).toBeGreaterThanOrEqual(2);
    expect(podTemplate(deployment).spec.topologySpreadConstraints?.[0]).toMatchObject({ whenUnsatisfiable: 'DoNotSchedule' });
    expect((find(rendered.staging, 'Deployment', 'chat').spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
  });

  test('review environments get generated credentials; the URLs embed the same passwords the stores get', () => {
    const backing = find(rendered.review, 'Secret', 'chat-backing').stringData ?? {};
    const app = find(rendered.review, 'Secret', 'chat-app').stringData ?? {};
    expect(backing.POSTGRES_PASSWORD).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(app.DATABASE_URL).toBe(`postgres://chat:${backing.POSTGRES_PASSWORD}@chat-postgresql:5432/chat`);
    expect(app.SESSION_REDIS).toBe(`redis://:${backing.REDIS_PASSWORD}@chat-redis:6379/0`);
    expect(app.AMQP_URI).toBe(`amqp://chat:${backing.RABBITMQ_DEFAULT_PASS}@chat-rabbitmq:5672/`);
    expect(app.COOKIE_SECRET).toMatch(/^[A-Za-z0-9]{40}$/);
    const identities = JSON.parse(backing['s3.json'] ?? '{}') as { identities: { credentials: { accessKey: string; secretKey: string }[] }[] };
    expect(identities.identities[0]?.credentials[0]).toEqual({ accessKey: app.S3_ACCESS_KEY, secretKey: app.S3_SECRET_KEY });
    // Staging keeps the cookie secret from its secret values.
    expect(find(rendered.staging, 'Secret', 'chat-app').stringData?.COOKIE_SECRET).toBe('dummy-staging-cookie-secret-0123456789abcdef');
  });

  test('only the app and the workers reach the data stores', () => {
    const policy = find(rendered.staging, 'NetworkPolicy', 'chat-redis').spec as { ingress: { from: { podSelector: { matchExpressions: { values: string[] }[] } }[] }[] };
    expect(policy.ingress[0]?.from[0]?.podSelector.matchExpressions[0]?.values).toEqual(['app']);
    expect(kinds('staging', 'NetworkPolicy')).toEqual(['chat-app', 'chat-postgresql', 'chat-rabbitmq', 'chat-redis', 'chat-s3', 'chat-workers']);
  });
});

test('the workers run modules that exist, and their liveness probe is the workers\' own health check', () => {
  for (const name of ['greeter', 'mailer']) {
    const [container] = podTemplate(find(rendered.staging, 'Deployment', `chat-${name}`)).spec.containers as [Container & { livenessProbe: { exec: { command: string[] } } }];
    const modules = [container.command?.[2], container.livenessProbe.exec.command[2]];
    for (const module of modules) {
      expect(module).toMatch(/^chat_workers\.\w+$/);
      expect(() => readFileSync(path.join(root, 'python', `${String(module).replace('.', '/')}.py`))).not.toThrow();
    }
    // The file the probe checks is the one the worker touches.
    expect(find(rendered.staging, 'ConfigMap', 'chat-workers').data?.WORKER_HEALTH_FILE).toBe('/tmp/heartbeat');
  }
});

test('the chart reads werf\'s values in werf 2\'s current forms (global.werf.*), not the legacy werf.* copy', async () => {
  const { werf: legacy, ...current } = environments.production.values;
  expect(legacy).toBeDefined();
  // Production: no generated credential, so two renders of the same values are the same objects.
  expect(await template('current-forms-only', environments.production.namespace, current)).toEqual(rendered.production);
});

test('a plain-http environment gets no TLS and no Secure cookies', async () => {
  const objects = await template('http', 'chat-http', werfValues('review-http', 'chat-http', 'http://chat.test.example.com'));
  expect((find(objects, 'Ingress', 'chat').spec as { tls?: unknown }).tls).toBeUndefined();
  expect(find(objects, 'ConfigMap', 'chat-app').data?.COOKIE_SECURE).toBe('false');
  expect(find(objects, 'Service', 'chat').metadata.annotations?.['traefik.ingress.kubernetes.io/service.sticky.cookie.secure']).toBe('false');
});

describe('the registry pull secret', () => {
  const publicRegistry = { imagePullSecret: { enabled: { _default: false } } };

  test.each(Object.keys(environments) as EnvName[])('%s: switched off for a public registry, no pod references one and none renders', async (env) => {
    const { registryUsername: _username, registryPassword: _password, ...secrets } = environments[env].values.secrets;
    const objects = await template(`${env}-public`, environments[env].namespace, { ...environments[env].values, secrets, ...publicRegistry });
    expect(workloads(objects).length).toBe(workloads(rendered[env]).length);
    for (const object of workloads(objects)) expect({ pod: object.metadata.name, imagePullSecrets: podTemplate(object).spec.imagePullSecrets }).toEqual({ pod: object.metadata.name, imagePullSecrets: undefined });
    expect(objects.filter((object) => object.type === 'kubernetes.io/dockerconfigjson')).toEqual([]);
  });

  test('a registry set in the values wins over the one werf pushed to', async () => {
    const objects = await template('other-registry', 'chat-staging', { ...environments.staging.values, imagePullSecret: { registry: { _default: 'registry.gitlab.example.org' } } });
    expect(dockerConfig(find(objects, 'Secret', 'chat-registry'))).toEqual(expectedDockerConfig('registry.gitlab.example.org'));
  });

  test('without the deploy token the render fails and says what to set', async () => {
    const { registryPassword: _password, ...secrets } = environments.staging.values.secrets;
    expect(await templateError('no-deploy-token', { ...environments.staging.values, secrets })).toContain('secrets.registryUsername and secrets.registryPassword are required');
  });
});

describe('refusals', () => {
  test('a missing werf image fails the render and names it', async () => {
    const values = werfValues('staging', 'chat-staging', 'https://chat-staging.example.com', { images: { node: images.node, python: images.python } });
    expect(await templateError('no-assets-image', values)).toContain('global.werf.images.node_assets.ref_tag is not set');
  });

  test('production without its managed database URL fails the render and says what to set', async () => {
    const values = { ...environments.production.values, secrets: { ...environments.production.values.secrets, databaseUrl: { production: '' } } };
    expect(await templateError('no-database', values)).toContain('secrets.databaseUrl is required');
  });

  test('an environment without a URL or host fails the render', async () => {
    expect(await templateError('no-host', werfValues('staging', 'chat-staging', ''))).toContain('set global.env_url');
  });
});
