/**
 * The rooms' socket events: list, create, join, leave, read, members, typing; and the rooms a socket joins when it
 * connects.
 */
import type { RoomJoined, RoomUpdate } from '../../shared/protocol';
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import type { Presence } from '../realtime/presence';
import { bucketsOf } from '../realtime/token-bucket';
import { roomChannel, userChannel, type ChatServer, type ChatServerSocket } from '../realtime/types';
import type { ReadingService } from './reading';
import type { RoomService } from './service';
import { markReadPayload, roomPayload, typingPayload } from './validation';

export interface RoomSocketDeps {
  io: ChatServer;
  logger: Logger;
  rooms: RoomService;
  reading: ReadingService;
  presence: Presence;
}

/** Tells every client (on every process) a room's new member count. */
function broadcastRoomUpdated(io: ChatServer, room: RoomUpdate): void {
  io.emit('room:updated', { name: room.name, memberCount: room.memberCount });
}

/** In the handshake: the socket joins every room of its user, and a new user becomes a member of the default room. */
export async function joinRoomsOnConnect(socket: ChatServerSocket, { io, rooms }: Pick<RoomSocketDeps, 'io' | 'rooms'>): Promise<void> {
  const { names, defaultRoomUpdate } = await rooms.roomsOnConnect(socket.data.user.id);
  await socket.join(names.map(roomChannel));
  // A new user just became a member of the default room: everyone's member count for it changed.
  if (defaultRoomUpdate) broadcastRoomUpdated(io, defaultRoomUpdate);
}

export function registerRoomHandlers(socket: ChatServerSocket, { io, logger, rooms, reading, presence }: RoomSocketDeps): void {
  const user = () => socket.data.user;
  const buckets = bucketsOf(socket);

  async function joined(room: RoomJoined['room']): Promise<RoomJoined> {
    // Every tab of this user, on any server process, follows the membership: sends trust it (messages/socket.ts).
    // This process's tabs at once, before the answer; the cluster adapter applies its own copy only after publishing.
    io.local.in(userChannel(user().id)).socketsJoin(roomChannel(room.name));
    io.in(userChannel(user().id)).socketsJoin(roomChannel(room.name));
    presence.announce(room.name);
    return { room, online: await presence.online(room.name) };
  }

  onAcked(socket, logger, 'room:list', { bucket: buckets.read, handle: () => rooms.list(user().id) });

  onAcked(socket, logger, 'room:create', {
    schema: roomPayload,
    bucket: buckets.roomChange,
    handle: async ({ name }) => {
      const room = await rooms.create(user().id, name);
      broadcastRoomUpdated(io, room);
      return joined(room);
    },
  });

  onAcked(socket, logger, 'room:join', {
    schema: roomPayload,
    bucket: buckets.roomChange,
    handle: async ({ name }) => {
      const { room, changed } = await rooms.join(user().id, name);
      if (changed) broadcastRoomUpdated(io, room);
      return joined(room);
    },
  });

  onAcked(socket, logger, 'room:leave', {
    schema: roomPayload,
    bucket: buckets.roomChange,
    handle: async ({ name }) => {
      const { memberCount, changed } = await rooms.leave(user().id, name);
      // As in joined(): this process's tabs leave before the answer, the other processes' through the adapter.
      io.local.in(userChannel(user().id)).socketsLeave(roomChannel(name));
      io.in(userChannel(user().id)).socketsLeave(roomChannel(name));
      if (changed) broadcastRoomUpdated(io, { name, memberCount });
      presence.announce(name);
      return true as const;
    },
  });

  onAcked(socket, logger, 'room:read', {
    schema: markReadPayload,
    bucket: buckets.read,
    handle: ({ room, messageId }) => reading.markRead(user().id, room, messageId),
  });

  onAcked(socket, logger, 'room:members', { schema: roomPayload, bucket: buckets.read, handle: ({ name }) => reading.members(user().id, name) });

  // Not acknowledged: a typing notice that is dropped (bad payload, not in the room, too many) simply expires.
  socket.on('typing', (payload: unknown) => {
    const parsed = typingPayload.safeParse(payload);
    if (!parsed.success || !socket.rooms.has(roomChannel(parsed.data.room)) || !buckets.typing.take()) return;
    // Not to the typist's own other tabs either.
    socket.to(roomChannel(parsed.data.room)).except(userChannel(user().id)).emit('typing', { room: parsed.data.room, user: user() });
  });
}
