/**
 * A Realtime that has been closed (the server is shutting down) while other parts still call it: an avatar upload
 * finishing, a bot message being delivered. Nothing may end as an unhandled rejection, which would crash the process.
 */
import http from 'node:http';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { loadConfig } from '../../node/server/config';
import { createLogger } from '../../node/server/logger';
import type { MessageService } from '../../node/server/messages';
import { createRealtime, type Realtime } from '../../node/server/realtime';
import { RoomRepository, RoomService } from '../../node/server/rooms';
import { createMessageService, profiles } from '../support/messages';
import { createTestDatabase, createTestPool, uniqueRedisPrefix, type TestDatabase } from '../support/resources';
import { deleteRedisKeys } from '../support/server';
import { waitFor } from '../support/wait';

const redisPrefix = uniqueRedisPrefix();
let database: TestDatabase;
let db: Pool;
let redis: RedisClientType;
let httpServer: http.Server;
let realtime: Realtime;
let messages: MessageService;
let userId: number;
const unhandled: unknown[] = [];
const recordUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  database = await createTestDatabase();
  db = createTestPool(database.url, 4);
  redis = createClient({ url: 'redis://127.0.0.1:6379' });
  await redis.connect();
  const { rows } = await db.query<{ id: string }>(
    "INSERT INTO users (username, email, password_hash) VALUES ('closing_user', 'c@example.com', NULL) RETURNING id",
  );
  userId = Number(rows[0]?.id);
  const rooms = new RoomService(new RoomRepository(db), profiles);
  await rooms.roomsOnConnect(userId);

  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix });
  const noSession: RequestHandler = (_req, _res, next) => next();
  httpServer = http.createServer();
  realtime = createRealtime(httpServer, { config, logger: createLogger('silent'), redis, sessionMiddleware: noSession });
  ({ messages } = createMessageService(db, rooms, realtime));
  // Once the adapter's Redis connection is up (it answers, rather than failing at once), a broadcast really goes through it.
  await waitFor(() => realtime.io.of('/').adapter.serverCount().then(() => true, () => false));
  await realtime.close();
  process.on('unhandledRejection', recordUnhandled);
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', recordUnhandled);
  httpServer?.close();
  if (redis) await deleteRedisKeys(redis, redisPrefix);
  await redis?.close();
  await db?.end();
  await database?.drop();
});

/** Long enough for a rejected Redis command to be reported as unhandled. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

test('userUpdated after close does nothing, and rejects nothing', async () => {
  expect(() => realtime.userUpdated({ id: userId, username: 'closing_user', avatarUrl: '/avatars/x.png' })).not.toThrow();
  await settle();
  expect(unhandled).toEqual([]);
});

test('a message sent after close fails with a clear error and stores nothing', async () => {
  await expect(messages.send({ user: { id: userId, username: 'closing_user', avatarUrl: '/avatars/x.png' }, room: 'general', clientId: 'after-close', body: 'too late' }, 'bot')).rejects.toThrow(
    'realtime is closed',
  );
  await settle();
  expect(unhandled).toEqual([]);
  const { rows } = await db.query("SELECT count(*)::int AS count FROM messages WHERE client_id = 'after-close'");
  expect(rows[0]).toEqual({ count: 0 });
});

test('a broadcast from work already under way when close() ran is logged, not an unhandled rejection', async () => {
  // What an in-flight socket handler or stored message does last: emit through the (now closed) adapter.
  expect(() => realtime.io.to('room:general').emit('room:updated', { name: 'general', memberCount: 1 })).not.toThrow();
  await settle();
  expect(unhandled).toEqual([]);
});
