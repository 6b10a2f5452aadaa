/**
 * PostgreSQL restarts mid-conversation (a private cluster, stopped and started again): sends during the outage are
 * answered `unavailable` (not an ack time-out, not `internal`), no acknowledged message is lost, and the chat works
 * again by itself, with the same server and the same sockets.
 */
import { withTransaction } from '../../node/server/db';
import { newClientId, nextEvent, request, requestData } from '../realtime/helpers';
import { connectSocket, register, type ChatSocket } from '../support/client';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-postgres';
import { migrate } from '../support/resources';
import { startTestServer, type TestServer } from '../support/server';
import { waitFor } from '../support/wait';

let postgres: PrivatePostgres;
let server: TestServer;
const sockets: ChatSocket[] = [];

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  await migrate(postgres.url, 'up');
  // The resends poll faster than a person sends: no per-socket limit in the way.
  server = await startTestServer({ DATABASE_URL: postgres.url, SOCKET_MESSAGE_RATE: 1000, SOCKET_MESSAGE_BURST: 1000 });
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  // Up again whatever the test did, so the server stops cleanly.
  await postgres?.start().catch(() => undefined);
  await server?.stop();
  await postgres?.remove();
});

test('sends during a PostgreSQL restart get unavailable; nothing acknowledged is lost; the chat recovers by itself', async () => {
  const [alice, bob] = await Promise.all([register(server.url), register(server.url)]);
  const [a, b] = await Promise.all([connectSocket(server.url, alice.cookie), connectSocket(server.url, bob.cookie)]);
  sockets.push(a, b);

  const acknowledged: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const delivered = nextEvent(b, 'message:new', (message) => message.body === `before ${i}`);
    acknowledged.push((await requestData(a, 'message:send', { room: 'general', clientId: newClientId(), body: `before ${i}` })).id);
    await delivered;
  }

  await postgres.stop();
  const duringOutage = Array.from({ length: 3 }, (_, i) => ({ room: 'general', clientId: newClientId(), body: `during ${i}` }));
  const answers = await Promise.all(duringOutage.map((payload) => request(a, 'message:send', payload)));
  expect(answers.map((answer) => ('code' in answer ? answer.code : 'stored'))).toEqual(['unavailable', 'unavailable', 'unavailable']);

  await postgres.start();
  // What the web client does: the refused messages go again, under their clientIds, until stored.
  const resent = await waitFor(async () => {
    const answer = await request(a, 'message:send', duringOutage[0]);
    return 'data' in answer ? answer.data : undefined;
  });
  for (const payload of duringOutage.slice(1)) acknowledged.push((await requestData(a, 'message:send', payload)).id);
  acknowledged.push(resent.id);

  // Bob, on the same socket as before, gets what Alice sends now.
  const live = nextEvent(b, 'message:new', (message) => message.body === 'after');
  const after = await requestData(a, 'message:send', { room: 'general', clientId: newClientId(), body: 'after' });
  expect((await live).id).toBe(after.id);
  acknowledged.push(after.id);

  const { rows } = await server.db.query<{ id: string; body: string }>('SELECT id, body FROM messages WHERE id = ANY($1) ORDER BY id', [acknowledged]);
  expect(rows.map((row) => row.body).sort()).toEqual(['after', 'before 0', 'before 1', 'before 2', 'before 3', 'before 4', 'during 0', 'during 1', 'during 2']);
  // Each message once, whatever was resent.
  const { rows: counts } = await server.db.query<{ count: number }>("SELECT count(*)::int AS count FROM messages WHERE body LIKE 'during %'");
  expect(counts).toEqual([{ count: 3 }]);
});

test('a transaction cut by a restart fails its caller, not the process, and the pool serves again once PostgreSQL is back', async () => {
  const cut = withTransaction(server.db, (client) => client.query('SELECT pg_sleep(60)'));
  await waitFor(async () => {
    const { rows } = await server.db.query<{ count: number }>("SELECT count(*)::int AS count FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'");
    return rows[0]?.count === 1 || undefined;
  });
  await postgres.stop();
  // Without a listener on the checked-out connection, its 'error' would be thrown from the socket's handler instead.
  await expect(cut).rejects.toThrow(/terminat/);
  await postgres.start();
  const { rows } = await waitFor(() => server.db.query<{ answer: number }>('SELECT 1 AS answer').catch(() => undefined));
  expect(rows).toEqual([{ answer: 1 }]);
});
