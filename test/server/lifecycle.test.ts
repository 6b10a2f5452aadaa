import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeClients, createClients } from '../../node/server/clients';
import { startServer } from '../../node/server/app';
import { loadConfig } from '../../node/server/config';
import { createLogger } from '../../node/server/logger';
import { connectSocket, login, register } from '../support/client';
import { buildServer, spawnBuilt as spawnBuiltFrom, type PrivateBuild, type Spawned } from '../support/build';
import { PNG_1PX } from '../support/images';
import { createTestDatabase, createTestVhost, startTestS3, uniqueRedisPrefix, type TestDatabase, type TestS3, type TestVhost } from '../support/resources';
import { removeRedisPrefix, testEnvironment } from '../support/server';
import { freePort } from '../support/tcp-gate';

let build: PrivateBuild;
let database: TestDatabase;
let vhost: TestVhost;
let s3: TestS3;
let environment: NodeJS.ProcessEnv;
const redisPrefix = uniqueRedisPrefix();

beforeAll(async () => {
  [build, database, vhost, s3] = await Promise.all([buildServer(), createTestDatabase(), createTestVhost(), startTestS3()]);
  environment = testEnvironment({ databaseUrl: database.url, vhost, s3, redisPrefix });
}, 180_000);
afterAll(async () => {
  await Promise.allSettled([build.remove(), database.drop(), vhost.drop(), s3.stop(), removeRedisPrefix(redisPrefix)]);
});

/** Runs a compiled entry point (main.js by default) of this file's private build. */
const spawnBuilt = (env: NodeJS.ProcessEnv, script?: string): Spawned => spawnBuiltFrom(build, env, script);

test('a bad variable stops main with exit code 1 and one line naming it', async () => {
  const spawned = spawnBuilt({ ...environment, PORT: 'eighty' });
  expect(await spawned.exited).toBe(1);
  expect(spawned.lines).toHaveLength(1);
  expect(JSON.parse(spawned.lines[0] ?? '{}').msg).toBe('invalid configuration: PORT: expected a port number');
});

test('production without COOKIE_SECRET refuses to start', async () => {
  const spawned = spawnBuilt({ ...environment, NODE_ENV: 'production', DEFAULT_USER_PASSWORD: '' });
  expect(await spawned.exited).toBe(1);
  expect(spawned.lines.join('\n')).toContain('COOKIE_SECRET: required when NODE_ENV=production');
});

test('SIGTERM: an upload in flight completes, new connections are refused, the process exits 0', async () => {
  const spawned = spawnBuilt(environment);
  const listening = JSON.parse(await spawned.waitForLine(/"msg":"listening"/)) as { port: number };
  const url = `http://127.0.0.1:${listening.port}`;
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const user = await register(url);
  const socket = await connectSocket(url, user.cookie);
  const disconnected = new Promise<string>((resolve) => socket.on('disconnect', resolve));

  // Half the body now, the rest after SIGTERM: the request is in flight while the server stops.
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(`${url}/api/me/avatar`, {
      method: 'PUT',
      headers: { cookie: user.cookie, 'x-csrf-token': user.csrfToken, 'content-type': 'image/png', 'content-length': PNG_1PX.length },
    });
    request.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.write(PNG_1PX.subarray(0, 20));
    setTimeout(() => {
      spawned.child.kill('SIGTERM');
      setTimeout(() => request.end(PNG_1PX.subarray(20)), 500);
    }, 200);
  });
  await spawned.waitForLine(/"msg":"shutting down"/);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  const result = await response;
  expect(result.status).toBe(200);
  expect(JSON.parse(result.body).avatarUrl).toMatch(/\.png$/);
  expect(await disconnected).toMatch(/server|transport/);
  expect(await spawned.exited).toBe(0);
  expect(spawned.lines.some((line) => line.includes('"msg":"bye"'))).toBe(true);
});

/** The real server in this process, with the environment changed by `changes`. */
async function withServer(changes: NodeJS.ProcessEnv, work: (url: string) => Promise<void>): Promise<void> {
  const logger = createLogger('silent');
  const config = loadConfig({ ...environment, ...changes });
  const clients = await createClients(config, logger);
  const server = await startServer(config, clients, logger);
  try {
    await work(server.url);
  } finally {
    await server.stop();
    await closeClients(clients);
  }
}

test('/healthz is alive; /readyz is 503 when PostgreSQL is unreachable and 200 when it is', async () => {
  await withServer({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' }, async (url) => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const notReady = await fetch(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'unavailable', checks: { postgres: false, redis: true, stopping: false } });
  });
  await withServer({}, async (url) => {
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: true, redis: true, stopping: false } });
  });
});

test('launch migrates and seeds an empty database, starts embedded S3 and the server, and stops on SIGTERM', async () => {
  const empty = await createTestDatabase({ migrate: false });
  const s3Directory = await mkdtemp(path.join(tmpdir(), 'chat-launch-s3-'));
  const s3Port = await freePort();
  const spawned = spawnBuilt(
    { ...environment, DATABASE_URL: empty.url, S3_ENDPOINT: '', S3_ACCESS_KEY: '', S3_SECRET_KEY: '', S3_PORT: String(s3Port), S3_LOCAL_DIR: s3Directory },
    'node/server/launch.js',
  );
  try {
    const listening = JSON.parse(await spawned.waitForLine(/"msg":"listening"/)) as { port: number };
    const url = `http://127.0.0.1:${listening.port}`;
    expect(spawned.lines.join('\n')).toContain('"msg":"embedded S3 server started"');
    // Seeded: the default user logs in; S3 works: the upload is stored in the local folder.
    const demo = await login(url, 'demo', 'demo-password');
    const upload = await demo.session.request<{ avatarUrl: string }>('PUT', '/api/me/avatar', { body: PNG_1PX });
    expect(upload.status).toBe(200);
    expect((await fetch(`${url}${upload.body.avatarUrl}`)).status).toBe(200);
    spawned.child.kill('SIGTERM');
    expect(await spawned.exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  } finally {
    spawned.child.kill('SIGKILL');
    await empty.drop();
    await rm(s3Directory, { recursive: true, force: true });
  }
});

test('the fixtures CLI (npm run fixtures) seeds, and a second run creates nothing', async () => {
  const fresh = await createTestDatabase();
  try {
    const runs: string[][] = [];
    for (let run = 0; run < 2; run += 1) {
      const spawned = spawnBuilt({ ...environment, DATABASE_URL: fresh.url }, 'fixtures/seed.js');
      expect(await spawned.exited).toBe(0);
      runs.push(spawned.lines);
    }
    const results = runs.map((lines) => JSON.parse(lines.find((line) => line.includes('fixtures applied')) ?? '{}') as Record<string, unknown>);
    expect(results[0]).toMatchObject({ roomCreated: true, botCreated: true, defaultUserCreated: true });
    expect(results[1]).toMatchObject({ roomCreated: false, botCreated: false, defaultUserCreated: false });
  } finally {
    await fresh.drop();
  }
});
