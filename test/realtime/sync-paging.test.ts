/**
 * A client that missed more than a page (LIMITS.historyPageMax) of new messages, or of changes to the messages it
 * holds, or a message below the newest it holds, catches up completely: the web client's sync loop
 * (node/client/lib/sync.ts) against the real server.
 */
import { syncUntilCaughtUp, type HeldCursor } from '../../node/client/lib/sync';
import { MessageRepository } from '../../node/server/messages';
import { LIMITS, type ChatMessage } from '../../node/shared/protocol';
import { register, type LoggedIn } from '../support/client';
import { profiles } from '../support/messages';
import { startTestServer, type TestServer } from '../support/server';
import { requestData, socketsClosedAfterEach } from './helpers';

let server: TestServer;
let alice: LoggedIn;
const connect = socketsClosedAfterEach();
const ROOM = 'paging-room';
/** More than two pages, so the loop must ask more than twice. */
const MISSED = LIMITS.historyPageMax * 2 + 30;

beforeAll(async () => {
  server = await startTestServer();
  alice = await register(server.url);
  const socket = await connect(server.url, alice);
  await requestData(socket, 'room:create', { name: ROOM });
  socket.close();
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

interface Stored {
  id: number;
  seq: number;
}

/** Stores `count` messages of Alice's at once, as if sent while the reader was away; oldest first. */
async function storedWhileAway(count: number): Promise<Stored[]> {
  const { rows } = await server.db.query<{ id: string; seq: string }>(
    `INSERT INTO messages (room_id, user_id, client_id, body)
     SELECT r.id, $2, 'away-' || r.id || '-' || n || '-' || $3, 'missed ' || n FROM rooms r, generate_series(1, $1) n WHERE r.name = $4
     RETURNING id, seq`,
    [count, alice.user.id, Date.now(), ROOM],
  );
  return rows.map((row) => ({ id: Number(row.id), seq: Number(row.seq) })).sort((a, b) => a.id - b.id);
}

const syncFrom = async (held: HeldCursor) => {
  const socket = await connect(server.url, alice);
  return syncUntilCaughtUp((cursors) => requestData(socket, 'sync', { rooms: cursors }), { [ROOM]: held });
};

test('new messages beyond a page: every one arrives, once, in order', async () => {
  const [first, ...rest] = await storedWhileAway(MISSED + 1);
  if (!first) throw new Error('nothing stored');
  const { messages, completeThrough } = await syncFrom({ after: first.id, from: first.id, through: first.seq, revision: 0 });
  expect(messages.map((message) => message.id)).toEqual(rest.map((message) => message.id));
  expect(completeThrough).toEqual({ [ROOM]: rest.at(-1)?.seq });
});

test('a message missing below the newest held arrives: sync starts after the run held without a gap', async () => {
  const [first, missing, newest] = await storedWhileAway(3);
  if (!first || !missing || !newest) throw new Error('nothing stored');
  const { messages, completeThrough } = await syncFrom({ after: newest.id, from: first.id, through: first.seq, revision: 0 });
  expect(messages.map((message) => message.id)).toEqual([missing.id, newest.id]);
  expect(completeThrough).toEqual({ [ROOM]: newest.seq });
});

test('changes to held messages beyond a page: every change arrives, the latest state of each message last', async () => {
  const stored = await storedWhileAway(MISSED);
  const ids = stored.map((message) => message.id);
  const repository = new MessageRepository(server.db, profiles);
  // Every message edited once, then the first ten edited again: more than two pages of changes.
  for (const id of ids) await repository.edit(id, alice.user.id, `edited ${id}`);
  for (const id of ids.slice(0, 10)) await repository.edit(id, alice.user.id, `edited twice ${id}`);

  const { messages } = await syncFrom({ after: ids.at(-1) ?? 0, from: ids[0] ?? 0, through: stored.at(-1)?.seq ?? 0, revision: 0 });
  const latest = new Map<number, ChatMessage>();
  for (const message of messages) latest.set(message.id, message);
  expect([...latest.keys()].sort((a, b) => a - b)).toEqual(ids);
  expect(ids.map((id) => latest.get(id)?.body)).toEqual(ids.map((id, index) => (index < 10 ? `edited twice ${id}` : `edited ${id}`)));
  // Nothing answered twice at the same revision: the loop moved forward every time.
  expect(new Set(messages.map((message) => `${message.id}@${message.revision}`)).size).toBe(messages.length);
});
