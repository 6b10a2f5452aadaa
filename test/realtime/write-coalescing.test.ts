/**
 * What socket.io writes to one WebSocket connection in one turn of the event loop leaves the process in one write of
 * its socket (node/server/realtime/write-coalescing.ts), and arrives whole and in order.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { coalesceWrites, FLUSH_SLICE_MS } from '../../node/server/realtime/write-coalescing';

interface Served {
  server: Server;
  client: Socket;
  /** Each write the connection's socket made to the operating system: the chunks it held. */
  systemWrites: number[];
}

let served: Served | undefined;

afterEach(async () => {
  served?.client.disconnect();
  await served?.server.close();
  served = undefined;
});

/** A socket.io server on a free port, with or without coalescing, and a WebSocket client connected to it. */
async function serve(coalescing: boolean): Promise<Served> {
  const httpServer = http.createServer();
  const systemWrites: number[] = [];
  // Counts what reaches the operating system: Writable calls _writev (several chunks) or _write (one) per flush.
  httpServer.on('upgrade', (_request: http.IncomingMessage, socket: Duplex) => {
    const counted = socket as Duplex & { _writev: Duplex['_writev']; _write: Duplex['_write'] };
    const writev = counted._writev?.bind(socket);
    const write = counted._write.bind(socket);
    if (writev) {
      counted._writev = (chunks, callback) => {
        systemWrites.push(chunks.length);
        writev(chunks, callback);
      };
    }
    counted._write = (chunk, encoding, callback) => {
      systemWrites.push(1);
      write(chunk, encoding, callback);
    };
  });
  const server = new Server(httpServer, { serveClient: false });
  if (coalescing) coalesceWrites(server, httpServer);
  server.on('connection', (socket) => socket.on('settled', (ack: () => void) => ack()));
  served = { server, client: await connectClient(await listen(httpServer)), systemWrites };
  return served;
}

/** Starts the server on a free port of the loopback interface; resolves with the port. */
async function listen(httpServer: http.Server): Promise<number> {
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return (httpServer.address() as AddressInfo).port;
}

/** Resolves with the first `count` ticks the client receives, in the order received. */
function receiveTicks(client: Socket, count: number): Promise<number[]> {
  const received: number[] = [];
  return new Promise((resolve) => {
    client.on('tick', (n: number) => {
      received.push(n);
      if (received.length === count) resolve(received);
    });
  });
}

/** A socket.io client of the server on this port, over WebSocket only, once it is connected. */
async function connectClient(port: number): Promise<Socket> {
  const client = connect(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

/** Emits `count` events to the client in one turn; resolves with what the client received, once it has all of them. */
async function emitInOneTurn({ server, client, systemWrites }: Served, count: number): Promise<{ received: number[]; writes: number[] }> {
  const all = receiveTicks(client, count);
  // A round trip first: what the server wrote before (the handshake) has arrived, so only this turn's writes are counted.
  await client.emitWithAck('settled');
  systemWrites.length = 0;
  const [socket] = server.of('/').sockets.values();
  if (!socket) throw new Error('the client is not connected');
  for (let n = 0; n < count; n += 1) socket.emit('tick', n);
  return { received: await all, writes: [...systemWrites] };
}

test('the frames of one turn leave in one write, whole and in order', async () => {
  const { received, writes } = await emitInOneTurn(await serve(true), 20);
  expect(received).toEqual(Array.from({ length: 20 }, (_, n) => n));
  // One write holding the 20 frames' headers and payloads.
  expect(writes).toEqual([40]);
});

test('without it, every frame is a write of its own (what the test above would see if coalescing did nothing)', async () => {
  const { received, writes } = await emitInOneTurn(await serve(false), 20);
  expect(received).toHaveLength(20);
  expect(writes.length).toBeGreaterThan(1);
});

test('a frame written in a later turn still goes out on its own, without waiting for more', async () => {
  const current = await serve(true);
  const first = await emitInOneTurn(current, 1);
  expect(first.writes).toEqual([2]);
  current.client.off('tick');
  const second = await emitInOneTurn(current, 3);
  expect(second.received).toEqual([0, 1, 2]);
  expect(second.writes).toEqual([6]);
});

test('what is sent in the turn a connection is closed still arrives before the close', async () => {
  const current = await serve(true);
  const received: number[] = [];
  current.client.on('tick', (n: number) => received.push(n));
  const closed = new Promise<string>((resolve) => current.client.once('disconnect', resolve));
  const [socket] = current.server.of('/').sockets.values();
  if (!socket) throw new Error('the client is not connected');
  socket.emit('tick', 1);
  socket.emit('tick', 2);
  socket.disconnect(true);
  expect(await closed).toBe('io server disconnect');
  expect(received).toEqual([1, 2]);
});

test("a refused upgrade's answer still reaches the client before its connection is destroyed", async () => {
  const httpServer = http.createServer();
  const server = new Server(httpServer, { serveClient: false, allowRequest: (_request, callback) => callback('refused', false) });
  coalesceWrites(server, httpServer);
  const port = await listen(httpServer);
  try {
    const refused = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const answer = await new Promise<number | string>((resolve) => {
      refused.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 'no status'));
      refused.once('error', (error) => resolve(error.message));
    });
    expect(answer).toBe(400);
  } finally {
    await server.close();
  }
});

test('a long check phase of flushes lets the loop poll between slices, and every connection still gets its frames whole and in order', async () => {
  const httpServer = http.createServer();
  const server = new Server(httpServer, { serveClient: false });
  const order: string[] = [];
  // Registered before coalesceWrites, so its once-a-turn flush calls this one: each connection's flush takes twice the slice.
  server.engine.on('connection', (connection: { flush(): void }) => {
    const flush = connection.flush.bind(connection);
    connection.flush = () => {
      const until = performance.now() + 2 * FLUSH_SLICE_MS;
      while (performance.now() < until);
      order.push('flush');
      flush();
    };
  });
  coalesceWrites(server, httpServer);
  const port = await listen(httpServer);
  const clients = await Promise.all(Array.from({ length: 4 }, () => connectClient(port)));
  try {
    const received = clients.map((client) => receiveTicks(client, 3));
    order.length = 0;
    for (const socket of server.of('/').sockets.values()) for (let n = 0; n < 3; n += 1) socket.emit('tick', n);
    // A timer due now runs in the next turn's timers phase: before the last flush only if the flushes were sliced.
    setTimeout(() => order.push('timer'), 0);
    expect(await Promise.all(received)).toEqual(clients.map(() => [0, 1, 2]));
    expect(order.filter((step) => step === 'flush')).toHaveLength(4);
    expect(order.indexOf('timer')).toBeGreaterThan(0);
    expect(order.indexOf('timer')).toBeLessThan(order.lastIndexOf('flush'));
  } finally {
    clients.forEach((client) => client.disconnect());
    await server.close();
  }
});
