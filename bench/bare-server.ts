/**
 * The baseline: a bare socket.io broadcast server speaking the same events as the chat
 * (node/shared/protocol.ts) with no authentication, no database, no Redis and no validation —
 * join a room, broadcast to it, acknowledge. The benchmark drives it with the same load as the
 * real server, so ours / bare is the cost of our features over the transport alone.
 *
 * Run as its own process (`node build/bench/bare-server.js`) so that its RSS and CPU are measured
 * the same way as the server's; it prints one JSON line `{"port": N}` once it listens.
 */
import http from 'node:http';
import { Server } from 'socket.io';
import { NOTHING_READ, type ChatMessage, type ClientToServerEvents, type RoomJoined, type ServerToClientEvents } from '../node/shared/protocol';

export interface BareServer {
  port: number;
  close(): Promise<void>;
}

export async function startBareServer(port = 0, host = '127.0.0.1'): Promise<BareServer> {
  const httpServer = http.createServer();
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(httpServer);
  let nextMessageId = 1;

  io.on('connection', (socket) => {
    const user = { id: 0, username: socket.id, avatarUrl: '' };
    const join = (name: string): RoomJoined => {
      void socket.join(name);
      return { room: { name, kind: 'public', memberCount: io.sockets.adapter.rooms.get(name)?.size ?? 1, joined: true, ownerId: null, ...NOTHING_READ }, online: [] };
    };
    socket.on('room:create', ({ name }, ack) => ack({ data: join(name) }));
    socket.on('room:join', ({ name }, ack) => ack({ data: join(name) }));
    socket.on('message:send', ({ room, clientId, body }, ack) => {
      const id = nextMessageId++;
      // One counter for the id and the room number: the payload keeps the chat's shape, which is all that matters here.
      const message: ChatMessage = { id, room, clientId, body, createdAt: new Date().toISOString(), user, editedAt: null, deletedAt: null, revision: 0, seq: id, mentions: [] };
      io.to(room).emit('message:new', message);
      ack({ data: message });
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, resolve);
  });
  const address = httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('bare server: no TCP address');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => void io.close(() => resolve())),
  };
}

if (require.main === module) {
  void startBareServer(Number(process.env.PORT ?? 0)).then(
    (server) => {
      process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'bare server failed to start', error: String(error) })}\n`);
      process.exit(1);
    },
  );
}
