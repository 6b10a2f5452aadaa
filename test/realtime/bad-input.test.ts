/**
 * Bad input over socket.io: each gets a clear acknowledged error (or is stored as inert text), the server keeps
 * serving, and nothing stored before changes.
 */
import { io } from 'socket.io-client';
import type { ChatMessage, HistoryResponse } from '../../node/shared/protocol';
import { register, type ChatSocket, type LoggedIn } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { newClientId, nextEvent, request, requestData, socketsClosedAfterEach } from './helpers';

let server: TestServer;
let alice: LoggedIn;
let bob: LoggedIn;
let socket: ChatSocket;
let earlier: ChatMessage;
const connectTo = socketsClosedAfterEach();
const connect = (who: LoggedIn) => connectTo(server.url, who);

async function allMessages(): Promise<unknown[]> {
  const { rows } = await server.db.query('SELECT id, room_id, user_id, client_id, body, created_at FROM messages ORDER BY id');
  return rows;
}

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
  const setup = await connect(bob);
  await requestData(setup, 'room:create', { name: 'bobs-room' });
  earlier = await requestData(setup, 'message:send', { room: 'general', clientId: 'earlier', body: 'stored before the bad input' });
}, 120_000);

beforeEach(async () => {
  // A fresh socket per test: rejected events use up the per-socket rate limit too.
  socket = await connect(alice);
});

afterAll(async () => {
  await server?.stop();
});

const send = (payload: unknown) => request(socket, 'message:send', payload);

test('messages that are too long, empty or not text are refused with a clear error and not stored', async () => {
  const before = await allMessages();
  expect(await send({ room: 'general', clientId: newClientId(), body: 'x'.repeat(4001) })).toEqual({ error: 'message is longer than 4000 characters', code: 'invalid' });
  expect(await send({ room: 'general', clientId: newClientId(), body: '' })).toEqual({ error: 'message is empty', code: 'invalid' });
  expect(await send({ room: 'general', clientId: newClientId(), body: ' \n\t  ' })).toEqual({ error: 'message is empty', code: 'invalid' });
  expect(await send({ room: 'general', clientId: newClientId(), body: 42 })).toEqual({ error: 'body: expected the message text as a string', code: 'invalid' });
  expect(await send({ room: 'general', clientId: newClientId(), body: { text: 'hi' } })).toEqual({ error: 'body: expected the message text as a string', code: 'invalid' });
  expect(await send({ room: 'general', clientId: newClientId(), body: 'nul\u0000inside' })).toEqual({ error: 'message contains a NUL character', code: 'invalid' });
  expect(await send({ room: 'general', clientId: 'x'.repeat(65), body: 'hi' })).toEqual({ error: 'clientId: client id is longer than 64 characters', code: 'invalid' });
  expect(await allMessages()).toEqual(before);
  // The longest allowed message is fine.
  expect((await requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body: 'y'.repeat(4000) })).body).toHaveLength(4000);
});

test('a missing room, a room the user is not in, and payloads that are not objects get errors', async () => {
  const before = await allMessages();
  expect(await send({ clientId: newClientId(), body: 'where to?' })).toEqual({ error: 'room: expected a room name', code: 'invalid' });
  expect(await send({ room: 'Robert"); --', clientId: newClientId(), body: 'hi' })).toEqual({
    error: 'room: expected a room name of 2-32 characters a-z 0-9 _ -, or a direct conversation key',
    code: 'invalid',
  });
  expect(await send({ room: 'bobs-room', clientId: newClientId(), body: 'let me in' })).toEqual({ error: 'you are not a member of bobs-room: join it first', code: 'forbidden' });
  expect(await send({ room: 'nowhere', clientId: newClientId(), body: 'hi' })).toEqual({ error: 'no room named nowhere', code: 'not_found' });
  expect(await send('just a string')).toEqual({ error: 'expected an object payload', code: 'invalid' });
  expect(await send(null)).toEqual({ error: 'expected an object payload', code: 'invalid' });
  expect(await request(socket, 'message:send')).toEqual({ error: 'expected an object payload', code: 'invalid' });
  expect(await request(socket, 'room:join', [1, 2])).toEqual({ error: 'expected an object payload', code: 'invalid' });
  expect(await request(socket, 'sync', { rooms: 'general' })).toEqual({ error: 'rooms: expected rooms as an object of room name to message id or {after, from, revision, through}', code: 'invalid' });
  expect(await allMessages()).toEqual(before);
});

test('events without an acknowledgement callback or with junk do not crash the server', async () => {
  const raw = socket as unknown as { emit(event: string, ...args: unknown[]): void };
  raw.emit('message:send', { room: 'general', clientId: newClientId(), body: 'no ack' });
  raw.emit('room:list');
  raw.emit('typing', 'not an object');
  raw.emit('typing');
  raw.emit('no-such-event', { x: 1 }, () => undefined);
  // Still connected and answering; the unacknowledged message was not taken.
  expect(Array.isArray(await requestData(socket, 'room:list'))).toBe(true);
  expect(socket.connected).toBe(true);
  const { rows } = await server.db.query("SELECT 1 FROM messages WHERE body = 'no ack'");
  expect(rows).toEqual([]);
});

test('a failure inside a handler is answered as "internal error" and logged, without details to the client', async () => {
  // A real fault: the table is briefly missing.
  await server.db.query('ALTER TABLE messages RENAME TO messages_away');
  try {
    expect(await send({ room: 'general', clientId: newClientId(), body: 'into the void' })).toEqual({ error: 'internal error', code: 'internal' });
  } finally {
    await server.db.query('ALTER TABLE messages_away RENAME TO messages');
  }
  const logged = server.logs.find((line) => line.msg === 'socket event failed');
  expect(logged).toEqual(expect.objectContaining({ level: 50, event: 'message:send', userId: alice.user.id }));
  expect(JSON.stringify(logged)).toContain('messages');
  expect((await requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body: 'back again' })).body).toBe('back again');
});

test('SQL-looking and HTML-looking text is stored and returned byte for byte as plain text', async () => {
  const before = await allMessages();
  const bob_ = await connect(bob);
  const texts = ["'); DROP TABLE messages;--", '<img src=x onerror=alert(1)>', "Robert'); DELETE FROM users; -- \\ \" ` $1 %s"];
  for (const body of texts) {
    const heard = nextEvent(bob_, 'message:new', (message) => message.body === body);
    const sent = await requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body });
    expect(sent.body).toBe(body);
    expect((await heard).body).toBe(body);
  }
  const history = await bob.session.request<HistoryResponse>('GET', '/api/rooms/general/messages?limit=3');
  expect(history.body.messages.map((message) => message.body)).toEqual([...texts].reverse());
  const { rows } = await server.db.query<{ body: string }>('SELECT body FROM messages ORDER BY id DESC LIMIT 3');
  expect(rows.map((row) => Buffer.from(row.body).toString('hex'))).toEqual([...texts].reverse().map((text) => Buffer.from(text).toString('hex')));
  // Everything stored before is untouched, and the tables are all still there.
  expect((await allMessages()).slice(0, before.length)).toEqual(before);
  expect((await allMessages())[0]).toEqual(expect.objectContaining({ body: earlier.body }));
  const { rows: users } = await server.db.query('SELECT count(*)::int AS count FROM users');
  expect(users[0]).toEqual({ count: 4 });
});

test('one socket cannot flood a room: past the burst, sends are refused until the bucket refills', async () => {
  const answers = await Promise.all(Array.from({ length: 15 }, (_, i) => send({ room: 'general', clientId: newClientId(), body: `flood ${i}` })));
  const refused = answers.filter((answer) => 'error' in answer);
  expect(refused.length).toBeGreaterThanOrEqual(4);
  expect(refused[0]).toEqual({ error: 'too many requests: slow down', code: 'rate_limited' });
  const { rows } = await server.db.query<{ count: number }>("SELECT count(*)::int AS count FROM messages WHERE body LIKE 'flood %'");
  expect(rows[0]?.count).toBe(answers.length - refused.length);
});

function refusal(options: Parameters<typeof io>[1]): Promise<string> {
  const client = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      client.close();
      reject(new Error('connected, but should have been refused'));
    });
    client.once('connect_error', (error) => {
      client.close();
      resolve(error.message);
    });
  });
}

test('a socket without a logged-in session is refused', async () => {
  expect(await refusal({ extraHeaders: { origin: server.url } })).toBe('unauthorized');
  expect(await refusal({ extraHeaders: { origin: server.url, cookie: 'chat.sid=s%3Aforged.signature' } })).toBe('unauthorized');
  // Polling as well as WebSocket.
  expect(await refusal({ transports: ['polling'], extraHeaders: { origin: server.url } })).toBe('unauthorized');
});

test('a page of another origin cannot open a socket, even with the cookie', async () => {
  const message = await refusal({ extraHeaders: { cookie: alice.cookie, origin: 'https://evil.example' } });
  expect(message).toMatch(/websocket error|xhr poll error|origin/i);
  expect(await refusal({ transports: ['polling'], extraHeaders: { cookie: alice.cookie, origin: 'http://127.0.0.1:1' } })).toMatch(/xhr poll error|origin/i);
  expect(server.logText()).toContain('socket.io request from a foreign origin refused');
});
