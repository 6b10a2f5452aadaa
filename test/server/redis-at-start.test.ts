/**
 * The production entry (main.js) started while Redis is unreachable: it listens anyway with sessions degraded
 * (503), and recovers by itself once Redis is there, rate limits included.
 */
import { createClient, type RedisClientType } from 'redis';
import { ApiSession, connectSocket, newUser, register } from '../support/client';
import { buildServer, spawnBuilt, type PrivateBuild, type Spawned } from '../support/build';
import { createTestDatabase, createTestVhost, startTestS3, uniqueRedisPrefix, type TestDatabase, type TestS3, type TestVhost } from '../support/resources';
import { removeRedisPrefix, testEnvironment } from '../support/server';
import { createTcpGate, type TcpGate } from '../support/tcp-gate';
import { waitFor } from '../support/wait';

let build: PrivateBuild;
let database: TestDatabase;
let vhost: TestVhost;
let s3: TestS3;
let environment: NodeJS.ProcessEnv;
const redisPrefix = uniqueRedisPrefix();
const running: Spawned[] = [];
const gates: TcpGate[] = [];

beforeAll(async () => {
  [build, database, vhost, s3] = await Promise.all([buildServer(), createTestDatabase(), createTestVhost(), startTestS3()]);
  environment = testEnvironment({ databaseUrl: database.url, vhost, s3, redisPrefix });
}, 180_000);
afterAll(async () => {
  for (const spawned of running) spawned.child.kill('SIGKILL');
  await Promise.allSettled([...gates.map((gate) => gate.close()), build.remove(), database.drop(), vhost.drop(), s3.stop(), removeRedisPrefix(redisPrefix)]);
});

/** main.js with Redis behind a gate that is still closed: connections to it are refused. */
async function startWithRedisDown(changes: NodeJS.ProcessEnv = {}): Promise<{ spawned: Spawned; gate: TcpGate; url: string }> {
  const gate = await createTcpGate(6379);
  gates.push(gate);
  const spawned = spawnBuilt(build, { ...environment, ...changes, SESSION_REDIS: `redis://127.0.0.1:${gate.port}/0` });
  running.push(spawned);
  // Before the fix, main waited for Redis and never got here; the exit turns that into a message, not a hang.
  const listening = await Promise.race([
    spawned.waitForLine(/"msg":"listening"/),
    spawned.exited.then((code) => Promise.reject(new Error(`main exited with ${code}:\n${spawned.lines.join('\n')}`))),
  ]);
  const { port } = JSON.parse(listening) as { port: number };
  return { spawned, gate, url: `http://127.0.0.1:${port}` };
}

/** How many connections listen on the socket.io adapter's request channel (for fetchSockets, serverSideEmit) of this file's Redis prefix. */
async function adapterSubscribers(): Promise<number> {
  const redis = createClient({ url: 'redis://127.0.0.1:6379/0' }) as RedisClientType;
  await redis.connect();
  try {
    const counts = await redis.pubSubNumSub(`${environment.REDIS_PREFIX}socket.io#/#`);
    return Object.values(counts)[0] ?? 0;
  } finally {
    await redis.close();
  }
}

test('started with Redis down it listens with sessions degraded, and recovers by itself when Redis comes up', async () => {
  const { spawned, gate, url } = await startWithRedisDown({ RATE_LIMIT_PER_ACCOUNT: '2' });
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const readiness = await fetch(`${url}/readyz`);
  expect(readiness.status).toBe(503);
  expect(await readiness.json()).toEqual({ status: 'unavailable', checks: { postgres: true, redis: false, stopping: false } });
  const anonymous = await new ApiSession(url).request('GET', '/api/session');
  expect(anonymous.status).toBe(503);
  expect(anonymous.body).toEqual({ error: 'sessions are unavailable, try again later', code: 'unavailable' });

  await gate.open();
  await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200);
  const account = newUser('late');
  const registered = await register(url, account);
  const loggedIn = await new ApiSession(url).login(account.username, account.password);
  expect(loggedIn.status).toBe(200);
  (await connectSocket(url, registered.cookie)).close();
  // The socket.io adapter subscribed once Redis was there, so other processes' fetchSockets and serverSideEmit reach this one.
  await waitFor(async () => (await adapterSubscribers()) === 1);

  // The rate limits work again too (their Lua scripts could not be loaded at start): 2 failures, then 429.
  const guesses: number[] = [];
  for (let attempt = 0; attempt < 3; attempt += 1) guesses.push((await new ApiSession(url).login(account.username, 'wrong password')).status);
  expect(guesses).toEqual([401, 401, 429]);

  spawned.child.kill('SIGTERM');
  expect(await spawned.exited).toBe(0);
  // Neither the Redis outage nor the socket.io adapter's connections crashed anything on the way.
  expect(spawned.lines.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
});

test('SIGTERM while Redis is still down stops the process cleanly', async () => {
  const { spawned } = await startWithRedisDown();
  spawned.child.kill('SIGTERM');
  expect(await spawned.exited).toBe(0);
  expect(spawned.lines.some((line) => line.includes('"msg":"bye"'))).toBe(true);
});
