/**
 * Throwaway backing resources for one benchmark run, so it never touches the chat's own data:
 * a PostgreSQL database (migrated with the node-pg-migrate CLI, exactly as `npm run migrate`, and
 * seeded with the fixtures CLI), a RabbitMQ vhost, a Redis key prefix and a private s3rver.
 * Everything is removed again by `release()`, in reverse order of creation.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createClient } from 'redis';
import { projectRoot } from '../node/server/paths';

const execFileAsync = promisify(execFile);

export interface ServiceUrls {
  /** Maintenance database through which the throwaway one is created and dropped. */
  postgresAdminUrl: string;
  redisUrl: string;
  /** AMQP server without a vhost path. */
  amqpBaseUrl: string;
}

export const LOCAL_SERVICES: ServiceUrls = {
  postgresAdminUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: 'redis://127.0.0.1:6379/0',
  amqpBaseUrl: 'amqp://guest:guest@127.0.0.1:5672',
};

/** Runs SQL on the maintenance database (CREATE/DROP DATABASE cannot run inside the target). */
async function onAdminDatabase(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  try {
    // Glob characters in the prefix would widen the match; the generated prefix has none.
    // node-redis's scan iterator yields the keys of one SCAN reply at a time, possibly none.
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) if (keys.length > 0) await redis.unlink(keys);
  } finally {
    await redis.close();
  }
}

/** The environment variables that point the server at the provisioned resources. */
export type ServerEnvironment = Record<string, string>;

export class BenchResources {
  readonly id = `chat_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  readonly root = projectRoot();
  private readonly cleanups: { what: string; run: () => Promise<void> }[] = [];
  private readonly environment: ServerEnvironment = {};

  constructor(private readonly services: ServiceUrls = LOCAL_SERVICES) {}

  /** Creates every resource; on a failure part-way, what was created is released again. */
  async provision(): Promise<ServerEnvironment> {
    try {
      await this.createDatabase();
      await this.createVhost();
      await this.startS3();
      this.useRedisPrefix();
      return { ...this.environment };
    } catch (error) {
      await this.release();
      throw error;
    }
  }

  /** Releases everything; a failing step is reported and the others still run. */
  async release(): Promise<string[]> {
    const problems: string[] = [];
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        problems.push(`${cleanup.what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return problems;
  }

  /** The migrated and seeded throwaway database, released with the rest; answers its URL. */
  async createDatabase(): Promise<string> {
    const adminUrl = this.services.postgresAdminUrl;
    await onAdminDatabase(adminUrl, `CREATE DATABASE ${this.id}`);
    this.cleanups.push({ what: `drop database ${this.id}`, run: () => onAdminDatabase(adminUrl, `DROP DATABASE IF EXISTS ${this.id} WITH (FORCE)`) });
    const url = new URL(adminUrl);
    url.pathname = `/${this.id}`;
    const databaseUrl = url.toString();
    const env = { ...process.env, DATABASE_URL: databaseUrl };
    await execFileAsync(path.join(this.root, 'node_modules/.bin/node-pg-migrate'), ['--migrations-dir', 'migrations', 'up'], { cwd: this.root, env });
    await execFileAsync(process.execPath, [path.join(this.root, 'build/fixtures/seed.js')], { cwd: this.root, env });
    this.environment.DATABASE_URL = databaseUrl;
    return databaseUrl;
  }

  private async createVhost(): Promise<void> {
    const rabbitmqctl = (...args: string[]) => execFileAsync('rabbitmqctl', ['-q', ...args]).then(() => undefined);
    await rabbitmqctl('add_vhost', this.id);
    this.cleanups.push({ what: `delete vhost ${this.id}`, run: () => rabbitmqctl('delete_vhost', this.id) });
    await rabbitmqctl('set_permissions', '-p', this.id, 'guest', '.*', '.*', '.*');
    this.environment.AMQP_URI = `${this.services.amqpBaseUrl}/${encodeURIComponent(this.id)}`;
  }

  private async startS3(): Promise<void> {
    // s3rver is a development dependency without types; the benchmark is a development tool.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require('s3rver');
    const directory = await mkdtemp(path.join(tmpdir(), 'chat-bench-s3-'));
    this.cleanups.push({ what: `remove ${directory}`, run: () => rm(directory, { recursive: true, force: true }) });
    const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
    const { port } = (await s3.run()) as { port: number };
    this.cleanups.push({ what: 'stop s3rver', run: () => s3.close() as Promise<void> });
    Object.assign(this.environment, {
      S3_ENDPOINT: '127.0.0.1',
      S3_PORT: String(port),
      S3_SSL: 'false',
      // s3rver's fixed development credentials.
      S3_ACCESS_KEY: 'S3RVER',
      S3_SECRET_KEY: 'S3RVER',
      S3_BUCKET: this.id.replace(/_/g, '-'),
    });
  }

  private useRedisPrefix(): void {
    const prefix = `${this.id}:`;
    this.cleanups.push({ what: `delete redis keys ${prefix}*`, run: () => deleteRedisKeys(this.services.redisUrl, prefix) });
    Object.assign(this.environment, { SESSION_REDIS: this.services.redisUrl, REDIS_PREFIX: prefix });
  }
}
