/**
 * Sends far beyond what the database takes: the write queue stays at its bound, everything beyond it is answered
 * `busy` at once (never `internal`, never after waiting for the queue), and what was queued is stored once the
 * database moves again. The database is held still by a lock on the messages table, so what is queued and what is
 * refused is decided by counts, not by timing.
 */
import type { PoolClient } from 'pg';
import type { Ack, ChatMessage } from '../../node/shared/protocol';
import { newClientId, request, requestData } from '../realtime/helpers';
import { connectSocket, register, type ChatSocket } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { waitFor } from '../support/wait';

const QUEUE_LIMIT = 50;
const CLIENTS = 10;
const SENDS_PER_CLIENT = 100;

let server: TestServer;
let sockets: ChatSocket[] = [];

beforeAll(async () => {
  server = await startTestServer({
    MESSAGE_QUEUE_LIMIT: QUEUE_LIMIT,
    MESSAGE_BATCH_SIZE: 10,
    MESSAGE_WRITERS: 1,
    // The locked INSERT waits for the test, not for a time-out.
    DB_QUERY_TIMEOUT_MS: 120_000,
    // The flood is the point: no per-socket limit in the way.
    SOCKET_MESSAGE_RATE: 100_000,
    SOCKET_MESSAGE_BURST: 100_000,
  });
  const users = await Promise.all(Array.from({ length: CLIENTS }, () => register(server.url)));
  sockets = await Promise.all(users.map((user) => connectSocket(server.url, user.cookie)));
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await server?.stop();
});

/** A value of /metrics. */
async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

test('a flood beyond capacity gets busy at once, never internal; the queue stays at its bound and drains', async () => {
  // Warm: every socket's room id is known, so each send goes straight to the writer.
  await Promise.all(sockets.map((socket) => requestData(socket, 'message:send', { room: 'general', clientId: newClientId(), body: 'warm' })));

  const lock: PoolClient = await server.db.connect();
  await lock.query('BEGIN');
  await lock.query('LOCK TABLE messages IN EXCLUSIVE MODE');
  const answers: Ack<ChatMessage>[] = [];
  const sends = sockets.flatMap((socket) =>
    Array.from({ length: SENDS_PER_CLIENT }, (_, i) =>
      request(socket, 'message:send', { room: 'general', clientId: newClientId(), body: `flood ${i}` }).then((answer) => {
        answers.push(answer);
        return answer;
      }),
    ),
  );
  const total = CLIENTS * SENDS_PER_CLIENT;
  try {
    // While nothing can be stored, every send beyond the bound is answered: the refusals did not wait.
    await waitFor(() => answers.length === total - QUEUE_LIMIT);
    expect(answers.every((answer) => 'code' in answer && answer.code === 'busy')).toBe(true);
    expect(answers[0]).toEqual({ error: 'server busy: retry', code: 'busy' });
    expect(await metric('chat_message_queue_depth')).toBe(QUEUE_LIMIT);
    expect(await metric('chat_message_busy_total')).toBe(total - QUEUE_LIMIT);
  } finally {
    await lock.query('COMMIT');
    lock.release();
  }

  const all = await Promise.all(sends);
  const stored = all.filter((answer) => 'data' in answer);
  expect(stored).toHaveLength(QUEUE_LIMIT);
  expect(all.filter((answer) => 'code' in answer && answer.code !== 'busy')).toEqual([]);
  const { rows } = await server.db.query<{ count: number }>("SELECT count(*)::int AS count FROM messages WHERE body LIKE 'flood %'");
  expect(rows).toEqual([{ count: QUEUE_LIMIT }]);
  expect(await metric('chat_message_queue_depth')).toBe(0);
  // And the chat goes on.
  await expect(requestData(sockets[0] as ChatSocket, 'message:send', { room: 'general', clientId: newClientId(), body: 'after the flood' })).resolves.toMatchObject({
    body: 'after the flood',
  });
});
