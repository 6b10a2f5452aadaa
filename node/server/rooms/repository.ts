import { LIMITS, type ConversationKind, type ReadState, type RoomSummary, type RoomUpdate } from '../../shared/protocol';
import type { Queryable } from '../db';
import type { ProfileRow } from '../users';

/** What never changes of a conversation: its id and kind. */
export type RoomKey = Pick<RoomRecord, 'id' | 'kind'>;

export interface RoomRecord {
  id: number;
  name: string;
  kind: ConversationKind;
}

/** A room as one user sees it: whether they are a member decides what they may do in it. */
export interface RoomAccess extends RoomRecord {
  isMember: boolean;
  /** The creator; null for a seeded room or when the creator's account is gone. */
  ownerId: number | null;
  /** True for a one-to-one DM (it has a pair of people). */
  isPair: boolean;
}

/** A room as room:list shows it; `members` only for a DM. */
export interface ListedRoom extends Omit<RoomSummary, 'members'> {
  members: ProfileRow[] | undefined;
}

interface RoomRow {
  id: string;
  name: string;
  kind: ConversationKind;
  created_by: string | null;
}

const ownerIdOf = (createdBy: string | null): number | null => (createdBy === null ? null : Number(createdBy));

const recordOf = (row: RoomRow): RoomRecord => ({ id: Number(row.id), name: row.name, kind: row.kind });

/**
 * The read state of user $1 in room `r`, whose membership row is `me` (NULL columns when not a member: all zero).
 * Unread: others' messages after the position, not deleted, counted on the (room_id, id) index up to the cap ($2).
 * Mentions: a range of the (user_id, room_id, message_id) index of message_mentions.
 */
const READ_STATE_COLUMNS = `
  coalesce(me.last_read_id, 0) AS last_read_id,
  (SELECT count(*) FROM (
     SELECT 1 FROM messages x WHERE x.room_id = r.id AND x.id > me.last_read_id AND x.user_id <> $1 AND x.deleted_at IS NULL LIMIT $2
   ) capped) AS unread_count,
  (SELECT count(*) FROM message_mentions mm JOIN messages x ON x.id = mm.message_id
    WHERE mm.user_id = $1 AND mm.room_id = r.id AND mm.message_id > me.last_read_id AND x.deleted_at IS NULL) AS mention_count`;

interface ReadStateRow {
  name: string;
  last_read_id: string;
  unread_count: string;
  mention_count: string;
}

const readStateOf = (row: ReadStateRow): ReadState => ({
  name: row.name,
  lastReadId: Number(row.last_read_id),
  unreadCount: Number(row.unread_count),
  mentionCount: Number(row.mention_count),
});

/** What became of a request to move a read position: no such room for this user, no such message in it, or the position now. */
export type MarkReadOutcome = 'not_member' | 'no_message' | { state: ReadState; moved: boolean };

/** SQL for rooms and membership; ids come back from pg as strings (bigint) and leave here as numbers. */
export class RoomRepository {
  constructor(private readonly db: Queryable) {}

  async findForUser(name: string, userId: number): Promise<RoomAccess | undefined> {
    const { rows } = await this.db.query<RoomRow & { is_member: boolean; is_pair: boolean }>(
      `SELECT r.id, r.name, r.kind, r.created_by, r.pair_low_user_id IS NOT NULL AS is_pair,
              EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = $2) AS is_member
         FROM rooms r WHERE r.name = $1`,
      [name, userId],
    );
    const row = rows[0];
    return row && { ...recordOf(row), isMember: row.is_member, ownerId: ownerIdOf(row.created_by), isPair: row.is_pair };
  }

  async findKey(name: string): Promise<RoomKey | undefined> {
    const { rows } = await this.db.query<{ id: string; kind: ConversationKind }>('SELECT id, kind FROM rooms WHERE name = $1', [name]);
    return rows[0] && { id: Number(rows[0].id), kind: rows[0].kind };
  }

  /**
   * Creates the room with its creator as the first member; undefined when the name is taken. One statement, so
   * atomic without an explicit transaction (which would hold a connection open across round trips).
   */
  async createWithMember(name: string, kind: 'public' | 'private', createdBy: number): Promise<RoomRecord | undefined> {
    const { rows } = await this.db.query<RoomRow>(
      `WITH room AS (
         INSERT INTO rooms (name, kind, created_by) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id, name, kind
       ), member AS (
         INSERT INTO room_members (room_id, user_id) SELECT id, $3 FROM room
       )
       SELECT id, name, kind FROM room`,
      [name, kind, createdBy],
    );
    const row = rows[0];
    return row && recordOf(row);
  }

  /**
   * Creates a direct conversation with these members (the starter among them). For a pair, the pair's existing
   * conversation when there is one: the insert stops at the unique pair index, and a second statement (whose
   * snapshot sees a pair inserted concurrently) reads it. `created` tells whether this call made it.
   */
  async createDirect(key: string, memberIds: number[]): Promise<{ room: RoomRecord; created: boolean }> {
    const pair = memberIds.length === 2 ? [Math.min(...memberIds), Math.max(...memberIds)] : [null, null];
    const { rows } = await this.db.query<RoomRow>(
      `WITH room AS (
         INSERT INTO rooms (name, kind, pair_low_user_id, pair_high_user_id) VALUES ($1, 'direct', $2, $3)
         ON CONFLICT (pair_low_user_id, pair_high_user_id) DO NOTHING RETURNING id, name, kind
       ), members AS (
         INSERT INTO room_members (room_id, user_id) SELECT room.id, member.id FROM room, unnest($4::bigint[]) AS member(id)
       )
       SELECT id, name, kind FROM room`,
      [key, pair[0], pair[1], memberIds],
    );
    if (rows[0]) return { room: recordOf(rows[0]), created: true };
    const { rows: existing } = await this.db.query<RoomRow>('SELECT id, name, kind FROM rooms WHERE pair_low_user_id = $1 AND pair_high_user_id = $2', pair);
    return { room: recordOf(existing[0] as RoomRow), created: false };
  }

  /** Which of these user ids are people (not bots) that exist. */
  async people(userIds: number[]): Promise<Set<number>> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1::bigint[]) AND NOT is_bot', [userIds]);
    return new Set(rows.map((row) => Number(row.id)));
  }

  /** Each conversation's members, by name. */
  async membersOf(roomIds: number[]): Promise<Map<number, ProfileRow[]>> {
    const { rows } = await this.db.query<ProfileRow & { room_id: string }>(
      `SELECT m.room_id, u.id, u.username, u.avatar_key FROM room_members m JOIN users u ON u.id = m.user_id
        WHERE m.room_id = ANY($1::bigint[]) ORDER BY u.username`,
      [roomIds],
    );
    const members = new Map<number, ProfileRow[]>(roomIds.map((id) => [id, []]));
    for (const row of rows) members.get(Number(row.room_id))?.push({ id: row.id, username: row.username, avatar_key: row.avatar_key });
    return members;
  }

  /** True when the room did not exist before (fixtures). */
  async insertIfMissing(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('INSERT INTO rooms (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    return rowCount === 1;
  }

  /** The room's id, creating it first if it does not exist (the default room on an unseeded database). */
  async ensure(name: string): Promise<RoomRecord> {
    await this.db.query('INSERT INTO rooms (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    const { rows } = await this.db.query<RoomRow>('SELECT id, name, kind, created_by FROM rooms WHERE name = $1', [name]);
    return recordOf(rows[0] as RoomRow);
  }

  /** True when the user was not a member before. A new member has read everything so far: history is not news. */
  async addMember(roomId: number, userId: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO room_members (room_id, user_id, last_read_id)
       VALUES ($1, $2, (SELECT coalesce(max(id), 0) FROM messages WHERE room_id = $1)) ON CONFLICT DO NOTHING`,
      [roomId, userId],
    );
    return rowCount === 1;
  }

  /** True when the user was a member. */
  async removeMember(roomId: number, userId: number): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM room_members WHERE room_id = $1 AND user_id = $2', [roomId, userId]);
    return rowCount === 1;
  }

  async memberCount(roomId: number): Promise<number> {
    const { rows } = await this.db.query<{ count: string }>('SELECT count(*) AS count FROM room_members WHERE room_id = $1', [roomId]);
    return Number(rows[0]?.count ?? 0);
  }

  /** The member counts of these rooms, as they are now; public rooms only, since everyone hears them. */
  async publicMemberCounts(names: string[]): Promise<RoomUpdate[]> {
    const { rows } = await this.db.query<{ name: string; count: string }>(
      `SELECT r.name, (SELECT count(*) FROM room_members m WHERE m.room_id = r.id) AS count
         FROM rooms r WHERE r.name = ANY($1) AND r.kind = 'public' ORDER BY r.name`,
      [names],
    );
    return rows.map((row) => ({ name: row.name, memberCount: Number(row.count) }));
  }

  /**
   * What the user may see, by name: every public room, and the private rooms and DMs they are a member of; each
   * with its member count, whether they are in it and their read state there, and a DM with its members.
   */
  async listForUser(userId: number): Promise<ListedRoom[]> {
    const { rows } = await this.db.query<RoomRow & ReadStateRow & { member_count: string; joined: boolean }>(
      `SELECT r.id, r.name, r.kind, r.created_by, (SELECT count(*) FROM room_members m WHERE m.room_id = r.id) AS member_count,
              me.user_id IS NOT NULL AS joined, ${READ_STATE_COLUMNS}
         FROM rooms r LEFT JOIN room_members me ON me.room_id = r.id AND me.user_id = $1
        WHERE r.kind = 'public' OR me.user_id IS NOT NULL
        ORDER BY r.name`,
      [userId, LIMITS.unreadCountMax],
    );
    const directMembers = await this.membersOf(rows.filter((row) => row.kind === 'direct').map((row) => Number(row.id)));
    return rows.map((row) => ({
      ...readStateOf(row),
      kind: row.kind,
      memberCount: Number(row.member_count),
      joined: row.joined,
      ownerId: ownerIdOf(row.created_by),
      members: directMembers.get(Number(row.id)),
    }));
  }

  /**
   * Moves the user's read position in the named room forward to `messageId`, which must be a message of that room;
   * a position already past it stays. One statement: the membership row is locked while it moves, so two devices
   * marking at once end at the higher of the two.
   */
  async markRead(name: string, userId: number, messageId: number): Promise<MarkReadOutcome> {
    const { rows } = await this.db.query<{ room_id: string; has_message: boolean; moved: boolean }>(
      `WITH me AS (
         SELECT rm.room_id FROM room_members rm JOIN rooms r ON r.id = rm.room_id WHERE r.name = $1 AND rm.user_id = $2
       ), target AS (
         SELECT m.id FROM messages m JOIN me ON m.room_id = me.room_id WHERE m.id = $3
       ), moved AS (
         UPDATE room_members rm SET last_read_id = target.id FROM me, target
          WHERE rm.room_id = me.room_id AND rm.user_id = $2 AND rm.last_read_id < target.id
         RETURNING rm.last_read_id
       )
       SELECT me.room_id, EXISTS (SELECT 1 FROM target) AS has_message, EXISTS (SELECT 1 FROM moved) AS moved FROM me`,
      [name, userId, messageId],
    );
    const row = rows[0];
    if (!row) return 'not_member';
    if (!row.has_message) return 'no_message';
    // A new statement: its snapshot sees the position this one (or a concurrent one) committed.
    return { state: await this.readState(Number(row.room_id), userId), moved: row.moved };
  }

  /** The user's read state in one room they are a member of. */
  async readState(roomId: number, userId: number): Promise<ReadState> {
    const { rows } = await this.db.query<ReadStateRow>(
      `SELECT r.name, ${READ_STATE_COLUMNS} FROM rooms r JOIN room_members me ON me.room_id = r.id AND me.user_id = $1 WHERE r.id = $3`,
      [userId, LIMITS.unreadCountMax, roomId],
    );
    return readStateOf(rows[0] as ReadStateRow);
  }

  async namesOfMember(userId: number): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      'SELECT r.name FROM rooms r JOIN room_members m ON m.room_id = r.id WHERE m.user_id = $1 ORDER BY r.name',
      [userId],
    );
    return rows.map((row) => row.name);
  }
}
