/**
 * The hot path of a message over the real server: no read of PostgreSQL per message. The socket knows its user's
 * rooms and profile; the room id is remembered; only the batch INSERT reaches the database.
 */
import { sampleOf } from '../../bench/server-metrics';
import type { ChatMessage } from '../../node/shared/protocol';
import { register, type LoggedIn } from '../support/client';
import { PNG_1PX } from '../support/images';
import { startTestServer, type TestServer } from '../support/server';
import { newClientId, request, requestData, socketsClosedAfterEach } from './helpers';

let server: TestServer;
let alice: LoggedIn;
const connectTo = socketsClosedAfterEach();
const connect = (who: LoggedIn) => connectTo(server.url, who);

beforeAll(async () => {
  server = await startTestServer();
  alice = await register(server.url);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

/** Records the SQL text of every query the server's pool runs while `work` does, but the outbox sweeps of its timer. */
async function statementsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const pool = server.db as unknown as { query: (...args: unknown[]) => unknown };
  const query = pool.query;
  const statements: string[] = [];
  pool.query = function (this: unknown, ...args: unknown[]) {
    const [text] = args;
    statements.push(typeof text === 'string' ? text : String((text as { text?: unknown }).text));
    return query.apply(this, args);
  };
  try {
    await work();
  } finally {
    pool.query = query;
  }
  return statements.filter((statement) => !statement.includes('event_outbox'));
}

const send = (socket: Awaited<ReturnType<typeof connect>>, room: string, body: string) =>
  request(socket, 'message:send', { room, clientId: newClientId(), body });

test('sending reads nothing from PostgreSQL: each batch is one INSERT', async () => {
  const socket = await connect(alice);
  await requestData(socket, 'room:create', { name: 'quiet-path' });
  // The first send in a room looks its id up once.
  await requestData(socket, 'message:send', { room: 'quiet-path', clientId: newClientId(), body: 'first' });
  const statements = await statementsDuring(async () => {
    for (let i = 0; i < 5; i += 1) await requestData(socket, 'message:send', { room: 'quiet-path', clientId: newClientId(), body: `message ${i}` });
  });
  expect(statements).toHaveLength(5);
  // The batch's one statement: its rooms locked and numbered, the messages' INSERT, their mentions, all in one.
  for (const statement of statements) expect(statement.trim()).toMatch(/^WITH locked AS \(.*FOR NO KEY UPDATE\s+\), numbered AS \(.*INSERT INTO messages /s);
});

test("the socket follows its user's membership: a leave on another tab refuses sends, a join allows them", async () => {
  const [tab, otherTab] = await Promise.all([connect(alice), connect(alice)]);
  await requestData(tab, 'room:create', { name: 'followed' });
  expect(await send(otherTab, 'followed', 'in it')).toMatchObject({ data: { body: 'in it' } });
  await requestData(tab, 'room:leave', { name: 'followed' });
  expect(await send(otherTab, 'followed', 'left it')).toEqual({ error: 'you are not a member of followed: join it first', code: 'forbidden' });
  await requestData(tab, 'room:join', { name: 'followed' });
  expect(await send(otherTab, 'followed', 'back in it')).toMatchObject({ data: { body: 'back in it' } });
});

test('a deleted room fails cleanly, and a new room of the same name is another room', async () => {
  const socket = await connect(alice);
  await requestData(socket, 'room:create', { name: 'short-lived' });
  await requestData(socket, 'message:send', { room: 'short-lived', clientId: newClientId(), body: 'remembered id' });
  await server.db.query("DELETE FROM rooms WHERE name = 'short-lived'");
  expect(await send(socket, 'short-lived', 'too late')).toEqual({ error: 'no room named short-lived', code: 'not_found' });

  await requestData(socket, 'room:create', { name: 'short-lived' });
  const stored = (await requestData(socket, 'message:send', { room: 'short-lived', clientId: newClientId(), body: 'new room' })) as ChatMessage;
  const { rows } = await server.db.query<{ name: string }>('SELECT r.name FROM messages m JOIN rooms r ON r.id = m.room_id WHERE m.id = $1', [stored.id]);
  expect(rows).toEqual([{ name: 'short-lived' }]);
});

test("a message carries its sender's profile as it is now, without reading it per message", async () => {
  const socket = await connect(alice);
  const before = (await requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body: 'old face' })) as ChatMessage;
  const upload = await alice.session.request<{ avatarUrl: string }>('PUT', '/api/me/avatar', { body: PNG_1PX, headers: { 'content-type': 'image/png' } });
  expect(upload.status).toBe(200);
  const after = (await requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body: 'new face' })) as ChatMessage;
  expect(after.user.avatarUrl).toBe(upload.body.avatarUrl);
  expect(after.user.avatarUrl).not.toBe(before.user.avatarUrl);
});

/** The value of one sample line of /metrics; a labelled series not seen yet counts 0. */
function sample(text: string, name: string): number {
  const value = sampleOf(text, name);
  if (value === undefined && name.includes('{')) return 0;
  if (value === undefined) throw new Error(`no ${name} in /metrics`);
  return value;
}

test('/metrics counts stored messages, batches and answers, and shows the queue, the pool and the sockets', async () => {
  const socket = await connect(alice);
  const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
  const before = await scrape();
  for (let i = 0; i < 3; i += 1) await requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body: `counted ${i}` });
  expect(await send(socket, 'no-such-room', 'refused')).toMatchObject({ code: 'not_found' });
  const after = await scrape();
  expect(sample(after, 'chat_messages_stored_total') - sample(before, 'chat_messages_stored_total')).toBe(3);
  expect(sample(after, 'chat_message_batch_size_count') - sample(before, 'chat_message_batch_size_count')).toBe(3);
  expect(sample(after, 'chat_message_batch_seconds_count') - sample(before, 'chat_message_batch_seconds_count')).toBe(3);
  expect(sample(after, 'chat_message_batch_seconds_sum')).toBeGreaterThan(sample(before, 'chat_message_batch_seconds_sum'));
  const answered = (text: string, result: string) => sample(text, `chat_message_ack_seconds_count{result="${result}"}`);
  expect(answered(after, 'stored') - answered(before, 'stored')).toBe(3);
  expect(answered(after, 'not_found') - answered(before, 'not_found')).toBe(1);
  expect(sample(after, 'chat_message_busy_total')).toBe(0);
  expect(sample(after, 'chat_message_queue_depth')).toBe(0);
  expect(sample(after, 'chat_pg_pool_waiting')).toBe(0);
  expect(sample(after, 'chat_connected_sockets')).toBeGreaterThanOrEqual(1);
  expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
});
