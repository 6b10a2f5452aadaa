/**
 * The socket.io half of node/shared/protocol.ts: a typed socket and promise-returning calls
 * that unwrap `{data}` / `{error}` acknowledgements.
 */
import { io, type Socket } from 'socket.io-client';
import type { Ack, AroundResponse, ChatMessage, ClientToServerEvents, ErrorCode, PublicUser, ReadState, RoomJoined, RoomSummary, ServerToClientEvents, SyncCursor } from '../../shared/protocol';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** How long to wait for an acknowledgement before treating the call as lost. */
export const ACK_TIMEOUT_MS = 10_000;

export function connectChatSocket(): ChatSocket {
  return io({
    // WebSocket first (no long-polling overhead, any replica can serve it); HTTP long-polling only when a proxy on
    // the way breaks WebSockets. Polling needs session affinity across replicas, which the Helm chart turns on.
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    autoConnect: false,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    // A connection attempt whose handshake never completes (closed before it, or black-holed) is abandoned after
    // this long and retried, instead of after socket.io's default 20 s of "Reconnecting…".
    timeout: 5000,
  });
}

/** The server refused the call: the message is shown to the user as is, the code is for the program. */
export class AckError extends Error {
  override name = 'AckError';
  constructor(
    message: string,
    readonly code: ErrorCode,
  ) {
    super(message);
  }
}

function unwrap<T>(ack: Ack<T>): T {
  if ('error' in ack) throw new AckError(ack.error, ack.code);
  return ack.data;
}

/** The code a refused handshake carries in connect_error's `data`. */
export function handshakeErrorCode(error: Error): ErrorCode | undefined {
  return (error as Error & { data?: { code?: ErrorCode } }).data?.code;
}

export async function listRooms(socket: ChatSocket): Promise<RoomSummary[]> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:list'));
}

export async function joinRoom(socket: ChatSocket, name: string): Promise<RoomJoined> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:join', { name }));
}

export async function createRoom(socket: ChatSocket, name: string, isPrivate: boolean): Promise<RoomJoined> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:create', { name, private: isPrivate }));
}

export async function startDirect(socket: ChatSocket, userIds: number[]): Promise<RoomJoined> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('dm:start', { userIds }));
}

export async function findUsers(socket: ChatSocket, prefix: string): Promise<PublicUser[]> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('users:find', { prefix }));
}

export async function listMembers(socket: ChatSocket, name: string): Promise<PublicUser[]> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:members', { name }));
}

export async function inviteMember(socket: ChatSocket, name: string, userId: number): Promise<RoomSummary> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:invite', { name, userId }));
}

export async function removeMember(socket: ChatSocket, name: string, userId: number): Promise<RoomSummary> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:remove', { name, userId }));
}

export async function leaveRoom(socket: ChatSocket, name: string): Promise<void> {
  unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:leave', { name }));
}

export async function sendMessage(socket: ChatSocket, payload: { room: string; clientId: string; body: string }): Promise<ChatMessage> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:send', payload));
}

export async function syncRooms(socket: ChatSocket, rooms: Record<string, SyncCursor>): Promise<ChatMessage[]> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('sync', { rooms }));
}

export async function messagesAround(socket: ChatSocket, payload: { room: string; id: number }): Promise<AroundResponse> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:around', payload));
}

export async function editMessage(socket: ChatSocket, payload: { id: number; body: string }): Promise<ChatMessage> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:edit', payload));
}

export async function deleteMessage(socket: ChatSocket, id: number): Promise<ChatMessage> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('message:delete', { id }));
}

export async function markRead(socket: ChatSocket, payload: { room: string; messageId: number }): Promise<ReadState> {
  return unwrap(await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('room:read', payload));
}

