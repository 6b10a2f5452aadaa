import type { z } from 'zod';
import type { Ack, ChatMessage, ClientToServerEvents, RoomJoined, RoomSummary } from '../../shared/protocol';
import { HttpError } from '../http/errors';
import { parseBody } from '../http/validation';
import type { Logger } from '../logger';
import type { MessageService } from '../messages/service';
import type { RoomService } from '../rooms/service';
import { messagePayload, roomPayload, syncPayload, typingPayload } from './payloads';
import type { Presence } from './presence';
import { MESSAGE_RATE, READ_RATE, ROOM_CHANGE_RATE, TokenBucket, TYPING_RATE } from './token-bucket';
import { roomChannel, userChannel, type ChatServer, type ChatServerSocket } from './types';

export interface HandlerDeps {
  io: ChatServer;
  logger: Logger;
  rooms: RoomService;
  messages: MessageService;
  presence: Presence;
}

/** Stores, then broadcasts to the room; a repeat of a stored client id is answered but not broadcast again. */
export async function postAndBroadcast(
  deps: Pick<HandlerDeps, 'io' | 'messages'>,
  input: { userId: number; room: string; clientId: string; body: string },
  options: { requireMembership: boolean },
): Promise<ChatMessage> {
  const { message, created } = await deps.messages.post(input, options);
  if (created) deps.io.to(roomChannel(message.room)).emit('message:new', message);
  return message;
}

/** Tells every client (on every process) a room's new member count. */
export function broadcastRoomUpdated(io: ChatServer, room: Omit<RoomSummary, 'joined'>): void {
  io.emit('room:updated', { name: room.name, memberCount: room.memberCount });
}

type AckedEvent = Exclude<keyof ClientToServerEvents, 'typing'>;

/** Wires one socket's events. Every handler parses its payload first and answers exactly once through the ack. */
export function registerHandlers(socket: ChatServerSocket, deps: HandlerDeps): void {
  const { io, rooms, messages, presence } = deps;
  const user = () => socket.data.user;
  const logger = deps.logger.child({ userId: socket.data.user.id, socketId: socket.id });
  const messageBucket = new TokenBucket(MESSAGE_RATE.capacity, MESSAGE_RATE.refillPerSecond);
  const roomBucket = new TokenBucket(ROOM_CHANGE_RATE.capacity, ROOM_CHANGE_RATE.refillPerSecond);
  const readBucket = new TokenBucket(READ_RATE.capacity, READ_RATE.refillPerSecond);
  const typingBucket = new TokenBucket(TYPING_RATE.capacity, TYPING_RATE.refillPerSecond);

  /**
   * Registers an acknowledged event. Without an ack callback the event is dropped: its result could not be told.
   * A thrown HttpError is the user's error; anything else is logged and answered as "internal error".
   */
  function onAcked<P, R>(
    event: AckedEvent,
    schema: z.ZodType<P> | undefined,
    bucket: TokenBucket | undefined,
    handler: (payload: P) => Promise<R>,
  ): void {
    socket.on(event, (...args: unknown[]) => {
      const ack = args[args.length - 1];
      if (typeof ack !== 'function') {
        logger.debug({ event }, 'event without acknowledgement callback ignored');
        return;
      }
      const reply = (response: Ack<R>) => (ack as (response: Ack<R>) => void)(response);
      void (async () => {
        try {
          if (bucket && !bucket.take()) throw new HttpError(429, 'too many requests: slow down');
          // The payload precedes the ack; an event sent with only an ack has none.
          const payload = schema ? parseBody(schema, args.length > 1 ? args[0] : undefined) : (undefined as P);
          reply({ data: await handler(payload) });
        } catch (error) {
          if (error instanceof HttpError) {
            reply({ error: error.message });
          } else {
            logger.error({ err: error, event }, 'socket event failed');
            reply({ error: 'internal error' });
          }
        }
      })();
    });
  }

  async function joined(room: RoomSummary): Promise<RoomJoined> {
    // Every tab of this user, on any server process, follows the membership.
    io.in(userChannel(user().id)).socketsJoin(roomChannel(room.name));
    socket.join(roomChannel(room.name));
    presence.announce(room.name);
    return { room, online: await presence.online(room.name) };
  }

  onAcked('room:list', undefined, readBucket, () => rooms.list(user().id));

  onAcked('room:create', roomPayload, roomBucket, async ({ name }) => {
    const room = await rooms.create(user().id, name);
    broadcastRoomUpdated(io, room);
    return joined(room);
  });

  onAcked('room:join', roomPayload, roomBucket, async ({ name }) => {
    const { room, changed } = await rooms.join(user().id, name);
    if (changed) broadcastRoomUpdated(io, room);
    return joined(room);
  });

  onAcked('room:leave', roomPayload, roomBucket, async ({ name }) => {
    const { memberCount, changed } = await rooms.leave(user().id, name);
    io.in(userChannel(user().id)).socketsLeave(roomChannel(name));
    socket.leave(roomChannel(name));
    if (changed) broadcastRoomUpdated(io, { name, memberCount });
    presence.announce(name);
    return true as const;
  });

  onAcked('message:send', messagePayload, messageBucket, (payload) =>
    postAndBroadcast({ io, messages }, { userId: user().id, ...payload }, { requireMembership: true }),
  );

  onAcked('sync', syncPayload, readBucket, ({ rooms: lastSeen }) => messages.missed(user().id, lastSeen));

  // Not acknowledged: a typing notice that is dropped (bad payload, not in the room, too many) simply expires.
  socket.on('typing', (payload: unknown) => {
    const parsed = typingPayload.safeParse(payload);
    if (!parsed.success || !socket.rooms.has(roomChannel(parsed.data.room)) || !typingBucket.take()) return;
    // Not to the typist's own other tabs either.
    socket.to(roomChannel(parsed.data.room)).except(userChannel(user().id)).emit('typing', { room: parsed.data.room, user: user() });
  });
}
