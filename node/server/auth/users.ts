import type { Pool, PoolClient } from 'pg';
import type { SelfUser } from '../../shared/protocol';
import { toPublicUser } from '../avatars/urls';

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  password_hash: string | null;
  avatar_key: string | null;
  is_bot: boolean;
}

const COLUMNS = 'id, username, email, password_hash, avatar_key, is_bot';

export async function findUserById(db: Pool | PoolClient, id: number): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0];
}

export async function findUserByUsername(db: Pool | PoolClient, username: string): Promise<UserRecord | undefined> {
  const { rows } = await db.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
  return rows[0];
}

export async function insertUser(
  db: Pool | PoolClient,
  user: { username: string; email: string; passwordHash: string | null; isBot?: boolean },
): Promise<UserRecord> {
  const { rows } = await db.query<UserRecord>(
    `INSERT INTO users (username, email, password_hash, is_bot) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [user.username, user.email, user.passwordHash, user.isBot ?? false],
  );
  return rows[0] as UserRecord;
}

export function toSelfUser(user: UserRecord, cdnPrefix: string): SelfUser {
  return { ...toPublicUser(user, cdnPrefix), email: user.email };
}
