/**
 * The adapter's Redis stream (realtime/adapter.ts) between two socket.io servers in this process, on the real Redis:
 * the broadcasts of one turn of the event loop share one stream entry and reach the other server's sockets, all of
 * them and in order; something else appended in the same turn (a join) stays after the broadcasts made before it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type RedisClientType } from 'redis';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { createLogger } from '../../node/server/logger';
import { attachRedisAdapter, type AdapterConnections } from '../../node/server/realtime/adapter';
import type { ChatServer } from '../../node/server/realtime/types';
import { uniqueRedisPrefix } from '../support/resources';
import { deleteRedisKeys } from '../support/server';
import { waitFor } from '../support/wait';

const prefix = uniqueRedisPrefix();
const streamName = `${prefix}socket.io`;
let redis: RedisClientType;
/** A socket.io server with the adapter; untyped events: the tests emit their own. */
interface TestServer {
  io: Server;
  adapter: AdapterConnections;
  url: string;
}

const servers: TestServer[] = [];
const clients: ClientSocket[] = [];

async function startServer(): Promise<TestServer> {
  const httpServer = http.createServer();
  const io = new Server(httpServer);
  // A stream long enough that trimming never removes an entry while a test counts them.
  const adapter = attachRedisAdapter(io as unknown as ChatServer, redis, { streamName, maxLength: 100_000, logger: createLogger('silent') });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const server = { io, adapter, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
  servers.push(server);
  return server;
}

/** A client of `server`, whose socket there has joined `rooms`; resolves with the client and what it hears, in order. */
async function connectTo(server: TestServer, rooms: string[]): Promise<{ client: ClientSocket; heard: unknown[] }> {
  const joined = new Promise<void>((resolve) => server.io.once('connection', (socket) => void Promise.resolve(socket.join(rooms)).then(() => resolve())));
  const client = connect(server.url, { transports: ['websocket'], forceNew: true });
  clients.push(client);
  const heard: unknown[] = [];
  client.onAny((event: string, value: unknown) => heard.push(event === 'n' ? value : event));
  await joined;
  return { client, heard };
}

let sender: TestServer;
let receiver: TestServer;

beforeAll(async () => {
  redis = createClient() as RedisClientType;
  await redis.connect();
  [sender, receiver] = [await startServer(), await startServer()];
  // The receiver's reader starts at the newest entry of its first read: from then on, the sender's broadcasts arrive.
  const { heard } = await connectTo(receiver, ['warm-up']);
  await waitFor(() => {
    sender.io.to('warm-up').emit('ready');
    return heard.includes('ready');
  });
}, 30_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const server of servers) {
    await server.adapter.close((work) => work.then(() => undefined));
    await new Promise<void>((resolve) => void server.io.close(() => resolve()));
  }
  await deleteRedisKeys(redis, prefix);
  await redis.quit();
});

test("one turn's broadcasts are one stream entry, and the other server's sockets hear all of them in order", async () => {
  const { heard } = await connectTo(receiver, ['room']);
  const before = await redis.xLen(streamName);
  for (let n = 0; n < 50; n += 1) sender.io.to('room').emit('n', n);
  await waitFor(() => heard.length >= 50);
  expect(heard).toEqual(Array.from({ length: 50 }, (_, n) => n));
  expect((await redis.xLen(streamName)) - before).toBe(1);
});

test('a join appended in the same turn comes after the broadcasts made before it, and before those after it', async () => {
  const { client, heard } = await connectTo(receiver, []);
  await waitFor(() => client.id);
  sender.io.to('late').emit('n', 'before the join');
  sender.io.in(client.id as string).socketsJoin('late');
  sender.io.to('late').emit('n', 'after the join');
  await waitFor(() => heard.length >= 1);
  // One more round trip through the stream: anything still coming has arrived by then.
  sender.io.to('late').emit('n', 'marker');
  await waitFor(() => heard.includes('marker'));
  expect(heard).toEqual(['after the join', 'marker']);
});
