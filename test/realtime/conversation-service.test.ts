/**
 * Direct conversations and private rooms in the room service, against a throwaway PostgreSQL database: who may
 * start, list, join, invite, remove and leave; bad input changes nothing stored.
 */
import type { Pool } from 'pg';
import { RoomRepository, RoomService } from '../../node/server/rooms';
import { LIMITS } from '../../node/shared/protocol';
import { profiles } from '../support/messages';
import { createTestDatabase, createTestPool, type TestDatabase } from '../support/resources';

let database: TestDatabase;
let db: Pool;
let rooms: RoomService;
/** ann, ben, cat, dan, eve, fay, gus, hal, ivy: nine people. */
let people: number[];
let ann: number;
let ben: number;
let cat: number;
let botId: number;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createTestPool(database.url, 10);
  const names = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy'];
  const { rows } = await db.query<{ id: string }>(
    "INSERT INTO users (username, email) SELECT name, name || '@example.com' FROM unnest($1::text[]) WITH ORDINALITY AS n(name, position) ORDER BY position RETURNING id",
    [names],
  );
  people = rows.map((row) => Number(row.id));
  [ann, ben, cat] = people as [number, number, number];
  const bot = await db.query<{ id: string }>("INSERT INTO users (username, email, is_bot) VALUES ('some-bot', 'bot@example.com', true) RETURNING id");
  botId = Number(bot.rows[0]?.id);
  rooms = new RoomService(new RoomRepository(db), profiles);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

/** What a refusal must leave as it was. */
async function stored(): Promise<unknown[]> {
  const { rows } = await db.query(
    `SELECT r.id, r.name, r.kind, r.created_by, array_agg(m.user_id ORDER BY m.user_id) AS members
       FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id GROUP BY r.id ORDER BY r.id`,
  );
  return rows;
}

const usernames = (users: { username: string }[] | undefined) => (users ?? []).map((user) => user.username);

test('a one-to-one conversation is one per pair: started twice, from either side or at once, it is the same', async () => {
  const first = await rooms.startDirect(ann, [ben]);
  expect(first.changed).toBe(true);
  expect(first.room).toEqual({ name: expect.stringMatching(LIMITS.directNamePattern), kind: 'direct', memberCount: 2, joined: true, ownerId: null, members: [expect.objectContaining({ username: 'ann' }), expect.objectContaining({ username: 'ben' })], lastReadId: 0, unreadCount: 0, mentionCount: 0 });
  const again = await rooms.startDirect(ben, [ann, ann, ben]);
  expect(again).toEqual({ room: first.room, changed: false });

  const raced = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? rooms.startDirect(ann, [cat]) : rooms.startDirect(cat, [ann]))));
  expect(new Set(raced.map((result) => result.room.name)).size).toBe(1);
  expect(raced.filter((result) => result.changed)).toHaveLength(1);
  const { rows } = await db.query("SELECT count(*)::int AS count FROM rooms WHERE kind = 'direct' AND pair_low_user_id = $1 AND pair_high_user_id = $2", [ann, cat]);
  expect(rows[0]).toEqual({ count: 1 });
});

test('a group conversation holds up to 8 people and is new each time it is started', async () => {
  const others = people.slice(1, LIMITS.directMaxPeople);
  const group = await rooms.startDirect(ann, others);
  expect(group.room.memberCount).toBe(LIMITS.directMaxPeople);
  const again = await rooms.startDirect(ann, others);
  expect(again.room.name).not.toBe(group.room.name);
  // A member may leave a group, but nobody leaves a one-to-one conversation.
  const left = await rooms.leave(ben, group.room.name);
  expect(left).toEqual({ room: expect.objectContaining({ memberCount: LIMITS.directMaxPeople - 1, joined: false }), changed: true });
  expect(usernames(left.room.members)).not.toContain('ben');
  const pair = await rooms.startDirect(ann, [ben]);
  await expect(rooms.leave(ben, pair.room.name)).rejects.toMatchObject({ code: 'invalid', message: 'a one-to-one conversation cannot be left' });
});

test('starting a conversation with nobody, oneself, too many, unknown people or bots is refused and stores nothing', async () => {
  const before = await stored();
  await expect(rooms.startDirect(ann, [])).rejects.toMatchObject({ code: 'invalid', message: 'pick at least one person other than yourself' });
  await expect(rooms.startDirect(ann, [ann, ann])).rejects.toMatchObject({ code: 'invalid', message: 'pick at least one person other than yourself' });
  await expect(rooms.startDirect(ann, people)).rejects.toMatchObject({ code: 'invalid', message: `a direct conversation has at most ${LIMITS.directMaxPeople} people` });
  await expect(rooms.startDirect(ann, [ben, 987_654_321])).rejects.toMatchObject({ code: 'not_found', message: 'no user with id 987654321' });
  await expect(rooms.startDirect(ann, [botId])).rejects.toMatchObject({ code: 'not_found', message: `no user with id ${botId}` });
  expect(await stored()).toEqual(before);
});

test('a private room is known only to its members; its owner invites and removes, a member may leave', async () => {
  const created = await rooms.create(ann, 'secret-plans', true);
  expect(created).toEqual({ name: 'secret-plans', kind: 'private', memberCount: 1, joined: true, ownerId: ann, lastReadId: 0, unreadCount: 0, mentionCount: 0 });
  await rooms.create(ann, 'open-plans');
  const missing = { code: 'not_found', message: 'no room named secret-plans' };

  // An outsider cannot list, join, read or leave it: the answers are those for a room that does not exist.
  expect((await rooms.list(ben)).map((room) => room.name)).not.toContain('secret-plans');
  expect((await rooms.list(ben)).map((room) => room.name)).toContain('open-plans');
  await expect(rooms.join(ben, 'secret-plans')).rejects.toMatchObject(missing);
  await expect(rooms.join(ben, 'no-such-room')).rejects.toMatchObject({ code: 'not_found', message: 'no room named no-such-room' });
  await expect(rooms.requireMember(ben, 'secret-plans')).rejects.toMatchObject(missing);
  await expect(rooms.members(ben, 'secret-plans')).rejects.toMatchObject(missing);
  await expect(rooms.leave(ben, 'secret-plans')).rejects.toMatchObject(missing);
  await expect(rooms.invite(ben, 'secret-plans', ben)).rejects.toMatchObject(missing);

  const invited = await rooms.invite(ann, 'secret-plans', ben);
  expect(invited).toEqual({ room: expect.objectContaining({ name: 'secret-plans', memberCount: 2 }), changed: true });
  expect(await rooms.invite(ann, 'secret-plans', ben)).toEqual({ room: expect.objectContaining({ memberCount: 2 }), changed: false });
  expect((await rooms.list(ben)).find((room) => room.name === 'secret-plans')).toEqual({ name: 'secret-plans', kind: 'private', memberCount: 2, joined: true, ownerId: ann, lastReadId: 0, unreadCount: 0, mentionCount: 0 });
  expect(usernames(await rooms.members(ben, 'secret-plans'))).toEqual(['ann', 'ben']);

  const before = await stored();
  // A member who is not the owner may not invite or remove; nobody invites into a public room or a DM.
  await expect(rooms.invite(ben, 'secret-plans', cat)).rejects.toMatchObject({ code: 'forbidden', message: 'only the owner of secret-plans invites and removes members' });
  await expect(rooms.remove(ben, 'secret-plans', ann)).rejects.toMatchObject({ code: 'forbidden' });
  await expect(rooms.invite(ann, 'open-plans', cat)).rejects.toMatchObject({ code: 'invalid', message: 'open-plans is public: anyone may join it, nobody is invited or removed' });
  const pair = await rooms.startDirect(ann, [ben]);
  await expect(rooms.invite(ann, pair.room.name, cat)).rejects.toMatchObject({ code: 'invalid' });
  await expect(rooms.invite(ann, 'secret-plans', 987_654_321)).rejects.toMatchObject({ code: 'not_found', message: 'no user with id 987654321' });
  await expect(rooms.invite(ann, 'secret-plans', botId)).rejects.toMatchObject({ code: 'not_found' });
  await expect(rooms.remove(ann, 'secret-plans', ann)).rejects.toMatchObject({ code: 'invalid', message: 'the owner cannot be removed: leave the room instead' });
  expect(await stored()).toEqual(before);

  expect(await rooms.remove(ann, 'secret-plans', ben)).toEqual({ room: expect.objectContaining({ memberCount: 1 }), changed: true });
  await expect(rooms.members(ben, 'secret-plans')).rejects.toMatchObject(missing);
  await rooms.invite(ann, 'secret-plans', cat);
  expect(await rooms.leave(cat, 'secret-plans')).toEqual({ room: expect.objectContaining({ memberCount: 1 }), changed: true });
  await expect(rooms.requireMember(cat, 'secret-plans')).rejects.toMatchObject(missing);
});

test('room:list shows public rooms, and the private rooms and DMs one is in, DMs with their members', async () => {
  const pair = await rooms.startDirect(ann, [ben]);
  const listed = await rooms.list(ann);
  expect(listed.find((room) => room.name === pair.room.name)).toEqual(pair.room);
  expect((await rooms.list(cat)).some((room) => room.name === pair.room.name)).toBe(false);
  expect(listed.every((room) => room.kind !== 'direct' || room.members !== undefined)).toBe(true);
  expect(listed.every((room) => room.kind === 'direct' || room.members === undefined)).toBe(true);
});
