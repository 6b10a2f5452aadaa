import type { Pool } from 'pg';
import { BOT_USERNAME, seed } from '../../fixtures/seed';
import { loadConfig } from '../../node/server/config';
import { createTestDatabase, createTestPool, migrate, type TestDatabase } from '../support/resources';

let database: TestDatabase;
let db: Pool;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createTestPool(database.url, 2);
});
afterAll(async () => {
  await db.end();
  await database.drop();
});

/** Every row of the seeded tables with its xmin: an UPDATE, even to the same values, changes xmin. */
async function snapshot(): Promise<unknown[]> {
  const users = await db.query('SELECT xmin::text, * FROM users ORDER BY id');
  const rooms = await db.query('SELECT xmin::text, * FROM rooms ORDER BY id');
  return [users.rows, rooms.rows];
}

test('fixtures create the general room, the greeter bot and the default user; a second run changes nothing', async () => {
  const config = loadConfig({ NODE_ENV: 'test', DEFAULT_USER_NAME: 'demo_user', DEFAULT_USER_PASSWORD: 'demo-password-1' });
  expect(await seed(db, config)).toEqual({ roomCreated: true, botCreated: true, defaultUserCreated: true });
  const first = await snapshot();
  expect(await seed(db, config)).toEqual({ roomCreated: false, botCreated: false, defaultUserCreated: false });
  expect(await snapshot()).toEqual(first);

  const bot = await db.query('SELECT is_bot, password_hash FROM users WHERE username = $1', [BOT_USERNAME]);
  expect(bot.rows).toEqual([{ is_bot: true, password_hash: null }]);
  const user = await db.query('SELECT email, is_bot, password_hash FROM users WHERE username = $1', ['demo_user']);
  expect(user.rows[0]).toMatchObject({ email: 'demo@example.com', is_bot: false, password_hash: expect.stringMatching(/^\$argon2id\$/) });
  expect((await db.query("SELECT 1 FROM rooms WHERE name = 'general'")).rowCount).toBe(1);
});

test('in production without DEFAULT_USER_PASSWORD no default user is created', async () => {
  const config = loadConfig({ NODE_ENV: 'production', COOKIE_SECRET: 'x'.repeat(32), DEFAULT_USER_NAME: 'prod_default' });
  expect(config.DEFAULT_USER_PASSWORD).toBeUndefined();
  expect((await seed(db, config)).defaultUserCreated).toBe(false);
  expect((await db.query("SELECT 1 FROM users WHERE username = 'prod_default'")).rowCount).toBe(0);
});

test("the search index merges its pending entries in steps of 256 kB, not 4 MB (one batch's stall, see the migration)", async () => {
  const { rows } = await db.query<{ reloptions: string[] | null }>("SELECT reloptions FROM pg_class WHERE relname = 'messages_search_idx'");
  expect(rows).toEqual([{ reloptions: ['gin_pending_list_limit=256'] }]);
});

test('migrations go up, all the way down and up again', async () => {
  const empty = await createTestDatabase({ migrate: false });
  const tables = async () => {
    const client = createTestPool(empty.url, 1);
    try {
      const { rows } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'pgmigrations' ORDER BY 1");
      return rows.map((row) => row.tablename);
    } finally {
      await client.end();
    }
  };
  try {
    await migrate(empty.url, 'up');
    const full = await tables();
    expect(full).toEqual(expect.arrayContaining(['event_outbox', 'messages', 'room_members', 'rooms', 'users']));
    // Down by as many steps as there are migrations, whoever added them.
    await migrate(empty.url, 'down', ['999']);
    expect(await tables()).toEqual([]);
    await migrate(empty.url, 'up');
    expect(await tables()).toEqual(full);
  } finally {
    await empty.drop();
  }
});
