import type { RoomSummary } from '../../shared/protocol';
import type { Queryable } from '../db';

export interface RoomRecord {
  id: number;
  name: string;
}

/** A room as one user sees it: whether they are a member decides what they may do in it. */
export interface RoomAccess extends RoomRecord {
  isMember: boolean;
  /** The creator; null for a seeded room or when the creator's account is gone. */
  ownerId: number | null;
}

const ownerIdOf = (createdBy: string | null): number | null => (createdBy === null ? null : Number(createdBy));

/** SQL for rooms and membership; ids come back from pg as strings (bigint) and leave here as numbers. */
export class RoomRepository {
  constructor(private readonly db: Queryable) {}

  async findForUser(name: string, userId: number): Promise<RoomAccess | undefined> {
    const { rows } = await this.db.query<{ id: string; name: string; is_member: boolean; created_by: string | null }>(
      `SELECT r.id, r.name, r.created_by, EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = $2) AS is_member
         FROM rooms r WHERE r.name = $1`,
      [name, userId],
    );
    const row = rows[0];
    return row && { id: Number(row.id), name: row.name, isMember: row.is_member, ownerId: ownerIdOf(row.created_by) };
  }

  async findId(name: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ id: string }>('SELECT id FROM rooms WHERE name = $1', [name]);
    return rows[0] ? Number(rows[0].id) : undefined;
  }

  /**
   * Creates the room with its creator as the first member; undefined when the name is taken. One statement, so
   * atomic without an explicit transaction (which would hold a connection open across round trips).
   */
  async createWithMember(name: string, createdBy: number): Promise<RoomRecord | undefined> {
    const { rows } = await this.db.query<{ id: string; name: string }>(
      `WITH room AS (
         INSERT INTO rooms (name, created_by) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id, name
       ), member AS (
         INSERT INTO room_members (room_id, user_id) SELECT id, $2 FROM room
       )
       SELECT id, name FROM room`,
      [name, createdBy],
    );
    const row = rows[0];
    return row && { id: Number(row.id), name: row.name };
  }

  /** True when the room did not exist before (fixtures). */
  async insertIfMissing(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('INSERT INTO rooms (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    return rowCount === 1;
  }

  /** The room's id, creating it first if it does not exist (the default room on an unseeded database). */
  async ensure(name: string): Promise<RoomRecord> {
    await this.db.query('INSERT INTO rooms (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    const { rows } = await this.db.query<{ id: string; name: string }>('SELECT id, name FROM rooms WHERE name = $1', [name]);
    const row = rows[0] as { id: string; name: string };
    return { id: Number(row.id), name: row.name };
  }

  /** True when the user was not a member before. */
  async addMember(roomId: number, userId: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO room_members (room_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
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

  /** Every room, by name, with its member count and whether this user is in it. */
  async listForUser(userId: number): Promise<RoomSummary[]> {
    const { rows } = await this.db.query<{ name: string; member_count: string; joined: boolean; created_by: string | null }>(
      `SELECT r.name, r.created_by, count(m.user_id) AS member_count, bool_or(m.user_id = $1) IS TRUE AS joined
         FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id
        GROUP BY r.id, r.name ORDER BY r.name`,
      [userId],
    );
    return rows.map((row) => ({ name: row.name, memberCount: Number(row.member_count), joined: row.joined, ownerId: ownerIdOf(row.created_by) }));
  }

  async namesOfMember(userId: number): Promise<string[]> {
    const { rows } = await this.db.query<{ name: string }>(
      'SELECT r.name FROM rooms r JOIN room_members m ON m.room_id = r.id WHERE m.user_id = $1 ORDER BY r.name',
      [userId],
    );
    return rows.map((row) => row.name);
  }
}
