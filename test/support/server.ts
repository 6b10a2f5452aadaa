/**
 * The real server for integration tests: its own database (migrated and seeded), RabbitMQ vhost,
 * Redis key prefix and S3 bucket on a private s3rver, listening on an ephemeral port.
 */
import { Writable } from 'node:stream';
import type { Pool } from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { seed } from '../../fixtures/seed';
import { startServer } from '../../node/server/app';
import { closeClients, createClients, type Clients } from '../../node/server/clients';
import { loadConfig, type Config } from '../../node/server/config';
import { createLogger } from '../../node/server/logger';
import { createTestDatabase, createTestVhost, startTestS3, uniqueRedisPrefix, type TestS3, type TestVhost } from './resources';

export interface TestServer {
  url: string;
  port: number;
  config: Config;
  db: Pool;
  redis: RedisClientType;
  clients: Clients;
  s3: TestS3;
  vhost: TestVhost;
  /** Every log line the server wrote, parsed (the server's stdout in production). */
  logs: Record<string, unknown>[];
  /** The raw log text, for "this secret never appears" assertions. */
  logText(): string;
  stop(): Promise<void>;
}

/** The environment a test server gets; overrides win. */
export function testEnvironment(resources: { databaseUrl: string; vhost: TestVhost; s3: TestS3; redisPrefix: string }): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: resources.databaseUrl,
    REDIS_PREFIX: resources.redisPrefix,
    AMQP_URI: resources.vhost.uri,
    AMQP_EXCHANGE: 'chat.events',
    S3_ENDPOINT: resources.s3.endpoint,
    S3_PORT: String(resources.s3.port),
    S3_ACCESS_KEY: resources.s3.accessKey,
    S3_SECRET_KEY: resources.s3.secretKey,
    S3_BUCKET: resources.s3.bucket,
    OUTBOX_POLL_INTERVAL: '1',
    SHUTDOWN_TIMEOUT: '5',
    DEFAULT_USER_PASSWORD: 'demo-password',
  };
}

export async function deleteRedisKeys(redis: RedisClientType, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
  if (keys.length > 0) await redis.del(keys);
}

/** Removes every key under `prefix` through a connection of its own, for a test whose servers ran in child processes. */
export async function removeRedisPrefix(prefix: string): Promise<void> {
  const redis = createClient() as RedisClientType;
  await redis.connect();
  await deleteRedisKeys(redis, prefix).finally(() => redis.quit());
}

/** Settings that win over the test environment; a function gets the file's resources (e.g. to point AMQP_URI elsewhere). */
export type TestOverrides = Partial<Config> | ((resources: { vhost: TestVhost; s3: TestS3 }) => Partial<Config>);

export async function startTestServer(overrides: TestOverrides = {}): Promise<TestServer> {
  const [database, vhost, s3] = await Promise.all([createTestDatabase(), createTestVhost(), startTestS3()]);
  const redisPrefix = uniqueRedisPrefix();
  const config: Config = {
    ...loadConfig(testEnvironment({ databaseUrl: database.url, vhost, s3, redisPrefix })),
    ...(typeof overrides === 'function' ? overrides({ vhost, s3 }) : overrides),
  };

  const logs: Record<string, unknown>[] = [];
  let logText = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString();
      logText += text;
      for (const line of text.split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(config.LOG_LEVEL, destination);
  const clients = await createClients(config, logger);
  await seed(clients.db, config);
  const server = await startServer(config, clients, logger);

  return {
    url: server.url,
    port: server.port,
    config,
    db: clients.db,
    redis: clients.redis,
    clients,
    s3,
    vhost,
    logs,
    logText: () => logText,
    stop: async () => {
      await server.stop();
      await deleteRedisKeys(clients.redis, config.REDIS_PREFIX).catch(() => undefined);
      await closeClients(clients);
      await Promise.allSettled([database.drop(), vhost.drop(), s3.stop()]);
    },
  };
}
