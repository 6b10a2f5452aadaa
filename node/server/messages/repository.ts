import type { AroundResponse, ChatMessage } from '../../shared/protocol';
import type { Queryable } from '../db';
import type { UserProfiles } from '../users';

interface MessageRow {
  id: string;
  room: string;
  client_id: string;
  /** NULL once deleted. */
  body: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  revision: string;
  user_id: string;
  username: string;
  avatar_key: string | null;
}

/** Selects MessageRow columns from a source `m` shaped like the messages table. */
const SELECT_FROM = (source: string) => `
  SELECT m.id, r.name AS room, m.client_id, m.body, m.created_at, m.edited_at, m.deleted_at, m.revision,
         u.id AS user_id, u.username, u.avatar_key
    FROM ${source} m JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id`;

/** Who may change a message: its author, and the owner of its room (delete only), if the caller can see it at all. */
export interface MessageAccess {
  message: ChatMessage;
  roomOwnerId: number | null;
  callerIsMember: boolean;
}

/** What a reconnecting client holds of a room: changes to its messages from `from` to `to` after `revision` are answered. */
export interface HeldMessages {
  room: string;
  from: number;
  to: number;
  revision: number;
}

export class MessageRepository {
  constructor(
    private readonly db: Queryable,
    private readonly profiles: UserProfiles,
  ) {}

  private toMessage(row: MessageRow): ChatMessage {
    return {
      id: Number(row.id),
      room: row.room,
      clientId: row.client_id,
      body: row.body ?? '',
      createdAt: row.created_at.toISOString(),
      user: this.profiles.publicOf({ id: row.user_id, username: row.username, avatar_key: row.avatar_key }),
      editedAt: row.edited_at?.toISOString() ?? null,
      deletedAt: row.deleted_at?.toISOString() ?? null,
      revision: Number(row.revision),
    };
  }

  /**
   * Stores a message unless this user already stored one with this client id; either way answers the stored one.
   * Two statements on purpose: after ON CONFLICT waits for a concurrent insert of the same key, only a new
   * statement's snapshot sees that row.
   */
  async insert(input: { roomId: number; userId: number; clientId: string; body: string }): Promise<{ message: ChatMessage; created: boolean }> {
    const inserted = await this.db.query<MessageRow>(
      `WITH m AS (
         INSERT INTO messages (room_id, user_id, client_id, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, client_id) DO NOTHING
         RETURNING *
       ) ${SELECT_FROM('m')}`,
      [input.roomId, input.userId, input.clientId, input.body],
    );
    if (inserted.rows[0]) return { message: this.toMessage(inserted.rows[0]), created: true };
    const existing = await this.db.query<MessageRow>(`${SELECT_FROM('messages')} WHERE m.user_id = $1 AND m.client_id = $2`, [
      input.userId,
      input.clientId,
    ]);
    const row = existing.rows[0];
    if (!row) throw new Error('message neither inserted nor found');
    return { message: this.toMessage(row), created: false };
  }

  /** Newest first, older than `before` when given (keyset paging on the (room_id, id DESC) index). */
  async page(roomId: number, before: number | undefined, limit: number): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    // One extra row tells whether another page exists.
    const { rows } = await this.db.query<MessageRow>(
      `${SELECT_FROM('messages')} WHERE m.room_id = $1 AND ($2::bigint IS NULL OR m.id < $2) ORDER BY m.id DESC LIMIT $3`,
      [roomId, before ?? null, limit + 1],
    );
    return { messages: rows.slice(0, limit).map((row) => this.toMessage(row)), hasMore: rows.length > limit };
  }

  /**
   * The message `id` of the named room and up to `perSide` messages on each side of it, oldest first; undefined
   * when the room has no such message or the user is not a member: the two are not told apart.
   */
  async around(userId: number, room: string, id: number, perSide: number): Promise<AroundResponse | undefined> {
    // One extra row on each side tells whether more exist there.
    const { rows } = await this.db.query<MessageRow>(
      `WITH target AS (
         SELECT m.id, m.room_id FROM messages m
           JOIN rooms r ON r.id = m.room_id
           JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $1
          WHERE r.name = $2 AND m.id = $3
       )
       SELECT window_rows.* FROM target CROSS JOIN LATERAL (
         (${SELECT_FROM('messages')} WHERE m.room_id = target.room_id AND m.id <= target.id ORDER BY m.id DESC LIMIT $4 + 2)
         UNION ALL
         (${SELECT_FROM('messages')} WHERE m.room_id = target.room_id AND m.id > target.id ORDER BY m.id LIMIT $4 + 1)
       ) window_rows
       ORDER BY window_rows.id`,
      [userId, room, id, perSide],
    );
    const targetIndex = rows.findIndex((row) => Number(row.id) === id);
    if (targetIndex === -1) return undefined;
    const older = rows.slice(0, targetIndex);
    const newer = rows.slice(targetIndex + 1);
    const shown = [...older.slice(-perSide), rows[targetIndex] as MessageRow, ...newer.slice(0, perSide)];
    return { messages: shown.map((row) => this.toMessage(row)), hasOlder: older.length > perSide, hasNewer: newer.length > perSide };
  }

  /** The messages with these ids that the user can read (a member of their room), in no particular order. */
  async readable(userId: number, ids: number[]): Promise<ChatMessage[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<MessageRow>(
      `${SELECT_FROM('messages')} JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $1 WHERE m.id = ANY($2::bigint[])`,
      [userId, ids],
    );
    return rows.map((row) => this.toMessage(row));
  }

  /**
   * For each (room, last seen id) of a user's rooms, the messages after that id, oldest first, at most `perRoom`
   * a room. Rooms the user is not a member of are left out.
   */
  async after(userId: number, seen: { room: string; afterId: number }[], perRoom: number): Promise<ChatMessage[]> {
    if (seen.length === 0) return [];
    const { rows } = await this.db.query<MessageRow>(
      `SELECT missed.* FROM unnest($2::text[], $3::bigint[]) AS s(room, after_id)
         JOIN rooms seen_room ON seen_room.name = s.room
         JOIN room_members rm ON rm.room_id = seen_room.id AND rm.user_id = $1
         CROSS JOIN LATERAL (
           ${SELECT_FROM('messages')} WHERE m.room_id = seen_room.id AND m.id > s.after_id ORDER BY m.id LIMIT $4
         ) missed
        ORDER BY missed.room, missed.id`,
      [userId, seen.map((s) => s.room), seen.map((s) => s.afterId), perRoom],
    );
    return rows.map((row) => this.toMessage(row));
  }

  /** What decides whether `userId` may change the message; undefined when there is no such message. */
  async access(messageId: number, userId: number): Promise<MessageAccess | undefined> {
    const { rows } = await this.db.query<MessageRow & { created_by: string | null; is_member: boolean }>(
      `SELECT found.*, r.created_by,
              EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = r.id AND rm.user_id = $2) AS is_member
         FROM (${SELECT_FROM('messages')} WHERE m.id = $1) found JOIN rooms r ON r.name = found.room`,
      [messageId, userId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { message: this.toMessage(row), roomOwnerId: row.created_by === null ? null : Number(row.created_by), callerIsMember: row.is_member };
  }

  /**
   * Replaces the text of a message `userId` wrote; undefined when it is not (or no longer) there to edit.
   * The change takes the room's next revision in the same statement, so the room's row lock orders it (see the migration).
   */
  async edit(messageId: number, userId: number, body: string): Promise<ChatMessage | undefined> {
    return this.change(messageId, 'm.user_id = $2', 'body = $3, edited_at = now()', [messageId, userId, body]);
  }

  /** Empties a message `userId` wrote or whose room `userId` owns, leaving its placeholder; undefined when it is not there to delete. */
  async delete(messageId: number, userId: number): Promise<ChatMessage | undefined> {
    return this.change(messageId, '(m.user_id = $2 OR r.created_by = $2)', 'body = NULL, deleted_at = now()', [messageId, userId]);
  }

  /** One guarded change: the message row is locked, the room's revision counter bumped, the message updated, all or nothing. */
  private async change(messageId: number, allowed: string, assignments: string, params: unknown[]): Promise<ChatMessage | undefined> {
    const { rows } = await this.db.query<MessageRow>(
      `WITH target AS (
         SELECT m.id, m.room_id FROM messages m JOIN rooms r ON r.id = m.room_id
          WHERE m.id = $1 AND m.deleted_at IS NULL AND ${allowed}
            AND EXISTS (SELECT 1 FROM room_members rm WHERE rm.room_id = m.room_id AND rm.user_id = $2)
            FOR UPDATE OF m
       ), bumped AS (
         UPDATE rooms r SET message_revision = r.message_revision + 1 FROM target WHERE r.id = target.room_id RETURNING r.message_revision
       ), changed AS (
         UPDATE messages SET ${assignments}, revision = bumped.message_revision FROM bumped WHERE messages.id = $1 RETURNING messages.*
       ) ${SELECT_FROM('changed')}`,
      params,
    );
    const row = rows[0];
    return row && this.toMessage(row);
  }

  /**
   * For each room the user is a member of, the messages from `from` to `to` changed after `revision`, in the order
   * of their changes, at most `perRoom` a room: a client that takes the highest revision answered misses none.
   */
  async changedSince(userId: number, held: HeldMessages[], perRoom: number): Promise<ChatMessage[]> {
    if (held.length === 0) return [];
    const { rows } = await this.db.query<MessageRow>(
      `SELECT changed.* FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) AS h(room, from_id, to_id, revision)
         JOIN rooms held_room ON held_room.name = h.room
         JOIN room_members rm ON rm.room_id = held_room.id AND rm.user_id = $1
         CROSS JOIN LATERAL (
           ${SELECT_FROM('messages')}
            WHERE m.room_id = held_room.id AND m.revision > 0 AND m.revision > h.revision AND m.id BETWEEN h.from_id AND h.to_id
            ORDER BY m.revision LIMIT $6
         ) changed
        ORDER BY changed.room, changed.revision`,
      [userId, held.map((h) => h.room), held.map((h) => h.from), held.map((h) => h.to), held.map((h) => h.revision), perRoom],
    );
    return rows.map((row) => this.toMessage(row));
  }
}
