/**
 * Mentions resolved by the batching writer against a throwaway PostgreSQL database: the batch's one statement stores
 * them, for members of the room only, each once, whatever the case; history and a repeated send show the same.
 */
import type { Pool } from 'pg';
import { MessageRepository, MessageService, MessageWriter, type MessageAnnouncer } from '../../node/server/messages';
import { RoomRepository, RoomService } from '../../node/server/rooms';
import type { PublicUser } from '../../node/shared/protocol';
import { createMessageService, profiles, recordingAnnouncer } from '../support/messages';
import { createTestDatabase, createTestPool, type TestDatabase } from '../support/resources';

let database: TestDatabase;
let db: Pool;
/** Ann, Ben and Cat are members of team; Dan is not. */
let ann: PublicUser;
let ben: PublicUser;
let cat: PublicUser;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createTestPool(database.url, 5);
  const { rows } = await db.query<{ id: string; username: string }>(
    `INSERT INTO users (username, email, password_hash)
     VALUES ('m_ann', 'ann@example.com', NULL), ('m_ben', 'ben@example.com', NULL), ('m_cat', 'cat@example.com', NULL), ('m_dan', 'dan@example.com', NULL)
     RETURNING id, username`,
  );
  [ann, ben, cat] = rows.map((row) => profiles.publicOf({ ...row, avatar_key: null })) as [PublicUser, PublicUser, PublicUser];
  await db.query(`
    INSERT INTO rooms (name) VALUES ('team');
    INSERT INTO room_members (room_id, user_id) SELECT r.id, u.id FROM rooms r, users u WHERE u.username IN ('m_ann', 'm_ben', 'm_cat');`);
}, 60_000);

afterAll(async () => {
  await db?.end();
  await database?.drop();
});

const mentionRows = async (messageIds: number[]) =>
  (
    await db.query<{ message_id: string; username: string }>(
      'SELECT mm.message_id, u.username FROM message_mentions mm JOIN users u ON u.id = mm.user_id WHERE mm.message_id = ANY($1) ORDER BY 1, 2',
      [messageIds],
    )
  ).rows.map((row) => [Number(row.message_id), row.username]);

/**
 * A message service whose batches close at `batchSize` only (the window is far longer than a test), so that that many
 * sends share one statement; `batches` records each batch's size.
 */
function batchingService(batchSize: number, rooms: RoomService, announcer: MessageAnnouncer) {
  const batches: number[] = [];
  const repository = new MessageRepository(db, profiles);
  const writer = new MessageWriter(
    repository,
    { batchSize, windowMs: 600_000, queueLimit: 100, concurrency: 1 },
    { batchWritten: (size) => batches.push(size), refusedBusy: () => undefined },
  );
  return { batched: new MessageService(repository, writer, rooms, announcer), batches };
}

test('one batch stores its messages with their mentions: members only, each once, any case, never the sender, not in code', async () => {
  const rooms = new RoomService(new RoomRepository(db), profiles);
  const announcer = recordingAnnouncer();
  const { batched, batches } = batchingService(4, rooms, announcer);
  const { messages } = createMessageService(db, rooms, announcer);
  await rooms.requireId('team');
  const send = (user: PublicUser, clientId: string, body: string, service = messages) => service.send({ user, room: 'team', clientId, body }, 'bot');

  const sent = await Promise.all([
    send(ann, 'm-1', 'hi @M_Ben and @m_ben again, @m_cat', batched),
    send(ann, 'm-2', '@m_dan is no member, @nobody_at_all is no one, mail m_cat@example.com', batched),
    send(ben, 'm-3', 'I am @m_ben, `@m_ann` is code\n```\n@m_cat\n```', batched),
    send(cat, 'm-4', 'plain text', batched),
  ]);
  expect(batches).toEqual([4]);
  expect(sent.map((message) => message.mentions)).toEqual([['m_ben', 'm_cat'], [], [], []]);
  expect(await mentionRows(sent.map((message) => message.id))).toEqual([
    [sent[0]?.id, 'm_ben'],
    [sent[0]?.id, 'm_cat'],
  ]);

  // History and a repeat of a client id answer the message as stored, with its mentions.
  const page = await messages.history(ann.id, 'team', undefined, 10);
  expect(page.messages.find((message) => message.id === sent[0]?.id)?.mentions).toEqual(['m_ben', 'm_cat']);
  expect((await send(ann, 'm-1', 'hi @M_Ben and @m_ben again, @m_cat')).mentions).toEqual(['m_ben', 'm_cat']);

  // An edit neither adds nor removes mentions; a deleted message shows none.
  const edited = await messages.edit(ann.id, sent[0]?.id as number, 'now only @m_ann');
  expect(edited.mentions).toEqual(['m_ben', 'm_cat']);
  expect((await messages.delete(ann.id, sent[0]?.id as number)).mentions).toEqual([]);
});

test('a batch with no @name in any body is stored by the statement without the mention part: numbered after the room last number, no mentions', async () => {
  const { batched, batches } = batchingService(3, new RoomService(new RoomRepository(db), profiles), recordingAnnouncer());
  const send = (user: PublicUser, clientId: string, body: string) => batched.send({ user, room: 'team', clientId, body }, 'bot');
  const { rows } = await db.query<{ last: string }>("SELECT last_message_seq AS last FROM rooms WHERE name = 'team'");
  const last = Number(rows[0]?.last);

  const sent = await Promise.all([send(ann, 'p-1', 'no names here'), send(ben, 'p-2', 'mail m_cat@example.com'), send(cat, 'p-3', 'plain')]);
  expect(batches).toEqual([3]);
  expect(sent.map((message) => message.mentions)).toEqual([[], [], []]);
  // Numbered in the order they reached the writer, which the room lookup before it may change.
  expect(sent.map((message) => message.seq).sort((a, b) => a - b)).toEqual([last + 1, last + 2, last + 3]);
  expect(await mentionRows(sent.map((message) => message.id))).toEqual([]);
  // The room's last number moved with them: the next batch (with a mention this time) numbers after them.
  const next = await Promise.all([send(ann, 'p-4', 'hi @m_ben'), send(ben, 'p-5', 'hi'), send(cat, 'p-6', 'hi')]);
  expect(next.map((message) => message.seq).sort((a, b) => a - b)).toEqual([last + 4, last + 5, last + 6]);
  expect(next.map((message) => message.mentions)).toEqual([['m_ben'], [], []]);
});
