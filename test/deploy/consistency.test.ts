/**
 * The pieces that different people wrote must fit together: the Helm chart, werf.yaml (both build variants),
 * the Node configuration (node/server/config.ts), the Python workers' settings, package.json and nginx.conf.
 * For production, staging and a review render: every variable the chart gives a container is one its program
 * reads and the program accepts the whole environment (required ones included); every command a container,
 * Job or probe runs exists in the image it runs in; ports and probe paths are the ones the programs serve;
 * the chart's images are werf's final images, run as the users those images declare.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IMAGE_PROCESS_ENV } from '../../bench/child';
import { PRODUCTION_MEMORY_LIMIT_MIB } from '../../bench/memory-limit';
import { CONFIG_VARIABLES, loadConfig } from '../../node/server/config';
import { renderChart, werfServiceValues, type RenderedObject } from '../support/helm';
import { startTestServer, type TestServer } from '../support/server';
import { filesOfMapping, list, maskMatches, readDockerfile, dockerfileRecipe, renderWerfConfig, ROOT, stapelRecipe, trackedFiles, type ImageRecipe, type RenderedConfig } from './werf-config';

const PYTHON = '/usr/bin/python3';
const PYTHON_DIR = path.join(ROOT, 'python');

// ---------------------------------------------------------------------------------------------
// werf.yaml: the final images and what they run as, in both variants.

const werfVariants = { stapel: renderWerfConfig({ CHAT_BUILDER: 'stapel' }), dockerfile: renderWerfConfig({ CHAT_BUILDER: 'dockerfile' }) };
const finalImages = (config: RenderedConfig): string[] => [...config.images.values()].filter((image) => image.final !== false).map((image) => image.image).sort();

function recipeOf(config: RenderedConfig, name: string): ImageRecipe {
  const image = config.images.get(name);
  if (!image) throw new Error(`werf.yaml has no image ${name}`);
  if (!image.dockerfile) return stapelRecipe(config.images, name);
  const stages = readDockerfile(path.join(ROOT, image.context ?? '.', image.dockerfile));
  return dockerfileRecipe(stages, image.target ?? (stages.at(-1)?.name as string));
}

/** What werf passes as .Values.global.werf.images: one distinct reference per final image, so a container's image names its werf image. */
const werfImageReference = (name: string) => `registry.example.com/chat:${name.replace(/_/g, '-')}-0123456789abcdef`;
const werfImages = Object.fromEntries(finalImages(werfVariants.stapel).map((name) => [name, werfImageReference(name)]));
const werfImageOf = (reference: string): string | undefined => Object.entries(werfImages).find(([, candidate]) => candidate === reference)?.[0];

// ---------------------------------------------------------------------------------------------
// The three renders: values as werf (service values) and the pipeline (--set global.env_url) pass them.

/** The GitLab deploy token every pod pulls with: one for all environments, under _default in the secret values. */
const registrySecrets = { registryUsername: { _default: 'gitlab+deploy-token-1' }, registryPassword: { _default: 'deploy-token-0123' } };

function deployValues(env: string, url: string, extra: { secrets?: Record<string, unknown> } & Record<string, unknown> = {}): Record<string, unknown> {
  const injected = werfServiceValues({ project: 'chat', env, namespace: `chat-${env}`, repo: 'registry.example.com/chat', images: werfImages });
  return { ...injected, global: { ...injected.global, env_url: url }, ...extra, secrets: { ...registrySecrets, ...extra.secrets } };
}
/** Production with managed services: its encrypted secret values (dummies here) and external S3. */
const productionValues = (secrets: Record<string, string>, workers: Record<string, unknown> = { mailgunDomain: { production: 'mg.example.com' } }) =>
  deployValues('production', 'https://chat.example.com', {
    secrets: Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key, { production: value }])),
    external: { s3Endpoint: { production: 's3.eu-central-1.amazonaws.com' } },
    workers,
  });
const productionSecrets = {
  cookieSecret: 'consistency-cookie-secret-0123456789abcdef',
  databaseUrl: 'postgres://chat:db-password@db.internal:5432/chat',
  sessionRedis: 'rediss://:redis-password@redis.internal:6380/0',
  amqpUri: 'amqps://chat:amqp-password@mq.internal:5671/',
  s3AccessKey: 'ACCESSKEY0123',
  s3SecretKey: 'secret-key-0123',
  mailgunApiKey: 'key-0123456789',
};
const environments = {
  production: productionValues(productionSecrets),
  staging: deployValues('staging', 'https://chat-staging.example.com'),
  review: deployValues('review-feature-x1y2z3', 'https://review-feature-x1y2z3.review.example.com'),
};
type EnvName = keyof typeof environments;

// ---------------------------------------------------------------------------------------------
// Reading the rendered objects.

interface EnvSource {
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: EnvSource[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { limits?: { memory?: string } };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: { runAsUser?: number };
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsUser?: number };
}
/** A container with where it is, for messages. */
interface Placed {
  where: string;
  pod: PodSpec;
  container: Container;
}

function placedContainers(objects: RenderedObject[]): Placed[] {
  return objects
    .filter((object) => ['Deployment', 'StatefulSet', 'Job'].includes(object.kind))
    .flatMap((object) => {
      const pod = (object.spec as { template: { spec: PodSpec } }).template.spec;
      return [...pod.containers, ...(pod.initContainers ?? [])].map((container) => ({ where: `${object.kind}/${object.metadata.name}/${container.name}`, pod, container }));
    });
}

/** A referenced object; an `optional` reference may name one that is not rendered (then it gives nothing). */
function find(objects: RenderedObject[], kind: string, reference: { name: string; optional?: boolean }): RenderedObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === reference.name);
  if (found) return found;
  if (reference.optional) return { apiVersion: 'v1', kind, metadata: { name: reference.name } };
  throw new Error(`${kind}/${reference.name} is referenced but not rendered`);
}

/** The variables the chart gives a container (envFrom in order, then env), without the image's own. */
function chartEnv(objects: RenderedObject[], container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, find(objects, 'ConfigMap', source.configMapRef).data);
    if (source.secretRef) {
      const secret = find(objects, 'Secret', source.secretRef);
      Object.assign(env, secret.stringData, Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()])));
    }
  }
  for (const variable of container.env ?? []) env[variable.name] = variable.value ?? '';
  return env;
}

/** What the process sees: the image's environment (werf.yaml; both variants agree, werf.test.ts checks) under the chart's. */
function processEnv(objects: RenderedObject[], container: Container): Record<string, string> {
  const image = werfImageOf(container.image);
  return { ...(image ? recipeOf(werfVariants.stapel, image).runtime.env : {}), ...chartEnv(objects, container) };
}

/** The command a container runs: the chart's, or else the image's CMD. */
function commandOf(container: Container): string[] {
  const image = werfImageOf(container.image);
  const command = container.command ?? (image ? recipeOf(werfVariants.stapel, image).runtime.cmd : undefined) ?? [];
  return [...command, ...(container.args ?? [])];
}

const probesOf = (container: Container): Probe[] => [container.startupProbe, container.livenessProbe, container.readinessProbe].filter((probe): probe is Probe => probe !== undefined);

// ---------------------------------------------------------------------------------------------
// The programs' side: what they read and what they accept.

/** Variables not for our code but for the runtime a container starts: npm (the migration Job) and the Python interpreter. */
const RUNTIME_VARIABLES = { node: /^NPM_CONFIG_/, python: /^PYTHON[A-Z]*$/ };

/**
 * A worker's load_settings() run on an environment, recording every name it looks up: the names come from the
 * settings code itself (conditional reads included, when the environment triggers them), never from a list here.
 */
const PYTHON_SETTINGS_PROBE = `
import importlib, json, sys
from chat_workers.config import Env

class Recording(dict):
    read = set()
    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)
    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)
    def __contains__(self, name):
        self.read.add(name)
        return super().__contains__(name)

request = json.load(sys.stdin)
module = importlib.import_module(request["module"])
env = Env(request["env"])
env._environ = Recording(env._environ)
module.load_settings(env)
print(json.dumps({"read": sorted(Recording.read), "problems": env.problems}))
`;
interface WorkerSettingsReport {
  read: string[];
  problems: string[];
}
function workerSettings(module: string, env: Record<string, string>): WorkerSettingsReport {
  const stdout = execFileSync(PYTHON, ['-c', PYTHON_SETTINGS_PROBE], { cwd: PYTHON_DIR, input: JSON.stringify({ module, env }), encoding: 'utf8', env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' } });
  return JSON.parse(stdout) as WorkerSettingsReport;
}

const packageJson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
const tracked = trackedFiles();

/** The sources tsc compiles for the build (tsconfig.build.json, as tsc itself resolves it), as their output paths under build/. */
function buildOutputs(): Set<string> {
  const shown = JSON.parse(execFileSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--showConfig'], { cwd: ROOT, encoding: 'utf8' })) as {
    files: string[];
    compilerOptions: { outDir: string; rootDir: string };
  };
  const outDir = path.normalize(shown.compilerOptions.outDir);
  return new Set(shown.files.filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts')).map((file) => path.join(outDir, path.relative(shown.compilerOptions.rootDir, file)).replace(/\.tsx?$/, '.js')));
}

/** Whether the Node runtime image (Stapel variant; werf.test.ts keeps the Dockerfile in step) holds this path below its working directory. */
function inNodeImage(relative: string): boolean {
  const image = werfVariants.stapel.images.get('node');
  const workDir = recipeOf(werfVariants.stapel, 'node').runtime.workingDir ?? '/';
  return (image?.import ?? []).some(
    (spec) =>
      path.posix.relative(workDir, spec.to ?? spec.add) === '' &&
      list(spec.includePaths).some((mask) => maskMatches(mask, relative)) &&
      !list(spec.excludePaths).some((mask) => maskMatches(mask, relative)),
  );
}

/** Binaries the production dependencies install into node_modules/.bin (the pruned image has no others). */
function productionBins(): Set<string> {
  const bins = new Set<string>();
  for (const dependency of Object.keys(packageJson.dependencies)) {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', dependency, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
    if (typeof manifest.bin === 'string') bins.add(dependency.replace(/^@[^/]+\//, ''));
    else for (const bin of Object.keys(manifest.bin ?? {})) bins.add(bin);
  }
  return bins;
}

/** Problems with a command run in the node image; empty when it can run there. */
function nodeCommandProblems(command: string[], outputs: Set<string>, bins: Set<string>): string[] {
  const [program, first, ...rest] = command;
  if (program === 'node' && first === '-e') {
    // An inline script may only require what the pruned image has: Node's own modules and production dependencies.
    const required = [...(rest[0] ?? '').matchAll(/require\(['"]([^'"]+)['"]\)/g)].map((match) => match[1] as string);
    return required.filter((name) => !name.startsWith('node:') && !(name in packageJson.dependencies)).map((name) => `requires ${name}, not a production dependency`);
  }
  if (program === 'node') {
    const script = first ?? '';
    if (!outputs.has(script)) return [`${script} is not an output of tsconfig.build.json`];
    return inNodeImage(script) ? [] : [`${script} is not copied into the node image`];
  }
  if (program === 'npm' && first === 'run') {
    const name = rest[0] ?? '';
    const script = packageJson.scripts[name];
    if (!script) return [`package.json has no script ${name}`];
    const [bin, ...args] = script.split(/\s+/);
    const problems = bins.has(bin ?? '') ? [] : [`npm run ${name} runs ${bin}, which no production dependency provides`];
    // Repository paths the script names (e.g. --migrations-dir migrations) must be in the image too.
    for (const arg of args.filter((candidate) => tracked.some((file) => file === candidate || file.startsWith(`${candidate}/`)))) {
      if (!inNodeImage(arg)) problems.push(`npm run ${name} reads ${arg}, which is not in the node image`);
    }
    return problems;
  }
  return [`unknown kind of command: ${command.join(' ')}`];
}

/** The module of `python3 -m <module> …`. */
function pythonModule(command: string[]): string {
  const [program, flag, module] = command;
  if (program !== 'python3' || flag !== '-m' || !module) throw new Error(`expected python3 -m <module>, got ${command.join(' ')}`);
  return module;
}

/** Whether the python image (Stapel variant) holds a module's file. */
function inPythonImage(module: string): boolean {
  const file = `${module.replace(/\./g, '/')}.py`;
  const image = werfVariants.stapel.images.get('python');
  return (image?.git ?? []).some((mapping) => filesOfMapping(mapping, tracked).includes(file));
}

// ---------------------------------------------------------------------------------------------

const rendered = {} as Record<EnvName, RenderedObject[]>;
let server: TestServer;

beforeAll(async () => {
  for (const env of Object.keys(environments) as EnvName[]) rendered[env] = await renderChart(environments[env], `chat-${env}`);
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

test('both werf variants build the same final images, and the chart deploys every one of them', () => {
  expect(finalImages(werfVariants.dockerfile)).toEqual(finalImages(werfVariants.stapel));
  // The render passed global.werf.images with exactly these names, and `chat.image` fails on any other, so the chart uses no name werf lacks.
  const used = new Set(placedContainers(rendered.staging).map(({ container }) => werfImageOf(container.image)).filter(Boolean));
  expect([...used].sort()).toEqual(Object.keys(werfImages).sort());
});

test('npm never checks the registry for its own updates from inside the cluster: every image that runs npm turns the check off itself', () => {
  // Where npm runs: the chart's containers and Jobs, and CI's `werf kube-run <image> -- npm …`.
  const fromChart = Object.values(rendered).flatMap((objects) =>
    placedContainers(objects).filter(({ container }) => commandOf(container)[0] === 'npm').map(({ container }) => werfImageOf(container.image) as string),
  );
  const pipeline = readFileSync(path.join(ROOT, '.gitlab-ci.yml'), 'utf8');
  const fromCi = [...pipeline.matchAll(/werf kube-run\s+(?:--\S+\s+)*([\w-]+)\s+--\s+npm\b/g)].map((match) => match[1] as string);
  const images = [...new Set([...fromChart, ...fromCi])].sort();
  expect(images).toEqual(['node', 'node-build']);
  for (const image of images) {
    for (const [variant, config] of Object.entries(werfVariants)) {
      expect({ image, variant, notifier: recipeOf(config, image).runtime.env?.NPM_CONFIG_UPDATE_NOTIFIER }).toEqual({ image, variant, notifier: 'false' });
    }
  }
});

test('the benchmark runs its servers with the process environment the node image sets, in both build variants', () => {
  for (const [variant, config] of Object.entries(werfVariants)) {
    const env = recipeOf(config, 'node').runtime.env ?? {};
    const set = Object.fromEntries(Object.keys(IMAGE_PROCESS_ENV).map((name) => [name, env[name]]));
    expect({ variant, set }).toEqual({ variant, set: IMAGE_PROCESS_ENV });
  }
});

test("the benchmark's --memory-limit for a production pod is the memory limit of production's app container", () => {
  const app = placedContainers(rendered.production).filter(({ where }) => where.startsWith('Deployment/') && where.endsWith('/node'));
  expect(app.map(({ container }) => container.resources?.limits?.memory)).toEqual([`${PRODUCTION_MEMORY_LIMIT_MIB}Mi`]);
});

describe.each(Object.keys(environments) as EnvName[])('%s', (env) => {
  const objects = () => rendered[env];
  const containersOf = (image: string) => placedContainers(objects()).filter(({ container }) => werfImageOf(container.image) === image);

  test('every werf image runs as the user its image declares, in both build variants', () => {
    const checked = placedContainers(objects()).filter(({ container }) => werfImageOf(container.image));
    expect(checked.length).toBeGreaterThan(0);
    for (const { where, pod, container } of checked) {
      const image = werfImageOf(container.image) as string;
      const runAsUser = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      for (const [variant, config] of Object.entries(werfVariants)) {
        expect({ where, variant, runAsUser }).toEqual({ where, variant, runAsUser: Number(recipeOf(config, image).runtime.user) });
      }
    }
  });

  test('the Node containers get only variables config.ts reads, it accepts them (production requirements included), NODE_ENV=production', () => {
    const containers = containersOf('node');
    expect(containers.length).toBeGreaterThanOrEqual(3);
    for (const { where, container } of containers) {
      const unread = Object.keys(chartEnv(objects(), container)).filter((name) => !CONFIG_VARIABLES.includes(name) && !RUNTIME_VARIABLES.node.test(name));
      expect({ where, unread }).toEqual({ where, unread: [] });
      const env = processEnv(objects(), container);
      let problems: string[] = [];
      try {
        loadConfig(env);
      } catch (error) {
        problems = (error as { problems?: string[] }).problems ?? [String(error)];
      }
      expect({ where, problems, NODE_ENV: env.NODE_ENV }).toEqual({ where, problems: [], NODE_ENV: 'production' });
    }
  });

  test('the commands run in the node image exist there: built scripts, npm scripts, required packages', () => {
    const outputs = buildOutputs();
    const bins = productionBins();
    const commands = [...containersOf('node').map(({ where, container }) => ({ where, command: commandOf(container) })), { where: 'werf image node CMD', command: recipeOf(werfVariants.stapel, 'node').runtime.cmd ?? [] }];
    for (const { where, command } of commands) {
      expect({ where, problems: nodeCommandProblems(command, outputs, bins) }).toEqual({ where, problems: [] });
    }
  });

  test('the Python workers get only variables their settings read, accept them all, and run modules the image holds', () => {
    const containers = containersOf('python');
    expect(containers.length).toBeGreaterThanOrEqual(2);
    for (const { where, container } of containers) {
      const module = pythonModule(commandOf(container));
      expect({ where, module, inImage: inPythonImage(module) }).toEqual({ where, module, inImage: true });
      expect(readFileSync(path.join(PYTHON_DIR, `${module.replace(/\./g, '/')}.py`), 'utf8')).toMatch(/^if __name__ == "__main__":/m);
      const report = workerSettings(module, processEnv(objects(), container));
      const unread = Object.keys(chartEnv(objects(), container)).filter((name) => !report.read.includes(name) && !RUNTIME_VARIABLES.python.test(name));
      expect({ where, unread, problems: report.problems }).toEqual({ where, unread: [], problems: [] });
    }
  });

  test('the app and the workers meet at the same broker, exchange and database: every variable they share has one value', () => {
    const [app] = containersOf('node').filter(({ container }) => container.ports?.length) as [Placed];
    const appEnv = chartEnv(objects(), app.container);
    for (const { where, container } of containersOf('python')) {
      const workerEnv = chartEnv(objects(), container);
      const shared = Object.keys(workerEnv).filter((name) => name in appEnv);
      expect(shared).toEqual(expect.arrayContaining(['AMQP_URI', 'AMQP_EXCHANGE', 'DATABASE_URL']));
      const differing = shared.filter((name) => workerEnv[name] !== appEnv[name]);
      expect({ where, differing }).toEqual({ where, differing: [] });
    }
  });

  test('the workers\' exec probes run the health check module of the image, which passes on a fresh heartbeat and fails without one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chat-heartbeat-'));
    try {
      const heartbeat = path.join(dir, 'heartbeat');
      for (const { where, container } of containersOf('python')) {
        const env = processEnv(objects(), container);
        for (const probe of probesOf(container)) {
          const command = probe.exec?.command ?? [];
          expect({ where, inImage: inPythonImage(pythonModule(command)) }).toEqual({ where, inImage: true });
          // As the kubelet runs it, with the container's environment; only the heartbeat file is our temporary one.
          const runProbe = () => spawnSync(PYTHON, command.slice(1), { cwd: PYTHON_DIR, env: { ...env, WORKER_HEALTH_FILE: heartbeat }, encoding: 'utf8' });
          rmSync(heartbeat, { force: true });
          expect({ where, missing: runProbe().status }).toEqual({ where, missing: 1 });
          writeFileSync(heartbeat, '');
          expect({ where, fresh: runProbe().status, stderr: runProbe().stderr }).toEqual({ where, fresh: 0, stderr: '' });
          utimesSync(heartbeat, new Date(0), new Date(0));
          expect({ where, stale: runProbe().status }).toEqual({ where, stale: 1 });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Node listens on its declared container port, and answers its probe paths', async () => {
    const [{ container }] = containersOf('node').filter(({ container }) => container.ports?.length) as [Placed];
    const env = processEnv(objects(), container);
    const ports = container.ports ?? [];
    expect(ports.map((port) => port.containerPort)).toEqual([Number(env.PORT)]);
    const probes = probesOf(container);
    expect(probes.length).toBeGreaterThan(0);
    for (const probe of probes) {
      const { path: probePath, port } = probe.httpGet ?? { path: '', port: '' };
      expect(ports.some((declared) => declared.name === port || declared.containerPort === port)).toBe(true);
      // The real server (config from the same schema), asked for the same path the way kubelet asks: a new
      // connection per probe (a reused keep-alive one can be closed by the server just as it is picked up).
      const status = await new Promise<number | undefined>((resolve, reject) => {
        http.get(`${server.url}${probePath}`, { agent: false }, (response) => resolve(response.resume().statusCode)).on('error', reject);
      });
      expect({ probePath, status }).toEqual({ probePath, status: 200 });
    }
  });

  test('nginx listens on its declared container port and answers its probe paths itself', () => {
    const [{ container }] = containersOf('node_assets') as [Placed];
    const env = processEnv(objects(), container);
    // Rendered as the image's envsubst step does (NGINX_ENVSUBST_FILTER=^NGINX_).
    const conf = readFileSync(path.join(ROOT, 'node/nginx/nginx.conf'), 'utf8').replace(/\$\{(NGINX_\w+)\}/g, (_match, name: string) => env[name] ?? '');
    const listens = [...conf.matchAll(/^\s*listen\s+(\d+)/gm)].map((match) => Number(match[1]));
    expect(listens).toEqual((container.ports ?? []).map((port) => port.containerPort));
    for (const probe of probesOf(container)) {
      const probePath = probe.httpGet?.path ?? '';
      expect(container.ports?.some((declared) => declared.name === probe.httpGet?.port)).toBe(true);
      const location = new RegExp(`location = ${probePath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\{[^}]*return 200 `);
      expect({ probePath, answered: location.test(conf) }).toEqual({ probePath, answered: true });
    }
    expect(env.NGINX_UPSTREAM).toBe(`127.0.0.1:${processEnv(objects(), containersOf('node')[0]?.container as Container).PORT}`);
  });
});

describe('refusals instead of crash-looping pods', () => {
  test('a Mailgun key without a sending domain fails the render and says what to set', async () => {
    const render = renderChart(productionValues(productionSecrets, { mailgunDomain: { production: '' } }), 'chat-production');
    await expect(render).rejects.toThrow(/workers\.mailgunDomain is required .*secrets\.mailgunApiKey/);
  });

  test('without a Mailgun key (and so without a domain) production renders and both workers accept their environment', async () => {
    const { mailgunApiKey: _omitted, ...withoutMailgun } = productionSecrets;
    const objects = await renderChart(productionValues(withoutMailgun, {}), 'chat-production');
    for (const { where, container } of placedContainers(objects).filter(({ container }) => werfImageOf(container.image) === 'python')) {
      const report = workerSettings(pythonModule(commandOf(container)), processEnv(objects, container));
      expect({ where, problems: report.problems }).toEqual({ where, problems: [] });
    }
  });
});
