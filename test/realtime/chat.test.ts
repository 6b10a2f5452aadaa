/**
 * Two users in one room over the real server (PostgreSQL, Redis sessions and adapter): messages, history,
 * idempotent resends, presence, typing, reconnection with sync, rooms.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { MessageRepository } from '../../node/server/messages';
import { MEMBER_COUNT_INTERVAL_MS } from '../../node/server/rooms';
import { UserProfiles } from '../../node/server/users';
import { PRESENCE_INTERVAL_MS, SESSION_RECHECK_MS } from '../../node/server/realtime';
import type { ChatMessage, HistoryResponse, RoomSummary } from '../../node/shared/protocol';
import { PNG_1PX } from '../support/images';
import { io } from 'socket.io-client';
import { login, newUser, register, type ChatSocket, type LoggedIn } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { waitFor } from '../support/wait';
import { closed, heardUpTo, newClientId, nextCount, nextEvent, onlineNames, recordEvents, request, requestData, socketsClosedAfterEach } from './helpers';

let server: TestServer;
let alice: LoggedIn;
let bob: LoggedIn;
const connectTo = socketsClosedAfterEach();
const connect = (who: LoggedIn) => connectTo(server.url, who);

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

async function roomId(name: string): Promise<number> {
  const { rows } = await server.db.query<{ id: string }>('SELECT id FROM rooms WHERE name = $1', [name]);
  return Number(rows[0]?.id);
}

test('a message from one user reaches the other with a server id and timestamp', async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const received = nextEvent(b, 'message:new', (message) => message.clientId === 'hello-1');
  const before = Date.now();
  const sent = await requestData(a, 'message:send', { room: 'general', clientId: 'hello-1', body: '  Hello, Bob!  ' });
  const message = await received;

  expect(message).toEqual(sent);
  expect(message.id).toEqual(expect.any(Number));
  expect(message.body).toBe('Hello, Bob!');
  expect(message.room).toBe('general');
  expect(message.user).toEqual({ id: alice.user.id, username: alice.user.username, avatarUrl: alice.user.avatarUrl });
  expect(Date.parse(message.createdAt)).toBeGreaterThanOrEqual(before - 5_000);
  // Stored before it was broadcast.
  const { rows } = await server.db.query('SELECT body FROM messages WHERE id = $1', [message.id]);
  expect(rows).toEqual([{ body: 'Hello, Bob!' }]);
});

test('history pages newest first with before= and says whether more exist', async () => {
  const a = await connect(alice);
  await requestData(a, 'room:create', { name: 'history-room' });
  const repository = new MessageRepository(server.db, new UserProfiles(server.config.CDN_PREFIX));
  const id = await roomId('history-room');
  const stored: ChatMessage[] = [];
  for (let i = 1; i <= 130; i += 1) {
    const [outcome] = await repository.insertBatch([{ roomId: id, room: 'history-room', userId: alice.user.id, user: alice.user, clientId: `bulk-${i}`, body: `message ${i}` }]);
    if (!outcome || !('message' in outcome)) throw new Error('bulk message not stored');
    stored.push(outcome.message);
  }

  const first = await alice.session.request<HistoryResponse>('GET', '/api/rooms/history-room/messages?limit=100');
  expect(first.status).toBe(200);
  expect(first.body.messages).toHaveLength(100);
  expect(first.body.hasMore).toBe(true);
  expect(first.body.messages[0]?.body).toBe('message 130');
  expect(first.body.messages[99]?.body).toBe('message 31');

  const oldest = first.body.messages[99] as ChatMessage;
  const second = await alice.session.request<HistoryResponse>('GET', `/api/rooms/history-room/messages?before=${oldest.id}&limit=100`);
  expect(second.body.messages.map((m) => m.body)).toEqual(stored.slice(0, 30).reverse().map((m) => m.body));
  expect(second.body.hasMore).toBe(false);

  const defaultPage = await alice.session.request<HistoryResponse>('GET', '/api/rooms/history-room/messages');
  expect(defaultPage.body.messages).toHaveLength(50);

  for (const bad of ['limit=101', 'limit=0', 'before=abc', 'before=-5']) {
    const response = await alice.session.request<{ error: string; code: string }>('GET', `/api/rooms/history-room/messages?${bad}`);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid');
    expect(response.body.error).toMatch(/expected (limit|before)=/);
  }
  // Bob has not joined this room; nobody may read a room that does not exist; anonymous callers get 401.
  expect((await bob.session.request('GET', '/api/rooms/history-room/messages')).status).toBe(403);
  expect((await alice.session.request('GET', '/api/rooms/no-such-room/messages')).status).toBe(404);
  expect((await fetch(`${server.url}/api/rooms/history-room/messages`)).status).toBe(401);
});

test('a resend with the same client id after a reconnect creates no duplicate, and is announced again as the same message', async () => {
  const b = await connect(bob);
  const delivered = recordEvents(b, 'message:new');
  let a = await connect(alice);
  const clientId = newClientId();
  const first = await requestData(a, 'message:send', { room: 'general', clientId, body: 'sent twice' });
  a.close();
  a = await connect(alice);
  const second = await requestData(a, 'message:send', { room: 'general', clientId, body: 'sent twice' });

  expect(second).toEqual(first);
  const { rows } = await server.db.query('SELECT count(*)::int AS count FROM messages WHERE client_id = $1', [clientId]);
  expect(rows[0]).toEqual({ count: 1 });
  // Once a later message arrives, the resend would have arrived too.
  await heardUpTo(a, b);
  // The process that stored it might have died before announcing it, so a resend from a later connection is
  // announced again: the same stored message, which clients hold once by its id.
  expect(delivered.filter((message) => message.clientId === clientId)).toEqual([first, first]);
});

test('a resend on the connection that sent it first is answered with the stored message and not announced again', async () => {
  const b = await connect(bob);
  const delivered = recordEvents(b, 'message:new');
  const a = await connect(alice);
  const clientId = newClientId();
  const first = await requestData(a, 'message:send', { room: 'general', clientId, body: 'sent twice on one connection' });
  expect(await requestData(a, 'message:send', { room: 'general', clientId, body: 'sent twice on one connection' })).toEqual(first);
  await heardUpTo(a, b);
  expect(delivered.filter((message) => message.clientId === clientId)).toEqual([first]);
});

test('presence lists a user with two tabs once and drops them when both close', async () => {
  const b = await connect(bob);
  await requestData(b, 'room:create', { name: 'presence-room' });
  const watcher = await connect(bob);

  // Alice opens two tabs in the room.
  const aliceIn = nextEvent(watcher, 'presence', (p) => p.room === 'presence-room' && onlineNames(p).includes(alice.user.username));
  const tab1 = await connect(alice);
  const joined = await requestData(tab1, 'room:join', { name: 'presence-room' });
  expect(joined.room).toEqual({ name: 'presence-room', kind: 'public', memberCount: 2, joined: true, ownerId: bob.user.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 });
  expect(onlineNames(joined).sort()).toEqual([alice.user.username, bob.user.username].sort());
  expect(onlineNames(await aliceIn).sort()).toEqual([alice.user.username, bob.user.username].sort());

  const tab2 = await connect(alice);
  // The second tab joined the room at connect (membership is stored); asked from that tab, the list is computed
  // with both tabs in the room and still names Alice once.
  const fromTab2 = await requestData(tab2, 'room:join', { name: 'presence-room' });
  expect(onlineNames(fromTab2).sort()).toEqual([alice.user.username, bob.user.username].sort());

  tab1.close();
  const afterTab1Closed = await nextEvent(watcher, 'presence', (p) => p.room === 'presence-room');
  expect(onlineNames(afterTab1Closed)).toContain(alice.user.username);

  tab2.close();
  const afterBoth = await nextEvent(watcher, 'presence', (p) => p.room === 'presence-room' && !onlineNames(p).includes(alice.user.username));
  expect(onlineNames(afterBoth)).toEqual([bob.user.username]);
});

test('a burst of connects to a room sends its list at once, then once more with all of them, not once per connect', async () => {
  const b = await connect(bob);
  await requestData(b, 'room:create', { name: 'presence-burst' });
  const watcher = await connect(bob);
  const seen = recordEvents(watcher, 'presence');
  const carol = await register(server.url);
  const started = Date.now();
  // Carol joins, then opens seven more tabs one after another: each of the eight changes the room's list.
  await requestData(await connect(carol), 'room:join', { name: 'presence-burst' });
  for (let tab = 0; tab < 7; tab += 1) await connect(carol);
  const burstMs = Date.now() - started;
  await waitFor(() => seen.some((p) => p.room === 'presence-burst' && onlineNames(p).includes(carol.user.username)), { timeoutMs: 5000 });
  // Long enough for the list due after the burst to arrive.
  await new Promise((resolve) => setTimeout(resolve, PRESENCE_INTERVAL_MS * 1.5));
  const lists = seen.filter((p) => p.room === 'presence-burst');
  // At most one list per interval the burst took, plus the one due after it (and one for the watcher's own connect).
  expect(lists.length).toBeLessThanOrEqual(Math.ceil(burstMs / PRESENCE_INTERVAL_MS) + 2);
  expect(onlineNames(lists[lists.length - 1] as (typeof lists)[number]).sort()).toEqual([bob.user.username, carol.user.username].sort());
});

test('typing reaches the others in the room, not the typist', async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const ownTypingEchoes = recordEvents(a, 'typing');
  const typing = nextEvent(b, 'typing', (t) => t.room === 'general');
  a.emit('typing', { room: 'general' });
  expect(await typing).toEqual({ room: 'general', user: expect.objectContaining({ id: alice.user.id, username: alice.user.username }) });
  // A notice for a room Alice is not in goes nowhere.
  await requestData(b, 'room:create', { name: 'bob-only' });
  const notRelayed = recordEvents(b, 'typing');
  a.emit('typing', { room: 'bob-only' });
  await requestData(a, 'room:list');
  expect(notRelayed).toEqual([]);
  expect(ownTypingEchoes).toEqual([]);
});

test('a client that was away gets what it missed through sync', async () => {
  const a = await connect(alice);
  let b = await connect(bob);
  const seen = await requestData(b, 'message:send', { room: 'general', clientId: newClientId(), body: 'before the break' });
  b.close();

  const missed: ChatMessage[] = [];
  for (const body of ['one', 'two', 'three']) missed.push(await requestData(a, 'message:send', { room: 'general', clientId: newClientId(), body }));

  b = await connect(bob);
  const synced = await requestData(b, 'sync', { rooms: { general: seen.id, 'history-room': 0 } });
  // Oldest first; history-room is left out because Bob is not a member of it.
  expect(synced).toEqual(missed);
  expect(await requestData(b, 'sync', { rooms: { general: missed[2]?.id } })).toEqual([]);
});

test('rooms: create, list with member counts, join and leave with rooms:updated broadcasts', async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const created = nextCount(b, 'team-room');
  expect(await requestData(a, 'room:create', { name: 'team-room' })).toEqual({
    room: { name: 'team-room', kind: 'public', memberCount: 1, joined: true, ownerId: alice.user.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 },
    online: [expect.objectContaining({ id: alice.user.id })],
  });
  expect(await created).toEqual({ name: 'team-room', memberCount: 1 });
  expect(await request(b, 'room:create', { name: 'team-room' })).toEqual({ error: 'room team-room already exists', code: 'conflict' });

  const listed = await requestData(b, 'room:list');
  expect(listed.find((room) => room.name === 'team-room')).toEqual({ name: 'team-room', kind: 'public', memberCount: 1, joined: false, ownerId: alice.user.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 });
  expect(listed.find((room) => room.name === 'general')).toEqual(expect.objectContaining({ joined: true, ownerId: null }));

  const joinedBroadcast = nextCount(a, 'team-room', 2);
  await requestData(b, 'room:join', { name: 'team-room' });
  await joinedBroadcast;
  // Bob's socket now hears the room.
  const heard = nextEvent(b, 'message:new', (message) => message.room === 'team-room');
  await requestData(a, 'message:send', { room: 'team-room', clientId: newClientId(), body: 'welcome' });
  expect((await heard).body).toBe('welcome');

  const rest = await bob.session.request<RoomSummary[]>('GET', '/api/rooms');
  expect(rest.status).toBe(200);
  expect(rest.body.find((room) => room.name === 'team-room')).toEqual({ name: 'team-room', kind: 'public', memberCount: 2, joined: true, ownerId: alice.user.id, lastReadId: 0, unreadCount: 1, mentionCount: 0 });

  const leftBroadcast = nextCount(a, 'team-room', 1);
  expect(await request(b, 'room:leave', { name: 'team-room' })).toEqual({ data: true });
  await leftBroadcast;
  expect(await request(b, 'message:send', { room: 'team-room', clientId: newClientId(), body: 'still here?' })).toEqual({
    error: 'you are not a member of team-room: join it first',
    code: 'forbidden',
  });
  expect(await request(b, 'room:leave', { name: 'general' })).toEqual({ error: 'everyone stays in general', code: 'invalid' });
  expect(await request(b, 'room:join', { name: 'no-such-room' })).toEqual({ error: 'no room named no-such-room', code: 'not_found' });
});

test("a new user's first connect announces general's new member count; a later connect does not", async () => {
  const a = await connect(alice);
  const generalBefore = (await requestData(a, 'room:list')).find((room) => room.name === 'general');
  const counts = recordEvents(a, 'rooms:updated');
  const carol = await register(server.url);
  const announced = nextCount(a, 'general');

  await connect(carol);
  expect(await announced).toEqual({ name: 'general', memberCount: (generalBefore?.memberCount ?? 0) + 1 });
  // Already a member: connecting again changes no count. A count due would be told once the interval is over.
  await connect(carol);
  await new Promise((resolve) => setTimeout(resolve, MEMBER_COUNT_INTERVAL_MS * 1.5));
  expect(counts.flat().filter((room) => room.name === 'general')).toHaveLength(1);
});

test('a burst of joins to public rooms tells everyone their counts in a few broadcasts, the newest last', async () => {
  const a = await connect(alice);
  await requestData(a, 'room:create', { name: 'burst-one' });
  await requestData(a, 'room:create', { name: 'burst-two' });
  const joiners = await Promise.all(Array.from({ length: 12 }, () => register(server.url)));
  const sockets = await Promise.all(joiners.map(connect));
  const counts = recordEvents(a, 'rooms:updated');
  const countsOf = (name: string) => counts.flat().filter((room) => room.name === name).map((room) => room.memberCount);

  const started = Date.now();
  // Each joiner joins both rooms, all at once: 24 changes on concurrent pool connections.
  await Promise.all(sockets.flatMap((socket) => ['burst-one', 'burst-two'].map((name) => requestData(socket, 'room:join', { name }))));
  const burstMs = Date.now() - started;
  await waitFor(() => countsOf('burst-one').at(-1) === 13 && countsOf('burst-two').at(-1) === 13, { timeoutMs: 5000 });
  // Long enough for a count told out of order to arrive after the newest.
  await new Promise((resolve) => setTimeout(resolve, MEMBER_COUNT_INTERVAL_MS * 1.5));
  // At most once a second, both rooms in one broadcast: one per second of the burst, one due after it and one
  // perhaps still due from the rooms' creation; not 24.
  const broadcasts = counts.filter((rooms) => rooms.some((room) => room.name.startsWith('burst-')));
  expect(broadcasts.length).toBeLessThanOrEqual(Math.ceil(burstMs / MEMBER_COUNT_INTERVAL_MS) + 2);
  expect(countsOf('burst-one').at(-1)).toBe(13);
  expect(countsOf('burst-two').at(-1)).toBe(13);
});

test('a new profile (avatar) reaches every client', async () => {
  const b = await connect(bob);
  const updated = nextEvent(b, 'user:updated', (user) => user.id === alice.user.id);
  const upload = await alice.session.request('PUT', '/api/me/avatar', {
    body: PNG_1PX,
    headers: { 'content-type': 'image/png' },
  });
  expect(upload.status).toBe(200);
  expect((await updated).avatarUrl).not.toBe(alice.user.avatarUrl);
});

/** Log lines of the periodic session check ending one of the user's sockets. */
const endedBySessionCheck = (userId: number) =>
  server.logs.filter((line) => line.msg === 'session ended: socket disconnected' && line.userId === userId);

const disconnectReason = (socket: ChatSocket) => new Promise<string>((resolve) => socket.once('disconnect', resolve));

test("logging out ends that session's sockets at once; the user's other session stays connected", async () => {
  const carolAccount = newUser('carol');
  const carol = await register(server.url, carolAccount);
  const carolElsewhere = await login(server.url, carolAccount.username, carolAccount.password);
  const [tab, secondTab, otherBrowser] = await Promise.all([connect(carol), connect(carol), connect(carolElsewhere)]);
  const reasons = Promise.all([tab, secondTab].map(disconnectReason));

  expect((await carol.session.logout()).status).toBe(204);
  expect(await reasons).toEqual(['io server disconnect', 'io server disconnect']);
  // Ended by the logout itself, not by the periodic session check.
  expect(endedBySessionCheck(carol.user.id)).toEqual([]);
  expect(otherBrowser.connected).toBe(true);
  expect(await requestData(otherBrowser, 'room:list')).toEqual(expect.any(Array));
  await expect(connect(carol)).rejects.toThrow('unauthorized');
});

test('a session that ends without a logout (expiry) still ends its sockets at the next session check', async () => {
  const dave = await register(server.url);
  const socket = await connect(dave);
  const ended = closed(socket);
  // The cookie is `s:<session id>.<signature>`, URI-encoded; expiry is Redis dropping the key.
  const sessionId = /^s:(.+)\.[^.]+$/.exec(decodeURIComponent(dave.cookie.slice('chat.sid='.length)))?.[1];
  expect(await server.redis.del(`${server.config.REDIS_PREFIX}sess:${sessionId}`)).toBe(1);
  await ended;
  expect(endedBySessionCheck(dave.user.id)).toHaveLength(1);
  await expect(connect(dave)).rejects.toThrow('unauthorized');
}, SESSION_RECHECK_MS + 15_000);

async function queuedAndUnacknowledged(vhost: string, queue: string): Promise<number> {
  const { stdout } = await promisify(execFile)('rabbitmqctl', ['-q', '--no-table-headers', 'list_queues', '-p', vhost, 'name', 'messages']);
  const line = stdout.split('\n').find((each) => each.split('\t')[0] === queue);
  if (!line) throw new Error(`queue ${queue} not found`);
  return Number(line.split('\t')[1]);
}

test('a bot message (postMessage) is stored once and broadcast like any message, even when delivered twice', async () => {
  const b = await connect(bob);
  const delivered = recordEvents(b, 'message:new');
  const heard = nextEvent(b, 'message:new', (message) => message.user.username === 'greeter');
  const connection = await amqp.connect(server.vhost.uri);
  try {
    const channel = await connection.createConfirmChannel();
    const botMessage = { type: 'bot.message', id: randomUUID(), bot: 'greeter', room: 'general', text: `Welcome, ${bob.user.username}!` };
    for (let i = 0; i < 2; i += 1) {
      channel.publish(server.config.AMQP_EXCHANGE, 'bot.message', Buffer.from(JSON.stringify(botMessage)), { persistent: true, contentType: 'application/json' });
    }
    await channel.waitForConfirms();
    const message = await heard;
    expect(message).toEqual(expect.objectContaining({ room: 'general', clientId: botMessage.id, body: botMessage.text }));
    // Both deliveries have been handled once the queue holds nothing, neither ready nor unacknowledged.
    await waitFor(async () => (await queuedAndUnacknowledged(server.vhost.name, server.config.AMQP_BOT_QUEUE)) === 0);
    const { rows } = await server.db.query('SELECT count(*)::int AS count FROM messages WHERE client_id = $1', [botMessage.id]);
    expect(rows[0]).toEqual({ count: 1 });
    expect(delivered.filter((each) => each.clientId === botMessage.id)).toHaveLength(1);
  } finally {
    await connection.close();
  }
});

test('HTTP long-polling works too, with the same session cookie', async () => {
  const polling: ChatSocket = io(server.url, { transports: ['polling'], extraHeaders: { cookie: bob.cookie, origin: server.url }, reconnection: false, forceNew: true });
  try {
    await new Promise<void>((resolve, reject) => {
      polling.once('connect', resolve);
      polling.once('connect_error', reject);
    });
    const a = await connect(alice);
    const heard = nextEvent(polling, 'message:new', (message) => message.body === 'over polling');
    await requestData(a, 'message:send', { room: 'general', clientId: newClientId(), body: 'over polling' });
    expect((await heard).user.id).toBe(alice.user.id);
    expect((await requestData(polling, 'message:send', { room: 'general', clientId: newClientId(), body: 'from polling' })).user.id).toBe(bob.user.id);
  } finally {
    polling.close();
  }
});
