/**
 * Throwaway resources for integration tests: every test file gets its own PostgreSQL database,
 * RabbitMQ vhost, Redis key prefix and S3 bucket on a private s3rver, so files run in parallel
 * and leave nothing behind.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, type Pool } from 'pg';
import { createPool } from '../../node/server/db';

const run = promisify(execFile);
export const ROOT = path.resolve(__dirname, '../..');
const ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database and, unless told otherwise, migrates it to the latest schema. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = uniqueName('chat_test');
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  if (options.migrate !== false) await migrate(url, 'up');
  return {
    name,
    url,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * A pool on a test database. Its file drops the database at the end, which cuts connections that pool.end() has not
 * finished closing yet; the pool then reports 57P01 on an idle client, which is expected here and ignored.
 */
export function createTestPool(url: string, max = 4): Pool {
  return createPool({ connectionString: url, max }, () => undefined);
}

/** Runs `npm run migrate` exactly as a user or the migration Job would. */
export async function migrate(databaseUrl: string, direction: 'up' | 'down', extraArgs: string[] = []): Promise<string> {
  const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/node-pg-migrate'), ['--migrations-dir', 'migrations', direction, ...extraArgs], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  return stdout;
}

export interface TestVhost {
  name: string;
  uri: string;
  drop(): Promise<void>;
}

/** A RabbitMQ vhost of its own, reachable by guest. */
export async function createTestVhost(): Promise<TestVhost> {
  const name = uniqueName('chat_test');
  await run('rabbitmqctl', ['-q', 'add_vhost', name]);
  await run('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*']);
  return {
    name,
    uri: `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(name)}`,
    drop: () => run('rabbitmqctl', ['-q', 'delete_vhost', name]).then(() => undefined),
  };
}

export interface TestS3 {
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  bucket: string;
  stop(): Promise<void>;
}

/** A private s3rver on an ephemeral port, with data in a temporary folder. */
export async function startTestS3(): Promise<TestS3> {
  // s3rver is a development dependency and ships no types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver');
  const directory = await mkdtemp(path.join(tmpdir(), 'chat-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port } = (await server.run()) as { port: number };
  return {
    endpoint: '127.0.0.1',
    port,
    // s3rver's fixed development credentials.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    bucket: uniqueName('avatars').replace(/_/g, '-'),
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export function uniqueRedisPrefix(): string {
  return `${uniqueName('chat_test')}:`;
}
