import type { Queryable } from '../db';

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  password_hash: string | null;
  avatar_key: string | null;
  is_bot: boolean;
}

export interface NewUser {
  username: string;
  email: string;
  /** NULL: the account cannot log in (bots). */
  passwordHash: string | null;
  isBot?: boolean;
}

const COLUMNS = 'id, username, email, password_hash, avatar_key, is_bot';

/**
 * Every SQL statement on `users`. Methods that may run inside a caller's transaction take the connection as their
 * first argument; the others use the pool.
 */
export class UserRepository {
  constructor(private readonly db: Queryable) {}

  async findById(id: number): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0];
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRecord>(`SELECT ${COLUMNS} FROM users WHERE username = $1`, [username]);
    return rows[0];
  }

  /**
   * People (not bots) whose username starts with the prefix, by username, without `exceptId` (the one asking).
   * starts_with(), not LIKE: '_' in a username prefix is a plain character, not a wildcard.
   */
  async findPeopleByPrefix(prefix: string, exceptId: number, limit: number): Promise<UserRecord[]> {
    const { rows } = await this.db.query<UserRecord>(
      `SELECT ${COLUMNS} FROM users WHERE starts_with(username, $1) AND NOT is_bot AND id <> $2 ORDER BY username LIMIT $3`,
      [prefix, exceptId, limit],
    );
    return rows;
  }

  /** Throws PostgreSQL's unique_violation (23505) when the username or e-mail address is taken. */
  async insert(db: Queryable, user: NewUser): Promise<UserRecord> {
    const { rows } = await db.query<UserRecord>(
      `INSERT INTO users (username, email, password_hash, is_bot) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [user.username, user.email, user.passwordHash, user.isBot ?? false],
    );
    return rows[0] as UserRecord;
  }

  /** True when it was inserted; an existing username or e-mail address leaves everything as it was. */
  async insertIfMissing(db: Queryable, user: NewUser): Promise<boolean> {
    const { rowCount } = await db.query(
      'INSERT INTO users (username, email, password_hash, is_bot) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [user.username, user.email, user.passwordHash, user.isBot ?? false],
    );
    return rowCount === 1;
  }

  async usernameExists(db: Queryable, username: string): Promise<boolean> {
    const { rowCount } = await db.query('SELECT 1 FROM users WHERE username = $1', [username]);
    return rowCount === 1;
  }

  /**
   * Sets the avatar and answers the key it replaces (null for none); undefined when there is no such user.
   * The row lock makes two concurrent uploads see each other's key, so each old object gets deleted.
   */
  async replaceAvatarKey(userId: number, key: string): Promise<{ previous: string | null } | undefined> {
    const { rows } = await this.db.query<{ previous: string | null }>(
      `UPDATE users SET avatar_key = $1
         FROM (SELECT avatar_key AS previous FROM users WHERE id = $2 FOR UPDATE) AS old
        WHERE id = $2 RETURNING old.previous`,
      [key, userId],
    );
    return rows[0];
  }
}

/** PostgreSQL's unique_violation on `users`: which field was taken. */
export function takenUserField(error: unknown): 'username' | 'email' | undefined {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  if (code !== '23505') return undefined;
  if (constraint === 'users_username_key') return 'username';
  if (constraint === 'users_email_lower_key') return 'email';
  return undefined;
}
