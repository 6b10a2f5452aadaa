import { mentionCandidates } from '../../shared/mentions';
import type { AroundResponse, ChatMessage, PublicUser } from '../../shared/protocol';
import type { Queryable } from '../db';
import type { UserProfiles } from '../users';

/** A message on its way into the table; its sender's profile is what the socket holds, so no read is needed for it. */
export interface MessageRow {
  roomId: number;
  room: string;
  userId: number;
  user: PublicUser;
  clientId: string;
  body: string;
}

/** What became of one row of a batch. */
export type BatchRowOutcome = { message: ChatMessage; created: boolean } | { refused: 'room_gone' | 'user_gone' };

const FOREIGN_KEY_VIOLATION = '23503';

/** The key of the messages' unique (user_id, client_id). */
export const keyOf = (userId: number, clientId: string): string => `${userId}\u0000${clientId}`;

/**
 * The batch INSERT's steps up to the stored rows (see MessageRepository.insertNew): lock the rooms, number the new rows,
 * insert them, raise the rooms' last numbers. $1 to $4: room ids, user ids, client ids, bodies.
 */
const NUMBERED_INSERT = `WITH locked AS (
     SELECT r.id, r.last_message_seq FROM rooms r WHERE r.id = ANY($1::bigint[]) ORDER BY r.id FOR NO KEY UPDATE
   ), numbered AS (
     SELECT i.room_id, i.user_id, i.client_id, i.body, i.position,
            l.last_message_seq + row_number() OVER (PARTITION BY i.room_id ORDER BY i.position) AS seq
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS i(room_id, user_id, client_id, body, position)
       JOIN locked l ON l.id = i.room_id
       JOIN users u ON u.id = i.user_id
      WHERE NOT EXISTS (SELECT 1 FROM messages stored WHERE stored.user_id = i.user_id AND stored.client_id = i.client_id)
   ), inserted AS (
     INSERT INTO messages (room_id, user_id, client_id, body, seq)
     SELECT room_id, user_id, client_id, body, seq FROM numbered ORDER BY position
     ON CONFLICT (user_id, client_id) DO NOTHING
     RETURNING id, room_id, user_id, client_id, created_at, seq
   ), counted AS (
     UPDATE rooms r SET last_message_seq = top.seq
       FROM (SELECT room_id, max(seq) AS seq FROM inserted GROUP BY room_id) top WHERE r.id = top.room_id
   )`;

/** The batch INSERT for rows whose bodies hold no @name. */
const INSERT_WITHOUT_MENTIONS = `${NUMBERED_INSERT}
   SELECT i.id, i.seq, i.user_id, i.client_id, i.created_at, '{}'::text[] AS mentions FROM inserted i`;

/**
 * The batch INSERT that also stores the mentions. $5 to $7, one element per `@name` of a body: its row's user id and
 * client id, and the name.
 */
const INSERT_WITH_MENTIONS = `${NUMBERED_INSERT}, resolved AS (
     SELECT DISTINCT i.id AS message_id, u.id AS user_id, u.username, i.room_id
       FROM unnest($5::bigint[], $6::text[], $7::text[]) AS c(user_id, client_id, name)
       JOIN inserted i ON i.user_id = c.user_id AND i.client_id = c.client_id
       JOIN users u ON u.username = c.name AND u.id <> i.user_id
       JOIN room_members rm ON rm.room_id = i.room_id AND rm.user_id = u.id
   ), stored_mentions AS (
     INSERT INTO message_mentions (message_id, user_id, room_id) SELECT message_id, user_id, room_id FROM resolved
   )
   SELECT i.id, i.seq, i.user_id, i.client_id, i.created_at,
          ARRAY(SELECT resolved.username FROM resolved WHERE resolved.message_id = i.id ORDER BY resolved.username) AS mentions
     FROM inserted i`;

interface StoredRow {
  id: string;
  room: string;
  client_id: string;
  /** NULL once deleted. */
  body: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  revision: string;
  seq: string;
  user_id: string;
  username: string;
  avatar_key: string | null;
  mentions: string[];
}

/**
 * Selects StoredRow columns from a source `m` shaped like the messages table. Who a deleted message mentioned goes
 * with its text.
 */
const SELECT_FROM = (source: string) => `
  SELECT m.id, r.name AS room, m.client_id, m.body, m.created_at, m.edited_at, m.deleted_at, m.revision, m.seq,
         u.id AS user_id, u.username, u.avatar_key,
         CASE WHEN m.deleted_at IS NULL THEN ARRAY(
           SELECT mu.username FROM message_mentions mm JOIN users mu ON mu.id = mm.user_id WHERE mm.message_id = m.id ORDER BY mu.username
         ) ELSE '{}' END AS mentions
    FROM ${source} m JOIN rooms r ON r.id = m.room_id JOIN users u ON u.id = m.user_id`;

/** Who may change a message: its author, and the owner of its room (delete only), if the caller can see it at all. */
export interface MessageAccess {
  message: ChatMessage;
  roomOwnerId: number | null;
  callerIsMember: boolean;
}

/**
 * What a reconnecting client holds of a room: changes to its messages from `from` to `to` after `revision` are
 * answered, up to number `through` when given (the messages after it are answered whole, as they are now).
 */
export interface HeldMessages {
  room: string;
  from: number;
  to: number;
  through?: number;
  revision: number;
}

/** Where a reconnecting client's new messages start: after number `through`, or else after message id `afterId`. */
export interface SeenMessages {
  room: string;
  afterId: number;
  through?: number;
}

export class MessageRepository {
  constructor(
    private readonly db: Queryable,
    private readonly profiles: UserProfiles,
  ) {}

  private toMessage(row: StoredRow): ChatMessage {
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
      seq: Number(row.seq),
      mentions: row.mentions,
    };
  }

  /**
   * Stores a batch in one statement, so one commit (one implicit transaction, all or nothing) for all of it. Each
   * row answers: the message as stored (`created` when this statement stored it), or what it was refused for.
   * A row whose room or user no longer exists is left out by the join instead of failing the others on the foreign
   * key. Rows must not repeat a (user, client id) pair: the caller merges those first.
   */
  async insertBatch(rows: readonly MessageRow[]): Promise<BatchRowOutcome[]> {
    const created = await this.insertNew(rows);
    // A second statement on purpose: after ON CONFLICT waited for a concurrent insert of the same key, only a new
    // statement's snapshot sees that row.
    const repeated = rows.filter((row) => !created.has(keyOf(row.userId, row.clientId)));
    const stored = repeated.length > 0 ? await this.findByClientIds(repeated) : new Map<string, ChatMessage>();
    const unstored = repeated.filter((row) => !stored.has(keyOf(row.userId, row.clientId)));
    const existingRooms = unstored.length > 0 ? await this.existingRoomIds(unstored.map((row) => row.roomId)) : new Set<number>();
    return rows.map((row): BatchRowOutcome => {
      const key = keyOf(row.userId, row.clientId);
      const inserted = created.get(key);
      if (inserted) {
        return {
          created: true,
          message: {
            id: inserted.id,
            room: row.room,
            clientId: row.clientId,
            body: row.body,
            createdAt: inserted.createdAt,
            user: row.user,
            editedAt: null,
            deletedAt: null,
            revision: 0,
            seq: inserted.seq,
            mentions: inserted.mentions,
          },
        };
      }
      const message = stored.get(key);
      if (message) return { created: false, message };
      return { refused: existingRooms.has(row.roomId) ? 'user_gone' : 'room_gone' };
    });
  }

  /**
   * The INSERT of insertBatch: new rows' ids, numbers, times and mentions by (user, client id).
   *
   * Numbering (see the migration that added `seq`): the batch locks its rooms' rows first, in id order so that two
   * batches sharing rooms never wait for each other crosswise, and numbers its rows after the highest number a room
   * has. The lock is held until the commit, so the next batch of a room numbers after this one and commits after it.
   * The ids are taken after the locks too (they are computed after the sort), so within a room they follow the numbers.
   * A message stored before is left out before it takes a number; one that a concurrent transaction stores under the
   * same client id (only a client sending one id twice at once, to two rooms) is skipped by ON CONFLICT and leaves its
   * number unused, which costs a client holding around it no more than a longer sync.
   *
   * The mentions are stored by the same statement: each `@name` of a body (outside code) that names a member of its
   * room at this moment, other than the sender.
   */
  private async insertNew(rows: readonly MessageRow[]): Promise<Map<string, { id: number; seq: number; createdAt: string; mentions: string[] }>> {
    const candidates = rows.flatMap((row) => mentionCandidates(row.body).map((name) => ({ row, name })));
    const rowValues = [rows.map((row) => row.roomId), rows.map((row) => row.userId), rows.map((row) => row.clientId), rows.map((row) => row.body)];
    // Planned for every batch, not prepared once (named): a connection's prepared statement soon keeps one generic
    // plan, and one made while `messages` was small scanned the whole table for the NOT EXISTS (at 1,800 messages a
    // second a batch took 2 ms at first and 20 ms 20 s later). Planning costs 0.5 ms a batch without the mention part
    // and 1 ms with it (EXPLAIN, machine at rest), so a batch without an @name leaves that part out.
    const query =
      candidates.length === 0
        ? { text: INSERT_WITHOUT_MENTIONS, values: rowValues }
        : {
            text: INSERT_WITH_MENTIONS,
            values: [...rowValues, candidates.map(({ row }) => row.userId), candidates.map(({ row }) => row.clientId), candidates.map(({ name }) => name)],
          };
    const statement = () => this.db.query<{ id: string; seq: string; user_id: string; client_id: string; created_at: Date; mentions: string[] }>(query);
    let result;
    try {
      result = await statement();
    } catch (error) {
      // A room or user deleted after this statement's snapshot was taken passes the join but not the foreign key
      // check; once more, with a snapshot in which it is gone.
      if ((error as { code?: unknown }).code !== FOREIGN_KEY_VIOLATION) throw error;
      result = await statement();
    }
    return new Map(
      result.rows.map((row) => [
        keyOf(Number(row.user_id), row.client_id),
        { id: Number(row.id), seq: Number(row.seq), createdAt: row.created_at.toISOString(), mentions: row.mentions },
      ]),
    );
  }

  private async findByClientIds(rows: readonly MessageRow[]): Promise<Map<string, ChatMessage>> {
    const { rows: found } = await this.db.query<StoredRow>(
      `${SELECT_FROM('messages')} JOIN unnest($1::bigint[], $2::text[]) AS k(user_id, client_id) ON m.user_id = k.user_id AND m.client_id = k.client_id`,
      [rows.map((row) => row.userId), rows.map((row) => row.clientId)],
    );
    return new Map(found.map((row) => [keyOf(Number(row.user_id), row.client_id), this.toMessage(row)]));
  }

  private async existingRoomIds(roomIds: number[]): Promise<Set<number>> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM rooms WHERE id = ANY($1::bigint[])', [roomIds]);
    return new Set(rows.map((row) => Number(row.id)));
  }

  /** Newest first, older than `before` when given (keyset paging on the (room_id, id DESC) index). */
  async page(roomId: number, before: number | undefined, limit: number): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    // One extra row tells whether another page exists.
    const { rows } = await this.db.query<StoredRow>(
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
    const { rows } = await this.db.query<StoredRow>(
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
    const shown = [...older.slice(-perSide), rows[targetIndex] as StoredRow, ...newer.slice(0, perSide)];
    return { messages: shown.map((row) => this.toMessage(row)), hasOlder: older.length > perSide, hasNewer: newer.length > perSide };
  }

  /** The messages with these ids that the user can read (a member of their room), in no particular order. */
  async readable(userId: number, ids: number[]): Promise<ChatMessage[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<StoredRow>(
      `${SELECT_FROM('messages')} JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $1 WHERE m.id = ANY($2::bigint[])`,
      [userId, ids],
    );
    return rows.map((row) => this.toMessage(row));
  }

  /**
   * For each room of `seen` the user is a member of, the messages after `through`, or after the number of the
   * newest message up to `afterId` (ids follow the numbers within a room), in their order, at most `perRoom` a room.
   */
  async after(userId: number, seen: SeenMessages[], perRoom: number): Promise<ChatMessage[]> {
    if (seen.length === 0) return [];
    const { rows } = await this.db.query<StoredRow>(
      `SELECT missed.* FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS s(room, after_id, through)
         JOIN rooms seen_room ON seen_room.name = s.room
         JOIN room_members rm ON rm.room_id = seen_room.id AND rm.user_id = $1
         CROSS JOIN LATERAL (
           SELECT coalesce(
             s.through,
             (SELECT held.seq FROM messages held WHERE held.room_id = seen_room.id AND held.id <= s.after_id ORDER BY held.id DESC LIMIT 1),
             0
           ) AS seq
         ) held
         CROSS JOIN LATERAL (
           ${SELECT_FROM('messages')} WHERE m.room_id = seen_room.id AND m.seq > held.seq ORDER BY m.seq LIMIT $5
         ) missed
        ORDER BY missed.room, missed.seq`,
      [userId, seen.map((s) => s.room), seen.map((s) => s.afterId), seen.map((s) => s.through ?? null), perRoom],
    );
    return rows.map((row) => this.toMessage(row));
  }

  /** What decides whether `userId` may change the message; undefined when there is no such message. */
  async access(messageId: number, userId: number): Promise<MessageAccess | undefined> {
    const { rows } = await this.db.query<StoredRow & { created_by: string | null; is_member: boolean }>(
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
    const { rows } = await this.db.query<StoredRow>(
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
   * For each room the user is a member of, the messages from `from` to `to` (and up to number `through`, when given:
   * after() answers the ones past it) changed after `revision`, in the order of their changes, at most `perRoom` a
   * room: a client that takes the highest revision answered misses none.
   */
  async changedSince(userId: number, held: HeldMessages[], perRoom: number): Promise<ChatMessage[]> {
    if (held.length === 0) return [];
    const { rows } = await this.db.query<StoredRow>(
      `SELECT changed.* FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS h(room, from_id, to_id, through, revision)
         JOIN rooms held_room ON held_room.name = h.room
         JOIN room_members rm ON rm.room_id = held_room.id AND rm.user_id = $1
         CROSS JOIN LATERAL (
           ${SELECT_FROM('messages')}
            WHERE m.room_id = held_room.id AND m.revision > 0 AND m.revision > h.revision AND m.id BETWEEN h.from_id AND h.to_id
              AND (h.through IS NULL OR m.seq <= h.through)
            ORDER BY m.revision LIMIT $7
         ) changed
        ORDER BY changed.room, changed.revision`,
      [userId, held.map((h) => h.room), held.map((h) => h.from), held.map((h) => h.to), held.map((h) => h.through ?? null), held.map((h) => h.revision), perRoom],
    );
    return rows.map((row) => this.toMessage(row));
  }
}
