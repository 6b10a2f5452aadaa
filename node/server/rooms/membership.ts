import type { ConversationKind, RoomSummary } from '../../shared/protocol';
import type { Presence } from '../realtime/presence';
import type { MemberCounts } from './member-counts';
import type { MembershipChange } from './service';
import { roomChannel, userChannel, type ChatServer } from '../realtime/types';

/**
 * Tells the sockets about membership changes, on every server process. Sends trust the socket.io room membership
 * each socket holds (messages/socket.ts), so every change to who is in a conversation goes through here, from the
 * socket handlers and the REST routes alike. Each change is applied to this process's sockets at once (before the
 * answer) and through the adapter to the others', as one stream entry ahead of the event that tells of it.
 */
export class MembershipFanout {
  constructor(
    private readonly io: ChatServer,
    private readonly presence: Presence,
    private readonly counts: MemberCounts,
  ) {}

  /** Every socket of these users joins the conversation. */
  join(userIds: number[], name: string): void {
    const users = userIds.map(userChannel);
    this.io.local.in(users).socketsJoin(roomChannel(name));
    this.io.in(users).socketsJoin(roomChannel(name));
    this.presence.announce(name);
  }

  /** Every socket of these users leaves the conversation: nothing more of it reaches them. */
  leave(userIds: number[], name: string): void {
    const users = userIds.map(userChannel);
    this.io.local.in(users).socketsLeave(roomChannel(name));
    this.io.in(users).socketsLeave(roomChannel(name));
    this.presence.announce(name);
  }

  /** People were added to a conversation by someone else: their sockets join, and their clients list it. */
  added(userIds: number[], room: RoomSummary): void {
    this.join(userIds, room.name);
    this.io.to(userIds.map(userChannel)).emit('conversation:added', room);
  }

  /** Someone was removed from a conversation: their sockets leave at once, and their clients drop it. */
  removed(userId: number, name: string): void {
    this.leave([userId], name);
    this.io.to(userChannel(userId)).emit('conversation:removed', { name });
  }

  /**
   * A conversation's member count changed: everyone hears it for a public room, its members otherwise, at most once a
   * second each, as it is then (member-counts.ts).
   */
  updated(kind: ConversationKind, name: string): void {
    this.counts.changedIn(kind, name);
  }

  /**
   * A room was created: its creator's sockets join it. A public one is news to everyone; a private one has nobody else
   * to tell, and its creator learns it from the answer.
   */
  created(creatorId: number, room: RoomSummary): void {
    if (room.kind === 'public') this.updated(room.kind, room.name);
    this.join([creatorId], room.name);
  }

  /**
   * The user left a conversation. Their other tabs drop a private room or DM too: they may no longer see it. A
   * public room stays listed there, to join again.
   */
  left(userId: number, { room, changed }: MembershipChange): void {
    if (room.kind === 'public') this.leave([userId], room.name);
    else this.removed(userId, room.name);
    if (changed) this.updated(room.kind, room.name);
  }

  /** The owner invited someone into a private room. */
  invited(userId: number, { room, changed }: MembershipChange): void {
    if (!changed) return;
    this.added([userId], room);
    this.updated(room.kind, room.name);
  }

  /** The owner removed a member from a private room. */
  removedMember(userId: number, { room, changed }: MembershipChange): void {
    if (!changed) return;
    this.removed(userId, room.name);
    this.updated(room.kind, room.name);
  }

  /**
   * A direct conversation was started. Also for a pair's existing conversation: a client that lost it from its
   * list (another device, a stale sidebar) gets it again, and a socket that missed the join joins.
   */
  started({ room }: MembershipChange): void {
    this.added((room.members ?? []).map((member) => member.id), room);
  }
}
