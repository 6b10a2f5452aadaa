import * as Minio from 'minio';
import type { Pool } from 'pg';
import { createClient, type RedisClientType } from 'redis';
import type { Config } from './config';
import { createPool } from './db';
import type { Logger } from './logger';

/** s3rver's fixed credentials and port: what the embedded S3 server of `npm start` uses when S3_ENDPOINT is unset. */
export const EMBEDDED_S3 = { endpoint: '127.0.0.1', port: 4569, accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;

export interface S3Settings {
  endPoint: string;
  port: number | undefined;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  region: string;
}

/** Where S3 is: the configured endpoint, or the embedded s3rver that launch.ts starts. */
export function s3Settings(config: Config): S3Settings {
  if (!config.S3_ENDPOINT) {
    return {
      endPoint: EMBEDDED_S3.endpoint,
      port: config.S3_PORT ?? EMBEDDED_S3.port,
      useSSL: false,
      accessKey: EMBEDDED_S3.accessKey,
      secretKey: EMBEDDED_S3.secretKey,
      region: config.S3_REGION,
    };
  }
  return {
    endPoint: config.S3_ENDPOINT,
    port: config.S3_PORT,
    useSSL: config.S3_SSL,
    // config.ts guarantees both keys when S3_ENDPOINT is set.
    accessKey: config.S3_ACCESS_KEY ?? '',
    secretKey: config.S3_SECRET_KEY ?? '',
    region: config.S3_REGION,
  };
}

export interface Clients {
  db: Pool;
  redis: RedisClientType;
  s3: Minio.Client;
}

/**
 * The long-lived connections, created once per process and handed to whoever needs them.
 * PostgreSQL and S3 connect lazily. Redis gets one connection attempt before this returns, so that a normal start
 * serves sessions from its first request; if that attempt fails, the process starts anyway (sessions answer 503,
 * /readyz says redis) and node-redis keeps reconnecting in the background.
 */
export async function createClients(config: Config, logger: Logger): Promise<Clients> {
  const db = createPool(
    {
      connectionString: config.DATABASE_URL,
      max: config.DB_POOL_SIZE,
      // Short, so that an unreachable database answers `unavailable` promptly instead of holding requests.
      connectionTimeoutMillis: config.DB_CONNECT_TIMEOUT_MS,
      query_timeout: config.DB_QUERY_TIMEOUT_MS,
      // A message is acknowledged once committed: the commit must be durable whatever the server's default.
      options: '-c synchronous_commit=on',
    },
    (error) =>
    logger.warn({ err: error }, 'postgres idle client error'),
  );

  const redis: RedisClientType = createClient({
    url: config.SESSION_REDIS,
    // Fail fast while disconnected instead of queueing: a request gets a 503 rather than hanging.
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 5000) },
  });
  let redisDown = false;
  redis.on('error', (error: Error) => {
    if (!redisDown) logger.warn({ err: error }, 'redis connection error');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) logger.info('redis connection restored');
    redisDown = false;
  });
  const firstAttempt = new Promise<void>((resolve) => {
    redis.once('ready', resolve);
    redis.once('error', () => resolve());
  });
  // Never rejects while the reconnect strategy keeps answering with a delay; caught all the same.
  redis.connect().catch((error: unknown) => logger.error({ err: error }, 'redis connection given up'));
  await firstAttempt;

  const s3 = new Minio.Client(s3Settings(config));
  return { db, redis, s3 };
}

export async function closeClients(clients: Clients): Promise<void> {
  const { redis } = clients;
  // close() lets pending commands finish, which needs a connection; one that is not up (reconnecting) is destroyed.
  const closeRedis = redis.isReady ? redis.close() : Promise.resolve(redis.destroy());
  await Promise.allSettled([clients.db.end(), closeRedis]);
}
