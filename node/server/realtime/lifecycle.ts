/** A connection's life (presence on arrival and departure, the features' handlers, the session re-check) and the shutdown. */
import type { Logger } from '../logger';
import type { AdapterConnections } from './adapter';
import type { Presence } from './presence';
import { recheckSessionPeriodically } from './session';
import { attachBuckets, type Rate } from './token-bucket';
import { chatRoomOf, type ChatServer, type ChatServerSocket } from './types';

/** Wires one connected socket's events for a feature; `logger` is already the socket's own. */
export type RegisterHandlers = (socket: ChatServerSocket, logger: Logger) => void;

/** Chat rooms a socket is in (not its own id or its user and session channels). */
function chatRoomsOf(rooms: Iterable<string>): string[] {
  return [...rooms].map(chatRoomOf).filter((room): room is string => room !== undefined);
}

export function handleConnections(
  io: ChatServer,
  options: { presence: Presence; logger: Logger; features: RegisterHandlers[]; messageRate: Rate },
): void {
  const { presence, features } = options;
  io.on('connection', (socket) => {
    const logger = options.logger.child({ userId: socket.data.user.id, socketId: socket.id });
    attachBuckets(socket, options.messageRate);
    for (const register of features) register(socket, logger);
    recheckSessionPeriodically(socket, logger);
    for (const room of chatRoomsOf(socket.rooms)) presence.announce(room);
    let roomsAtDisconnect: string[] = [];
    socket.on('disconnecting', () => {
      roomsAtDisconnect = chatRoomsOf(socket.rooms);
    });
    // Announced after the socket has left its rooms, so the new lists no longer hold it.
    socket.on('disconnect', () => {
      for (const room of roomsAtDisconnect) presence.announce(room);
    });
  });
}

const CLOSE_STEP_TIMEOUT_MS = 3_000;

/** Waits for `work`, but no longer than CLOSE_STEP_TIMEOUT_MS; its failure is not the caller's concern. */
async function settledInTime(work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_STEP_TIMEOUT_MS);
  });
  await Promise.race([work.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/**
 * Shutdown: this process's sockets go, the remaining processes' clients get new presence lists before Redis closes,
 * then the adapter and its connections. Each step is bounded: with Redis unreachable, cross-process lookups would
 * wait for it, and shutdown must not.
 */
export async function closeConnections(io: ChatServer, presence: Presence, adapter: AdapterConnections): Promise<void> {
  io.local.disconnectSockets(true);
  await settledInTime(presence.settled());
  io.engine.close();
  await settledInTime(io.of('/').adapter.close() ?? Promise.resolve());
  await adapter.close(settledInTime);
}
