/**
 * Development and CI run the Node the images ship: the `node` devDependency puts that version first on the PATH of
 * every npm script (and of npx), so jest, its workers and the children the tests spawn all run it. Not a unit test:
 * it reads node/Dockerfile and werf.yaml, which the node-build image (where CI runs the unit tests) does not hold.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './werf-config';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** The versions in the base images of node/Dockerfile and werf.yaml, e.g. 24.11.1. */
function imageNodeVersions(): string[] {
  const fromDockerfile = [...read('node/Dockerfile').matchAll(/^ARG NODE_IMAGE=node:([\d.]+)-/gm)];
  const fromWerf = [...read('werf.yaml').matchAll(/^from: node:([\d.]+)-/gm)];
  return [...fromDockerfile, ...fromWerf].map((match) => match[1] ?? '');
}

const [imageVersion] = imageNodeVersions();

test('node/Dockerfile and werf.yaml ship one Node version, which the node devDependency pins', () => {
  expect(imageNodeVersions().length).toBeGreaterThanOrEqual(3);
  expect(new Set(imageNodeVersions())).toEqual(new Set([imageVersion]));
  const packageJson = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
  expect(packageJson.devDependencies.node).toBe(imageVersion);
});

test('jest runs on the Node of the images', () => {
  expect(process.version).toBe(`v${imageVersion}`);
});

test('`node` on the PATH, which runs scripts such as node-pg-migrate, is the Node of the images', () => {
  expect(execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim()).toBe(`v${imageVersion}`);
});
