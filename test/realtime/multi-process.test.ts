/**
 * Two server processes (the production build, `node build/.../main.js`) on one database and one Redis prefix:
 * the Redis adapter carries messages (new, edited, deleted), presence, typing, room updates and read positions from one
 * to the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createClient, type RedisClientType } from 'redis';
import { seed } from '../../fixtures/seed';
import { loadConfig } from '../../node/server/config';
import { buildServer, type PrivateBuild } from '../support/build';
import { login, newUser, register, type LoggedIn } from '../support/client';
import { createTestDatabase, createTestPool, createTestVhost, startTestS3, uniqueRedisPrefix, type TestDatabase, type TestS3, type TestVhost } from '../support/resources';
import { deleteRedisKeys, testEnvironment } from '../support/server';
import { heardUpTo, newClientId, nextCount, nextEvent, onlineNames, requestData, socketsClosedAfterEach } from './helpers';

interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: string[];
}

let build: PrivateBuild;
let database: TestDatabase;
let vhost: TestVhost;
let s3: TestS3;
let redisPrefix: string;
let first: ServerProcess;
let second: ServerProcess;
let alice: LoggedIn;
let bob: LoggedIn;
const connectTo = socketsClosedAfterEach();
const connect = (who: LoggedIn, server: ServerProcess) => connectTo(server.url, who);

/** Starts main.js and resolves once it logs that it listens (on an ephemeral port). */
async function startProcess(environment: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, [build.file('node/server/main.js')], {
    env: { PATH: process.env.PATH, ...environment, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        output.push(line);
        const match = /"msg":"listening"/.test(line) ? /"port":(\d+)/.exec(line) : null;
        if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}`, output });
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening:\n${output.join('\n')}`)));
  });
}

async function stopProcess(server: ServerProcess | undefined): Promise<number | null> {
  if (!server || server.child.exitCode !== null) return server?.child.exitCode ?? null;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

beforeAll(async () => {
  [build, database, vhost, s3] = await Promise.all([buildServer(), createTestDatabase(), createTestVhost(), startTestS3()]);
  redisPrefix = uniqueRedisPrefix();
  const environment = testEnvironment({ databaseUrl: database.url, vhost, s3, redisPrefix });
  const pool = createTestPool(database.url);
  await seed(pool, loadConfig(environment)).finally(() => pool.end());
  [first, second] = await Promise.all([startProcess(environment), startProcess(environment)]);
  // One account per process; the session lives in the shared Redis, so either process accepts it.
  [alice, bob] = await Promise.all([register(first.url), register(second.url)]);
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([stopProcess(first), stopProcess(second)]);
  const redis = createClient({ url: 'redis://127.0.0.1:6379/0' }) as RedisClientType;
  await redis.connect();
  await deleteRedisKeys(redis, redisPrefix).finally(() => redis.close());
  await Promise.allSettled([build.remove(), database.drop(), vhost.drop(), s3.stop()]);
});

test('the two processes are separate servers on separate ports', () => {
  expect(first.url).not.toBe(second.url);
  expect(first.child.pid).not.toBe(second.child.pid);
});

test('a message crosses from one process to the other, both ways', async () => {
  const [a, b] = await Promise.all([connect(alice, first), connect(bob, second)]);
  const atBob = nextEvent(b, 'message:new', (message) => message.body === 'from the first process');
  const sent = await requestData(a, 'message:send', { room: 'general', clientId: newClientId(), body: 'from the first process' });
  expect(await atBob).toEqual(sent);

  const atAlice = nextEvent(a, 'message:new', (message) => message.body === 'from the second process');
  await requestData(b, 'message:send', { room: 'general', clientId: newClientId(), body: 'from the second process' });
  expect((await atAlice).user.id).toBe(bob.user.id);

  const typing = nextEvent(a, 'typing', (notice) => notice.user.id === bob.user.id);
  b.emit('typing', { room: 'general' });
  expect((await typing).room).toBe('general');

  // Edits and deletes cross too.
  const editedAtBob = nextEvent(b, 'message:updated', (message) => message.id === sent.id);
  const edited = await requestData(a, 'message:edit', { id: sent.id, body: 'from the first process, edited' });
  expect(await editedAtBob).toEqual(edited);
  const deletedAtBob = nextEvent(b, 'message:deleted', (message) => message.id === sent.id);
  const deleted = await requestData(a, 'message:delete', { id: sent.id });
  expect(await deletedAtBob).toEqual(deleted);
});

test('presence spans both processes, and a user on two processes counts once', async () => {
  const b = await connect(bob, second);
  const aliceOnFirst = await connect(alice, first);
  const bothOnline = [alice.user.username, bob.user.username].sort();
  // Bob's own process answers with Alice, who is connected to the other one.
  expect(onlineNames(await requestData(b, 'room:join', { name: 'general' })).sort()).toEqual(bothOnline);

  const aliceOnSecond = await connect(alice, second);
  expect(onlineNames(await requestData(aliceOnSecond, 'room:join', { name: 'general' })).sort()).toEqual(bothOnline);

  aliceOnFirst.close();
  aliceOnSecond.close();
  const gone = await nextEvent(b, 'presence', (p) => p.room === 'general' && !onlineNames(p).includes(alice.user.username));
  expect(onlineNames(gone)).toEqual([bob.user.username]);
});

test('a room created on one process is announced and joinable on the other', async () => {
  const [a, b] = await Promise.all([connect(alice, first), connect(bob, second)]);
  const announced = nextCount(b, 'cross-room');
  await requestData(a, 'room:create', { name: 'cross-room' });
  expect(await announced).toEqual({ name: 'cross-room', memberCount: 1 });
  await requestData(b, 'room:join', { name: 'cross-room' });
  const heard = nextEvent(a, 'message:new', (message) => message.room === 'cross-room');
  await requestData(b, 'message:send', { room: 'cross-room', clientId: newClientId(), body: 'hello across' });
  expect((await heard).body).toBe('hello across');
});

test('a DM started on one process reaches the other at once; a member removed there stops hearing a private room', async () => {
  const [a, b] = await Promise.all([connect(alice, first), connect(bob, second)]);
  const added = nextEvent(b, 'conversation:added');
  const { room } = await requestData(a, 'dm:start', { userIds: [bob.user.id] });
  expect(await added).toEqual(room);
  // Bob's socket on the other process joined it with the event: its send needs no join and reaches Alice. (Bob's
  // socket has its message in the answer: the broadcast leaves the sending socket out.)
  const heard = nextEvent(a, 'message:new', (message) => message.room === room.name);
  const sent = await requestData(b, 'message:send', { room: room.name, clientId: newClientId(), body: 'dm across' });
  expect(await heard).toEqual(sent);

  await requestData(a, 'room:create', { name: 'cross-private', private: true });
  const invited = nextEvent(b, 'conversation:added', (summary) => summary.name === 'cross-private');
  await requestData(a, 'room:invite', { name: 'cross-private', userId: bob.user.id });
  await invited;
  const removed = nextEvent(b, 'conversation:removed');
  const bobHeard: string[] = [];
  b.on('message:new', (message) => bobHeard.push(message.room));
  await requestData(a, 'room:remove', { name: 'cross-private', userId: bob.user.id });
  await requestData(a, 'message:send', { room: 'cross-private', clientId: newClientId(), body: 'not for bob' });
  // One stream carries the leave, then both messages, in order: after the general one, the private one is not coming.
  await heardUpTo(a, b);
  await removed;
  expect(bobHeard).toEqual(['general']);
});

test("a read position moved on one process reaches the user's sockets on the other", async () => {
  const [a, bobOnFirst, bobOnSecond] = await Promise.all([connect(alice, first), connect(bob, first), connect(bob, second)]);
  const sent = await requestData(a, 'message:send', { room: 'general', clientId: newClientId(), body: `read me, @${bob.user.username}` });
  const heard = nextEvent(bobOnSecond, 'room:read', (state) => state.name === 'general' && state.lastReadId === sent.id);
  const answer = await requestData(bobOnFirst, 'room:read', { room: 'general', messageId: sent.id });
  expect(answer).toEqual({ name: 'general', lastReadId: sent.id, unreadCount: 0, mentionCount: 0 });
  expect(await heard).toEqual(answer);
});

test("a logout on one process ends that session's sockets on the other at once, and only them", async () => {
  const account = newUser('logout');
  const phone = await register(first.url, account);
  const laptop = await login(second.url, account.username, account.password);
  const [phoneOnSecond, laptopOnSecond] = await Promise.all([connect(phone, second), connect(laptop, second)]);
  const reason = new Promise<string>((resolve) => phoneOnSecond.once('disconnect', resolve));
  expect((await phone.session.logout()).status).toBe(204);
  expect(await reason).toBe('io server disconnect');
  // The other process got the logout through the adapter; its periodic session check did not do it.
  expect(second.output.filter((line) => line.includes('"msg":"session ended: socket disconnected"'))).toEqual([]);
  expect(await requestData(laptopOnSecond, 'room:list')).toEqual(expect.any(Array));
});

test('when one process shuts down, its users drop out of the presence the other process shows, and its counts due are told', async () => {
  const b = await connect(bob, second);
  const a = await connect(alice, first);
  await nextEvent(b, 'presence', (p) => p.room === 'general' && onlineNames(p).includes(alice.user.username)).catch(() => undefined);
  const gone = nextEvent(b, 'presence', (p) => p.room === 'general' && !onlineNames(p).includes(alice.user.username));
  // The first count is told at once; the second is held for the rest of the second, which the shutdown cuts short.
  const told = nextCount(b, 'last-words');
  await requestData(a, 'room:create', { name: 'first-words' });
  await requestData(a, 'room:create', { name: 'last-words' });
  expect(await stopProcess(first)).toBe(0);
  expect(onlineNames(await gone)).toEqual([bob.user.username]);
  expect(await told).toEqual({ name: 'last-words', memberCount: 1 });
  expect(b.connected).toBe(true);
});
