/**
 * The benchmark's own socket.io client (bench/wire.ts) against a real socket.io server: what the load driver relies
 * on, namely events both ways, acknowledgements and their time-out, the server's pings answered, and a refusal or a
 * disconnect told.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from 'socket.io';
import { WireSocket } from '../../bench/wire';

let httpServer: http.Server;
let io: Server;
let url: string;
const opened: WireSocket[] = [];

async function connect(headers: Record<string, string> = {}): Promise<WireSocket> {
  const socket = await WireSocket.connect(url, headers, 5_000);
  opened.push(socket);
  return socket;
}

beforeAll(async () => {
  httpServer = http.createServer();
  // Pings every 50 ms, and a client that does not answer within 50 ms is dropped.
  io = new Server(httpServer, { pingInterval: 50, pingTimeout: 50 });
  io.use((socket, next) => (socket.handshake.headers['x-refuse'] ? next(new Error('not you')) : next()));
  io.on('connection', (socket) => {
    socket.on('echo', (payload: unknown, ack: (answer: unknown) => void) => ack({ data: payload }));
    socket.on('shout', (payload: unknown) => socket.emit('heard', { payload, origin: socket.handshake.headers.origin }));
    socket.on('ignore', () => undefined);
    socket.on('leave me', () => socket.disconnect(true));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

afterAll(() => new Promise<void>((resolve) => void io.close(() => resolve())));

it('emits events with their payload and headers, and hears the server’s', async () => {
  const socket = await connect({ origin: 'http://example.test' });
  const heard = new Promise((resolve) => socket.on('heard', resolve));
  socket.emit('shout', { text: 'quoted "text" and ünïcode' });
  expect(await heard).toEqual({ payload: { text: 'quoted "text" and ünïcode' }, origin: 'http://example.test' });
});

it('hands an event taken raw its packet text, unparsed, and still parses the others', async () => {
  const socket = await connect({ origin: 'http://example.test' });
  const raw = new Promise((resolve) => socket.onRaw('heard', resolve));
  socket.emit('shout', { text: 'quoted "text"' });
  expect(await raw).toBe('42["heard",{"payload":{"text":"quoted \\"text\\""},"origin":"http://example.test"}]');

  const other = await connect({ origin: 'http://example.test' });
  other.onRaw('unheard', () => undefined);
  const parsed = new Promise((resolve) => other.on('heard', resolve));
  other.emit('shout', 'again');
  expect(await parsed).toEqual({ payload: 'again', origin: 'http://example.test' });
});

it('matches each acknowledgement to its emit, many at once', async () => {
  const socket = await connect();
  const answers = await Promise.all(
    Array.from({ length: 25 }, (_, index) => new Promise((resolve) => socket.emit('echo', { index }, resolve))),
  );
  expect(answers).toEqual(Array.from({ length: 25 }, (_, index) => ({ data: { index } })));
});

it('hands an acknowledgement asked for as text its arguments’ JSON, unparsed', async () => {
  const socket = await connect();
  const answer = await new Promise((resolve) => socket.emit('echo', { text: 'quoted "text"' }, resolve, 5_000, 'text'));
  expect(answer).toBe('[{"data":{"text":"quoted \\"text\\""}}]');
});

it('answers `timeout` for an acknowledgement that does not come in time', async () => {
  const socket = await connect();
  const started = performance.now();
  const answer = await new Promise((resolve) => socket.emit('ignore', {}, resolve, 100));
  expect(answer).toBe('timeout');
  expect(performance.now() - started).toBeGreaterThanOrEqual(100);
});

it('answers the server’s pings, so the connection outlives many ping intervals', async () => {
  const socket = await connect();
  let lost = false;
  socket.onDisconnect = () => {
    lost = true;
  };
  await sleep(500);
  expect(lost).toBe(false);
  expect(await new Promise((resolve) => socket.emit('echo', 'still here', resolve))).toEqual({ data: 'still here' });
});

it('tells a disconnect by the server once, and times out what was waiting', async () => {
  const socket = await connect();
  const disconnects: string[] = [];
  socket.onDisconnect = () => disconnects.push('lost');
  const waiting = new Promise((resolve) => socket.emit('ignore', {}, resolve, 60_000));
  socket.emit('leave me', {});
  expect(await waiting).toBe('timeout');
  await sleep(100);
  expect(disconnects).toEqual(['lost']);
});

it('fails with the server’s reason when the namespace refuses the connection', async () => {
  await expect(connect({ 'x-refuse': 'yes' })).rejects.toThrow('socket.io connection refused: not you');
});
