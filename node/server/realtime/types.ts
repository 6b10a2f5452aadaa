import { createHash } from 'node:crypto';
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, PublicUser, ServerToClientEvents } from '../../shared/protocol';

/** What each socket carries; fetchSockets() hands it over from other processes, so it stays small and plain. */
export interface SocketData {
  user: PublicUser;
}

/** Events between server processes (through the Redis adapter). */
export interface InterServerEvents {
  'user:updated': (user: PublicUser) => void;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatServerSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** socket.io room names: chat rooms and "all sockets of one user" never collide with each other or with socket ids. */
export const roomChannel = (room: string): string => `room:${room}`;
export const userChannel = (userId: number): string => `user:${userId}`;
/**
 * All sockets of one login session. Named by a hash: room names travel through Redis (the adapter's stream) and may show up in
 * debug output, and a session id is a credential.
 */
export const sessionChannel = (sessionId: string): string => `session:${createHash('sha256').update(sessionId).digest('base64url')}`;
export const chatRoomOf = (channel: string): string | undefined => (channel.startsWith('room:') ? channel.slice('room:'.length) : undefined);
