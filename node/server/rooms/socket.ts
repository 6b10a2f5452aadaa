/**
 * The conversations' socket events: list, create, join, leave, invite, remove, members, read, starting a DM, typing; and
 * the rooms a socket joins when it connects.
 */
import { DEFAULT_ROOM, type RoomJoined, type RoomSummary } from '../../shared/protocol';
import type { Logger } from '../logger';
import { onAcked } from '../realtime/acked';
import type { Presence } from '../realtime/presence';
import { bucketsOf } from '../realtime/token-bucket';
import { roomChannel, userChannel, type ChatServerSocket } from '../realtime/types';
import type { MembershipFanout } from './membership';
import type { ReadingService } from './reading';
import type { MembershipChange, RoomService } from './service';
import { createRoomPayload, markReadPayload, memberPayload, roomPayload, startDirectPayload, typingPayload } from './validation';

export interface RoomSocketDeps {
  logger: Logger;
  rooms: RoomService;
  reading: ReadingService;
  presence: Presence;
  membership: MembershipFanout;
}

/** In the handshake: the socket joins every room of its user, and a new user becomes a member of the default room. */
export async function joinRoomsOnConnect(socket: ChatServerSocket, { rooms, membership }: Pick<RoomSocketDeps, 'rooms' | 'membership'>): Promise<void> {
  const { names, joinedDefaultRoom } = await rooms.roomsOnConnect(socket.data.user.id);
  await socket.join(names.map(roomChannel));
  // A new user just became a member of the default room: everyone's member count for it changed.
  if (joinedDefaultRoom) membership.updated('public', DEFAULT_ROOM);
}

export function registerRoomHandlers(socket: ChatServerSocket, { logger, rooms, reading, presence, membership }: RoomSocketDeps): void {
  const user = () => socket.data.user;
  const buckets = bucketsOf(socket);

  const withOnline = async (room: RoomSummary): Promise<RoomJoined> => ({ room, online: await presence.online(room.name) });

  onAcked(socket, logger, 'room:list', { bucket: buckets.read, handle: () => rooms.list(user().id) });

  onAcked(socket, logger, 'room:create', {
    schema: createRoomPayload,
    bucket: buckets.roomChange,
    handle: async ({ name, private: isPrivate }) => {
      const room = await rooms.create(user().id, name, isPrivate);
      membership.created(user().id, room);
      return withOnline(room);
    },
  });

  onAcked(socket, logger, 'room:join', {
    schema: roomPayload,
    bucket: buckets.roomChange,
    handle: async ({ name }) => {
      const { room, changed } = await rooms.join(user().id, name);
      if (changed) membership.updated(room.kind, room.name);
      // Every tab of this user, on any server process, follows the membership: sends trust it (messages/socket.ts).
      membership.join([user().id], room.name);
      return withOnline(room);
    },
  });

  onAcked(socket, logger, 'room:leave', {
    schema: roomPayload,
    bucket: buckets.roomChange,
    handle: async ({ name }) => {
      membership.left(user().id, await rooms.leave(user().id, name));
      return true as const;
    },
  });

  /** room:invite and room:remove: the owner's change, then what the sockets must know of it. */
  function onOwnerChange(
    event: 'room:invite' | 'room:remove',
    change: (name: string, userId: number) => Promise<MembershipChange>,
    announce: (userId: number, change: MembershipChange) => void,
  ): void {
    onAcked(socket, logger, event, {
      schema: memberPayload,
      bucket: buckets.roomChange,
      handle: async ({ name, userId }) => {
        const result = await change(name, userId);
        announce(userId, result);
        return result.room;
      },
    });
  }
  onOwnerChange('room:invite', (name, userId) => rooms.invite(user().id, name, userId), (userId, change) => membership.invited(userId, change));
  onOwnerChange('room:remove', (name, userId) => rooms.remove(user().id, name, userId), (userId, change) => membership.removedMember(userId, change));

  onAcked(socket, logger, 'room:members', { schema: roomPayload, bucket: buckets.read, handle: ({ name }) => rooms.members(user().id, name) });

  onAcked(socket, logger, 'dm:start', {
    schema: startDirectPayload,
    bucket: buckets.roomChange,
    handle: async ({ userIds }) => {
      const change = await rooms.startDirect(user().id, userIds);
      membership.started(change);
      return withOnline(change.room);
    },
  });

  onAcked(socket, logger, 'room:read', {
    schema: markReadPayload,
    bucket: buckets.read,
    handle: ({ room, messageId }) => reading.markRead(user().id, room, messageId),
  });

  // Not acknowledged: a typing notice that is dropped (bad payload, not in the room, too many) simply expires.
  socket.on('typing', (payload: unknown) => {
    const parsed = typingPayload.safeParse(payload);
    if (!parsed.success || !socket.rooms.has(roomChannel(parsed.data.room)) || !buckets.typing.take()) return;
    // Not to the typist's own other tabs either.
    socket.to(roomChannel(parsed.data.room)).except(userChannel(user().id)).emit('typing', { room: parsed.data.room, user: user() });
  });
}
