/**
 * The batching message writer against a throwaway PostgreSQL database: one rule a test. Batches are closed by their
 * size (the window is far longer than a test), so which sends share a batch is decided by the test, not by timing.
 */
import type { Pool } from 'pg';
import { MessageRepository, MessageService, MessageWriter, type MessageWriterSettings } from '../../node/server/messages';
import { RoomRepository, RoomService } from '../../node/server/rooms';
import type { ChatMessage, PublicUser } from '../../node/shared/protocol';
import { profiles, recordingAnnouncer } from '../support/messages';
import { createTestDatabase, createTestPool, type TestDatabase } from '../support/resources';
import { waitFor } from '../support/wait';

let database: TestDatabase;
let db: Pool;
let alice: PublicUser;
let bob: PublicUser;

/** Long enough that only the batch size closes a batch within a test. */
const NEVER_MS = 600_000;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createTestPool(database.url, 10);
  const { rows } = await db.query<{ id: string; username: string }>(
    "INSERT INTO users (username, email, password_hash) VALUES ('writer_alice', 'wa@example.com', NULL), ('writer_bob', 'wb@example.com', NULL) RETURNING id, username",
  );
  [alice, bob] = rows.map((row) => profiles.publicOf({ ...row, avatar_key: null })) as [PublicUser, PublicUser];
  await db.query("INSERT INTO rooms (name) VALUES ('general'), ('doomed')");
  // A row that makes the whole statement fail, as a broken constraint or a full disk would.
  await db.query(`
    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.body = 'poison' THEN RAISE EXCEPTION 'poisoned batch'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
  // A row that keeps its batch's statement busy for a while, as a slow disk would.
  await db.query(`
    CREATE FUNCTION linger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.body = 'slow' THEN PERFORM pg_sleep(5); END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER linger BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION linger();`);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

/**
 * A service whose writer closes a batch at `batchSize` and records the size of every batch it wrote. The id of
 * general is looked up first, so that sends reach the writer in the order they were made.
 */
async function stack(settings: Partial<MessageWriterSettings>) {
  const batches: { size: number; created: number }[] = [];
  const announcer = recordingAnnouncer();
  const rooms = new RoomService(new RoomRepository(db), profiles);
  const writer = new MessageWriter(
    new MessageRepository(db, profiles),
    { batchSize: 3, windowMs: NEVER_MS, queueLimit: 1000, concurrency: 2, ...settings },
    { batchWritten: (size, created) => batches.push({ size, created }), refusedBusy: () => undefined },
  );
  const messages = new MessageService(new MessageRepository(db, profiles), writer, rooms, announcer);
  await rooms.requireId('general');
  return { messages, rooms, batches, announcer, writer };
}

const send = (messages: MessageService, user: PublicUser, clientId: string, body: string, room = 'general') =>
  messages.send({ user, room, clientId, body }, 'bot');

const countStored = async (clientIds: string[]) =>
  (await db.query<{ count: number }>('SELECT count(*)::int AS count FROM messages WHERE client_id = ANY($1)', [clientIds])).rows[0]?.count;

test('concurrent sends are stored in one batch, committed before they are announced', async () => {
  const { messages, batches, announcer } = await stack({ batchSize: 4 });
  const committedWhenAnnounced: Promise<number | undefined>[] = [];
  const announce = announcer.messageCreated;
  // At the moment of the announcement, another connection already sees the row.
  announcer.messageCreated = (message: ChatMessage) => {
    announce(message);
    committedWhenAnnounced.push(db.query<{ count: number }>('SELECT count(*)::int AS count FROM messages WHERE id = $1', [message.id]).then((r) => r.rows[0]?.count));
  };
  const ids = ['c-1', 'c-2', 'c-3', 'c-4'];
  const stored = await Promise.all(ids.map((id, index) => send(messages, index % 2 ? bob : alice, id, `hello ${id}`)));

  expect(batches).toEqual([{ size: 4, created: 4 }]);
  expect(stored.map((message) => [message.clientId, message.user.username])).toEqual([
    ['c-1', 'writer_alice'],
    ['c-2', 'writer_bob'],
    ['c-3', 'writer_alice'],
    ['c-4', 'writer_bob'],
  ]);
  // One INSERT keeps the order of the sends.
  expect(stored.map((message) => message.id)).toEqual([...stored.map((message) => message.id)].sort((a, b) => a - b));
  expect(announcer.announced).toEqual(stored);
  expect(await Promise.all(committedWhenAnnounced)).toEqual([1, 1, 1, 1]);
  expect(await countStored(ids)).toBe(4);
});

test('two sends of one client id in one batch store one message, both answered with it, announced once', async () => {
  const { messages, batches, announcer } = await stack({ batchSize: 3 });
  const [first, repeat, other] = await Promise.all([
    send(messages, alice, 'dup-1', 'once'),
    send(messages, alice, 'dup-1', 'once'),
    send(messages, bob, 'dup-1', 'same client id, other user'),
  ]);
  expect(batches).toEqual([{ size: 3, created: 2 }]);
  expect(repeat).toEqual(first);
  expect(other?.id).not.toBe(first?.id);
  expect(announcer.announced).toEqual([first, other]);
  expect(await countStored(['dup-1'])).toBe(2);

  // A resend in a later batch: the stored message, not announced again.
  const [again] = await Promise.all([send(messages, alice, 'dup-1', 'once'), send(messages, bob, 'dup-2', 'a'), send(messages, bob, 'dup-3', 'b')]);
  expect(again).toEqual(first);
  expect(announcer.announced.filter((message) => message.clientId === 'dup-1')).toHaveLength(2);
});

test('a row whose room was deleted meanwhile fails alone; the rest of its batch is stored', async () => {
  // One lane, so that the two rooms' messages share a batch.
  const { messages, rooms, batches } = await stack({ batchSize: 3, concurrency: 1 });
  // The room's id is remembered from an earlier send, then the room goes.
  await rooms.requireId('doomed');
  await db.query("DELETE FROM rooms WHERE name = 'doomed'");
  const results = await Promise.allSettled([
    send(messages, alice, 'bad-1', 'to a deleted room', 'doomed'),
    send(messages, alice, 'bad-2', 'fine'),
    send(messages, bob, 'bad-3', 'fine too'),
  ]);
  expect(batches).toEqual([{ size: 3, created: 2 }]);
  expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
  expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'not_found', message: 'no room named doomed' });
  expect(await countStored(['bad-1', 'bad-2', 'bad-3'])).toBe(2);
});

test('a failed transaction fails exactly its own senders with its error and stores nothing of it', async () => {
  const { messages, batches, announcer } = await stack({ batchSize: 3 });
  const poisoned = ['tx-1', 'tx-2', 'tx-3'];
  const healthy = ['tx-4', 'tx-5', 'tx-6'];
  const results = await Promise.allSettled([
    send(messages, alice, 'tx-1', 'fine'),
    send(messages, bob, 'tx-2', 'poison'),
    send(messages, alice, 'tx-3', 'fine'),
    ...healthy.map((id) => send(messages, bob, id, `healthy ${id}`)),
  ]);
  expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
  for (const result of results.slice(0, 3)) {
    // The statement's own error: the socket layer logs it and answers `internal error`.
    expect((result as PromiseRejectedResult).reason).toMatchObject({ message: 'poisoned batch' });
  }
  expect(batches).toEqual([{ size: 3, created: 3 }]);
  expect(await countStored(poisoned)).toBe(0);
  expect(await countStored(healthy)).toBe(3);
  expect(announcer.announced.map((message) => message.clientId)).toEqual(healthy);
});

test('beyond the queue bound a send is refused at once with busy, and the queue drains', async () => {
  const { messages, writer, batches } = await stack({ batchSize: 100, windowMs: 20, queueLimit: 5 });
  const settled: string[] = [];
  const sends = Array.from({ length: 6 }, (_, i) => send(messages, alice, `q-${i}`, `queued ${i}`).finally(() => settled.push(`q-${i}`)));
  const results = await Promise.allSettled(sends);
  expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
  expect((results[5] as PromiseRejectedResult).reason).toMatchObject({ code: 'busy', message: 'server busy: retry' });
  // Answered before the queued ones were stored, not after waiting its turn.
  expect(settled[0]).toBe('q-5');
  expect(batches).toEqual([{ size: 5, created: 5 }]);
  expect(writer.depth()).toBe(0);
  // The queue has room again.
  await expect(send(messages, alice, 'q-5', 'queued 5')).resolves.toMatchObject({ body: 'queued 5' });
});

test("a room's batch numbers and commits after one of the same room still being written; another room's is not held up", async () => {
  // Two writers, as two server processes would have, and a third lane of another room in the first one.
  const first = await stack({ batchSize: 1, concurrency: 2 });
  const second = await stack({ batchSize: 1, concurrency: 2 });
  // A room in the other lane of two: a room goes to lane (id mod 2).
  const { rows: created } = await db.query<{ id: string; name: string }>("INSERT INTO rooms (name) VALUES ('beside-a'), ('beside-b') RETURNING id, name");
  const generalLane = Number((await db.query<{ id: string }>("SELECT id FROM rooms WHERE name = 'general'")).rows[0]?.id) % 2;
  const elsewhere = created.find((room) => Number(room.id) % 2 !== generalLane)?.name ?? 'none';
  await first.rooms.requireId(elsewhere);
  /** How many of this database's INSERTs of messages are in the state `condition` says (as PostgreSQL reports it). */
  const waiting = async (condition: string) =>
    (await db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%INSERT INTO messages%' AND ${condition}`)).rows.length;

  const slow = send(first.messages, alice, 'order-slow', 'slow');
  // Its statement has locked general's row and is inserting, slowly.
  await waitFor(async () => (await waiting("wait_event = 'PgSleep'")) === 1);
  const fast = send(second.messages, bob, 'order-fast', 'fast');
  // The later batch of the same room waits for the row lock the slow one holds until its commit.
  await waitFor(async () => (await waiting("wait_event_type = 'Lock'")) === 1);
  // The other room's batch is stored while the slow one is still being written.
  await send(first.messages, bob, 'order-other', 'in another room', elsewhere);
  expect(await waiting("wait_event = 'PgSleep'")).toBe(1);

  const [slowMessage, fastMessage] = await Promise.all([slow, fast]);
  expect(fastMessage.seq).toBe(slowMessage.seq + 1);
  expect(fastMessage.id).toBeGreaterThan(slowMessage.id);
});

test("a batch's senders are answered once the lane's next batch has gone to PostgreSQL, which writes it meanwhile", async () => {
  // A pool of the writer's own, so that its counts are the writer's connections only.
  const pool = createTestPool(database.url, 2);
  try {
    const writer = new MessageWriter(new MessageRepository(pool, profiles), { batchSize: 1, windowMs: NEVER_MS, queueLimit: 10, concurrency: 1 });
    const roomId = Number((await db.query<{ id: string }>("SELECT id FROM rooms WHERE name = 'general'")).rows[0]?.id);
    const row = (clientId: string) => ({ roomId, room: 'general', userId: alice.id, user: alice, clientId, body: clientId });
    // The first batch is sent at once; the second waits for it in the lane.
    const first = writer.write(row('pipelined-1'));
    const second = writer.write(row('pipelined-2'));
    // What the pool is doing at the moment the first sender is answered.
    const poolWhenAnswered = await first.then(() => ({ busy: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }));
    expect(poolWhenAnswered).toEqual({ busy: 1, waiting: 0 });
    await expect(second).resolves.toMatchObject({ created: true });
  } finally {
    await pool.end();
  }
});
