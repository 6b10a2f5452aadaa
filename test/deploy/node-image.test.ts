/**
 * The `node` image, built from node/Dockerfile's `runtime` target as it is (werf's Dockerfile variant builds the
 * same target) and run the way the chart runs it: as uid 1000, read-only root filesystem, only /tmp writable.
 * It migrates and seeds a throwaway database, serves register, login, a message and an avatar upload against
 * this machine's PostgreSQL, Redis, RabbitMQ and an s3rver, exits 0 on SIGTERM, and holds only what runs.
 *
 * Neither Docker nor werf runs here, and base images cannot be pulled: Debian's buildah builds and runs (as root,
 * chroot isolation, host network) on a stand-in for the pinned node base (test/support/node-base.ts says what it
 * mimics). The two other final images cannot be built here: `node_assets` (nginxinc/nginx-unprivileged on
 * Alpine: no Alpine packages are reachable) and `python` (its pip install needs PyPI).
 *
 * Slow by nature (a full image build): the first run on a machine also assembles the stand-in base and installs the
 * dependencies; later runs reuse the base and the `npm ci` layer (until package.json or the lock file changes)
 * and rebuild the rest. Both are images in buildah's store; npm's download cache is in /var/cache/chat-image-test.
 * Everything else the test makes is removed.
 */
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { SelfUser } from '../../node/shared/protocol';
import { buildImage, Container, imageConfig, imageSize, type RunOptions } from '../support/buildah';
import { keepDependencyLayers } from '../support/dependency-layers';
import { connectSocket, login, register } from '../support/client';
import { PNG_1PX } from '../support/images';
import { nodeBase, removeOtherNodeBases } from '../support/node-base';
import { createTestDatabase, createTestVhost, ROOT, startTestS3, uniqueName, uniqueRedisPrefix, type TestDatabase, type TestS3, type TestVhost } from '../support/resources';
import { removeRedisPrefix, testEnvironment } from '../support/server';
import { nextEvent, requestData } from '../realtime/helpers';

// The build alone takes minutes; every other file keeps jest's configured time-out.
jest.setTimeout(3 * 60_000);

/** The npm cache that the build's RUN steps get (a bind mount: nothing of it lands in an image). */
const NPM_CACHE = '/var/cache/chat-image-test/npm';
/** As the chart runs the image: .Values.uids.node, and the group of the image's node user. */
const CHART_USER = '1000:1000';
const DEFAULT_USER = { name: 'image_demo', password: 'image-demo-password' };

const image = `localhost/chat-image-test/node:${uniqueName('run')}`;
let base: string;
let removeBuild: () => Promise<void>;
let container: Container;
let database: TestDatabase;
let vhost: TestVhost;
let s3: TestS3;
let redisPrefix: string;
let run: RunOptions;

beforeAll(async () => {
  const started = Date.now();
  base = await nodeBase();
  const baseReady = Date.now();
  mkdirSync(NPM_CACHE, { recursive: true });
  const steps = await buildImage({
    context: ROOT,
    dockerfile: path.join(ROOT, 'node/Dockerfile'),
    target: 'runtime',
    buildArgs: { NODE_IMAGE: base },
    volumes: [`${NPM_CACHE}:/root/.npm`],
    layers: true,
    tag: image,
  });
  removeBuild = await keepDependencyLayers(steps, image);
  process.stdout.write(`node image: stand-in base ready in ${Math.round((baseReady - started) / 1000)} s, runtime target built in ${Math.round((Date.now() - baseReady) / 1000)} s\n`);
  container = await Container.from(image);

  [database, vhost, s3] = await Promise.all([createTestDatabase({ migrate: false }), createTestVhost(), startTestS3()]);
  redisPrefix = uniqueRedisPrefix();
  // The chart's /tmp is an emptyDir the pod's user can write to.
  const tmp = mkdtempSync(path.join(tmpdir(), 'chat-image-tmp-'));
  chownSync(tmp, 1000, 1000);
  run = {
    tmp,
    env: {
      ...(testEnvironment({ databaseUrl: database.url, vhost, s3, redisPrefix }) as Record<string, string>),
      // What the chart's ConfigMap chat-app and Secret set, with this test's services.
      NODE_ENV: 'production',
      COOKIE_SECRET: randomBytes(24).toString('hex'),
      COOKIE_SECURE: 'false',
      DEFAULT_USER_NAME: DEFAULT_USER.name,
      DEFAULT_USER_PASSWORD: DEFAULT_USER.password,
      NPM_CONFIG_CACHE: '/tmp/npm',
      NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    },
  };
}, 10 * 60_000);

afterAll(async () => {
  const images = async () => {
    await container?.remove();
    await removeBuild?.();
    if (base) await removeOtherNodeBases(base);
  };
  const services = async () => {
    await Promise.all([redisPrefix && removeRedisPrefix(redisPrefix), database?.drop(), vhost?.drop(), s3?.stop()]);
    if (run) rmSync(run.tmp, { recursive: true, force: true });
  };
  // Both always run; a failure of either fails the file.
  const failed = (await Promise.allSettled([images(), services()])).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
});

/** Every path below `folder` (relative to `root`), not following symbolic links. */
function walk(root: string, folder = ''): string[] {
  return readdirSync(path.join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(folder, entry.name);
    return entry.isDirectory() ? [relative, ...walk(root, relative)] : [relative];
  });
}

test('the image holds only what runs: no sources, tests, .git, devDependencies or secrets', async () => {
  const everything = walk(container.root);
  const app = walk(path.join(container.root, 'app'));
  const ownFiles = app.filter((file) => !file.startsWith('node_modules/'));
  expect(ownFiles.length).toBeGreaterThan(10);

  expect(ownFiles.filter((file) => /\.(ts|tsx|mts|cts)$/.test(file) || /(^|\/)tsconfig[^/]*\.json$/.test(file))).toEqual([]);
  expect(ownFiles.filter((file) => /(^|\/)(test|tests|__tests__)(\/|$)|\.test\.[cm]?js$/.test(file))).toEqual([]);
  expect(everything.filter((file) => path.basename(file) === '.git')).toEqual([]);

  // npm marks a package `dev` in the lock file when only devDependencies need it: none of them may be installed.
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.entries(lock.packages).filter(([, entry]) => entry.dev).map(([location]) => location);
  expect(devOnly).toEqual(expect.arrayContaining(['jest', 'typescript', 'webpack', 'eslint', 'playwright-core', 's3rver'].map((name) => `node_modules/${name}`)));
  expect(devOnly.filter((location) => existsSync(path.join(container.root, 'app', location)))).toEqual([]);
  expect(existsSync(path.join(container.root, 'app/node_modules/express'))).toBe(true);

  const secretFiles = everything.filter((file) => /^(\.env(\..*)?|\.werf_secret_key|secret-values\.yaml)$/.test(path.basename(file)));
  expect(secretFiles).toEqual([]);
  const npmrcWithCredentials = everything
    .filter((file) => path.basename(file) === '.npmrc')
    .filter((file) => /_auth|_password|token/i.test(readFileSync(path.join(container.root, file), 'utf8')));
  expect(npmrcWithCredentials).toEqual([]);
  const config = await imageConfig(image);
  expect((config.Env ?? []).map((line) => line.split('=')[0]).filter((name) => /secret|password|token|key/i.test(name ?? ''))).toEqual([]);
  expect(config.User).toBe('1000');

  process.stdout.write(`node image: ${await imageSize(image)}\n`);
});

test('the migration and fixture Jobs\' commands run as uid 1000 on a read-only root filesystem', async () => {
  const readOnly = await container.run(['sh', '-c', 'touch /app/written'], { ...run, user: CHART_USER });
  expect(readOnly.code).not.toBe(0);
  expect(readOnly.output).toContain('Read-only file system');

  const migrated = await container.run(['npm', 'run', 'migrate', '--', 'up'], { ...run, user: CHART_USER });
  expect(migrated).toMatchObject({ code: 0 });
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    expect(rows.map((row) => row.tablename)).toEqual(expect.arrayContaining(['users', 'rooms', 'messages', 'event_outbox']));
  } finally {
    await client.end();
  }

  const seeded = await container.run(['node', 'build/fixtures/seed.js'], { ...run, user: CHART_USER });
  expect(seeded).toMatchObject({ code: 0 });
  const applied = seeded.output.split('\n').find((line) => line.includes('"msg":"fixtures applied"'));
  expect(JSON.parse(applied ?? '{}')).toMatchObject({ roomCreated: true, botCreated: true, defaultUserCreated: true });
});

test('the server runs from the image: register, log in, a message reaches a second client, an avatar upload; SIGTERM exits 0', async () => {
  const { Cmd: command = [] } = await imageConfig(image);
  expect(command).toEqual(['node', 'build/node/server/main.js']);
  const server = container.start(command, { ...run, user: CHART_USER });
  try {
    const listening = JSON.parse(await server.waitForLine(/"msg":"listening"/)) as { port: number };
    const url = `http://127.0.0.1:${listening.port}`;

    const alice = await register(url);
    const demo = await login(url, DEFAULT_USER.name, DEFAULT_USER.password);
    const [aliceSocket, demoSocket] = await Promise.all([connectSocket(url, alice.cookie), connectSocket(url, demo.cookie)]);
    try {
      const received = nextEvent(demoSocket, 'message:new', (message) => message.clientId === 'from-the-image');
      const sent = await requestData(aliceSocket, 'message:send', { room: 'general', clientId: 'from-the-image', body: 'Hello from the image' });
      expect(await received).toEqual(sent);
    } finally {
      aliceSocket.close();
      demoSocket.close();
    }

    const upload = await alice.session.request<SelfUser>('PUT', '/api/me/avatar', { body: PNG_1PX, headers: { 'content-type': 'image/png' } });
    expect(upload.status).toBe(200);
    const avatar = await fetch(`${url}${upload.body.avatarUrl}`);
    expect(avatar.status).toBe(200);
    expect(Buffer.from(await avatar.arrayBuffer()).equals(PNG_1PX)).toBe(true);

    expect(server.signal('SIGTERM')).toBe(true);
    const { code, output } = await server.exited;
    expect(output).toContain('"msg":"bye"');
    expect(code).toBe(0);
  } finally {
    server.signal('SIGKILL');
    await server.exited;
  }
});
