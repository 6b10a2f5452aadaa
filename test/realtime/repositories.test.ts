/** The message and room repositories against a throwaway PostgreSQL database, without the server. */
import type { Pool } from 'pg';
import { MessageRepository } from '../../node/server/messages';
import { RoomRepository, RoomService } from '../../node/server/rooms';
import { LIMITS, type PublicUser } from '../../node/shared/protocol';
import { createMessageService, profiles, recordingAnnouncer } from '../support/messages';
import { createTestDatabase, createTestPool, type TestDatabase } from '../support/resources';

let database: TestDatabase;
let db: Pool;
let userId: number;
let otherUserId: number;
let user: PublicUser;
let otherUser: PublicUser;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createTestPool(database.url, 10);
  const { rows } = await db.query<{ id: string }>(
    "INSERT INTO users (username, email, password_hash) VALUES ('repo_user', 'r@example.com', NULL), ('repo_other', 'o@example.com', NULL) RETURNING id",
  );
  [userId, otherUserId] = rows.map((row) => Number(row.id)) as [number, number];
  user = profiles.publicOf({ id: userId, username: 'repo_user', avatar_key: null });
  otherUser = profiles.publicOf({ id: otherUserId, username: 'repo_other', avatar_key: null });
}, 60_000);

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

test('concurrent batches holding one client id store one message and all answer with it', async () => {
  const rooms = new RoomService(new RoomRepository(db), profiles);
  await rooms.roomsOnConnect(userId);
  const room = await rooms.requireMember(userId, 'general');
  const repository = new MessageRepository(db, profiles);
  const row = { roomId: room.id, room: 'general', userId, user, clientId: 'same-id', body: 'once' };
  const results = (await Promise.all(Array.from({ length: 8 }, () => repository.insertBatch([row])))).flat();
  expect(results.filter((result) => 'created' in result && result.created)).toHaveLength(1);
  expect(new Set(results.map((result) => ('message' in result ? result.message.id : undefined))).size).toBe(1);
  const { rows } = await db.query("SELECT count(*)::int AS count FROM messages WHERE client_id = 'same-id'");
  expect(rows[0]).toEqual({ count: 1 });
  // The key is per user: another user may use the same client id.
  expect(await repository.insertBatch([{ ...row, userId: otherUserId, user: otherUser, body: 'mine' }])).toEqual([
    { created: true, message: expect.objectContaining({ body: 'mine', user: otherUser }) },
  ]);
});

test('missed messages: oldest first, at most one page per room, only rooms the user is in', async () => {
  const rooms = new RoomService(new RoomRepository(db), profiles);
  await rooms.create(userId, 'busy-room');
  await rooms.create(otherUserId, 'private-room');
  const { messages } = createMessageService(db, rooms, recordingAnnouncer());
  for (let i = 1; i <= LIMITS.historyPageMax + 20; i += 1) {
    await messages.send({ user, room: 'busy-room', clientId: `busy-${i}`, body: `busy ${i}` }, 'check-membership');
  }
  await messages.send({ user: otherUser, room: 'private-room', clientId: 'p-1', body: 'secret' }, 'check-membership');

  const missed = await messages.missed(userId, { 'busy-room': 0, 'private-room': 0 });
  expect(missed).toHaveLength(LIMITS.historyPageMax);
  expect(missed[0]?.body).toBe('busy 1');
  expect(missed.every((message) => message.room === 'busy-room')).toBe(true);
  const rest = await messages.missed(userId, { 'busy-room': missed[missed.length - 1]?.id ?? 0 });
  expect(rest.map((message) => message.body)).toEqual(Array.from({ length: 20 }, (_, i) => `busy ${LIMITS.historyPageMax + i + 1}`));
});

test('a bot (server-side sender) may post to an existing room it is not in, not to a missing one', async () => {
  const announcer = recordingAnnouncer();
  const { messages } = createMessageService(db, new RoomService(new RoomRepository(db), profiles), announcer);
  const posted = await messages.send({ user: otherUser, room: 'busy-room', clientId: 'bot-1', body: 'Welcome!' }, 'bot');
  expect(announcer.announced).toEqual([posted]);
  await expect(messages.send({ user: otherUser, room: 'busy-room', clientId: 'bot-2', body: 'hi' }, 'check-membership')).rejects.toThrow(
    'you are not a member of busy-room: join it first',
  );
  await expect(messages.send({ user: otherUser, room: 'gone-room', clientId: 'bot-3', body: 'hi' }, 'bot')).rejects.toThrow('no room named gone-room');
});

/**
 * The pool's single statements, but no connection to check out: an explicit transaction (BEGIN ... COMMIT on one
 * pooled client, idle between its statements while Node waits) fails here.
 */
function statementsOnly(pool: Pool): Pool {
  const noCheckout = () => Promise.reject(new Error('a connection was checked out for an explicit transaction'));
  return { query: pool.query.bind(pool), connect: noCheckout } as unknown as Pool;
}

test('connecting, creating a room and posting open no explicit transaction, and stay atomic', async () => {
  const pool = statementsOnly(db);
  const rooms = new RoomService(new RoomRepository(pool), profiles);
  await rooms.roomsOnConnect(userId);
  expect(await rooms.create(userId, 'no-tx-room')).toEqual({ name: 'no-tx-room', kind: 'public', memberCount: 1, joined: true, ownerId: userId, lastReadId: 0, unreadCount: 0, mentionCount: 0 });
  // Racing creators: one room, one creator as its only member, the rest told the name is taken.
  const race = await Promise.allSettled([otherUserId, userId, otherUserId].map((creator) => rooms.create(creator, 'raced-room')));
  expect(race.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  expect(race.filter((result) => result.status === 'rejected').map((result) => String(result.reason))).toEqual([
    expect.stringContaining('already exists'),
    expect.stringContaining('already exists'),
  ]);
  const { rows: members } = await db.query<{ name: string; count: number }>(
    `SELECT r.name, count(*)::int AS count FROM rooms r JOIN room_members m ON m.room_id = r.id
      WHERE r.name IN ('no-tx-room', 'raced-room') GROUP BY r.name ORDER BY r.name`,
  );
  expect(members).toEqual([
    { name: 'no-tx-room', count: 1 },
    { name: 'raced-room', count: 1 },
  ]);

  const announcer = recordingAnnouncer();
  const { messages } = createMessageService(pool, rooms, announcer);
  const message = { user, room: 'no-tx-room', clientId: 'no-tx-1', body: 'hi' };
  const stored = await messages.send(message, 'check-membership');
  expect(announcer.announced).toEqual([stored]);
  // The repeat answers the stored message and is not announced again.
  expect(await messages.send(message, 'check-membership')).toEqual(stored);
  expect(announcer.announced).toEqual([stored]);
});

test('batch inserts look up stored client ids by index, also once the table has grown past the size it had when they started', async () => {
  // A database of its own, whose messages table starts empty, and one connection: a plan made on that connection
  // while the table was empty and kept (a prepared statement's generic plan) scanned the whole table for every batch.
  const fresh = await createTestDatabase();
  const single = createTestPool(fresh.url, 1);
  try {
    const { rows: users } = await single.query<{ id: string }>("INSERT INTO users (username, email) VALUES ('scan_user', 's@example.com') RETURNING id");
    const scanUserId = Number(users[0]?.id);
    const { rows: rooms } = await single.query<{ id: string }>("INSERT INTO rooms (name) VALUES ('scan-room') RETURNING id");
    const roomId = Number(rooms[0]?.id);
    const scanUser = profiles.publicOf({ id: scanUserId, username: 'scan_user', avatar_key: null });
    const repository = new MessageRepository(single, profiles);
    let sent = 0;
    const writeBatches = async (count: number) => {
      for (let batch = 0; batch < count; batch += 1) {
        const rows = Array.from({ length: 40 }, () => ({ roomId, room: 'scan-room', userId: scanUserId, user: scanUser, clientId: `scan-${(sent += 1)}`, body: 'a line of chat' }));
        const outcomes = await repository.insertBatch(rows);
        expect(outcomes.every((outcome) => 'created' in outcome && outcome.created)).toBe(true);
      }
    };
    // The statistics of this connection's own scans, flushed now rather than within the second.
    const sequentialScans = async () => {
      await single.query('SELECT pg_stat_force_next_flush()');
      const { rows } = await single.query<{ seq_scan: string }>("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'messages'");
      return Number(rows[0]?.seq_scan);
    };
    // Batches while the table is small (a scan is then the cheaper plan), then a grown table.
    await writeBatches(10);
    await single.query(
      `INSERT INTO messages (room_id, user_id, client_id, body, seq)
         SELECT $1, $2, 'bulk-' || n, 'an older line', $3 + n FROM generate_series(1, 50000) AS n`,
      [roomId, scanUserId, sent],
    );
    await single.query('UPDATE rooms SET last_message_seq = $2 WHERE id = $1', [roomId, sent + 50_000]);
    const before = await sequentialScans();
    await writeBatches(10);
    expect((await sequentialScans()) - before).toBe(0);
  } finally {
    await single.end();
    await fresh.drop();
  }
});
