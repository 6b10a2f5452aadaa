/**
 * A client that missed more than a page (LIMITS.historyPageMax) of new messages, or of changes to the messages it
 * holds, catches up completely: the web client's sync loop (node/client/lib/sync.ts) against the real server.
 */
import { syncUntilCaughtUp } from '../../node/client/lib/sync';
import { MessageRepository } from '../../node/server/messages';
import { LIMITS, type ChatMessage, type SyncCursor } from '../../node/shared/protocol';
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

/** Stores `count` messages of Alice's at once, as if sent while the reader was away; their ids, oldest first. */
async function storedWhileAway(count: number): Promise<number[]> {
  const { rows } = await server.db.query<{ id: string }>(
    `INSERT INTO messages (room_id, user_id, client_id, body)
     SELECT r.id, $2, 'away-' || r.id || '-' || n || '-' || $3, 'missed ' || n FROM rooms r, generate_series(1, $1) n WHERE r.name = $4
     RETURNING id`,
    [count, alice.user.id, Date.now(), ROOM],
  );
  return rows.map((row) => Number(row.id)).sort((a, b) => a - b);
}

test('new messages beyond a page: every one arrives, once, in order', async () => {
  const [first, ...rest] = await storedWhileAway(MISSED + 1);
  const socket = await connect(server.url, alice);
  const held: Record<string, SyncCursor> = { [ROOM]: { after: first ?? 0, from: first ?? 0, revision: 0 } };
  const missed = await syncUntilCaughtUp((cursors) => requestData(socket, 'sync', { rooms: cursors }), held);
  expect(missed.map((message) => message.id)).toEqual(rest);
});

test('changes to held messages beyond a page: every change arrives, the latest state of each message last', async () => {
  const ids = await storedWhileAway(MISSED);
  const repository = new MessageRepository(server.db, profiles);
  // Every message edited once, then the first ten edited again: more than two pages of changes.
  for (const id of ids) await repository.edit(id, alice.user.id, `edited ${id}`);
  for (const id of ids.slice(0, 10)) await repository.edit(id, alice.user.id, `edited twice ${id}`);

  const socket = await connect(server.url, alice);
  const held: Record<string, SyncCursor> = { [ROOM]: { after: ids.at(-1) ?? 0, from: ids[0] ?? 0, revision: 0 } };
  const missed = await syncUntilCaughtUp((cursors) => requestData(socket, 'sync', { rooms: cursors }), held);
  const latest = new Map<number, ChatMessage>();
  for (const message of missed) latest.set(message.id, message);
  expect([...latest.keys()].sort((a, b) => a - b)).toEqual(ids);
  expect(ids.map((id) => latest.get(id)?.body)).toEqual(ids.map((id, index) => (index < 10 ? `edited twice ${id}` : `edited ${id}`)));
  // Nothing answered twice at the same revision: the loop moved forward every time.
  expect(new Set(missed.map((message) => `${message.id}@${message.revision}`)).size).toBe(missed.length);
});
