/** Two production builds of the server (`node build/.../main.js`) on one database, one vhost, one S3 and one Redis prefix. */
import { seed } from '../../fixtures/seed';
import { loadConfig } from '../../node/server/config';
import { buildServer, startBuiltServer, type Spawned } from '../support/build';
import { createTestDatabase, createTestPool, createTestVhost, startTestS3, uniqueRedisPrefix } from '../support/resources';
import { removeRedisPrefix, testEnvironment } from '../support/server';

export type ServerProcess = Spawned & { url: string };

export interface TwoProcesses {
  processes: [ServerProcess, ServerProcess];
  databaseUrl: string;
  /** Kills what still runs (a clean shutdown is not what these tests check) and drops the resources. */
  remove(): Promise<void>;
}

/** Builds, seeds the database and starts both processes with the test environment plus `changes`. */
export async function startTwoProcesses(changes: NodeJS.ProcessEnv = {}): Promise<TwoProcesses> {
  const [build, database, vhost, s3] = await Promise.all([buildServer(), createTestDatabase(), createTestVhost(), startTestS3()]);
  const redisPrefix = uniqueRedisPrefix();
  const environment = { ...testEnvironment({ databaseUrl: database.url, vhost, s3, redisPrefix }), ...changes };
  const pool = createTestPool(database.url);
  await seed(pool, loadConfig(environment)).finally(() => pool.end());
  const processes: [ServerProcess, ServerProcess] = await Promise.all([startBuiltServer(build, environment), startBuiltServer(build, environment)]);
  return {
    processes,
    databaseUrl: database.url,
    remove: async () => {
      for (const server of processes) server.child.kill('SIGKILL');
      await Promise.allSettled([...processes.map((server) => server.exited)]);
      await Promise.allSettled([build.remove(), database.drop(), vhost.drop(), s3.stop(), removeRedisPrefix(redisPrefix)]);
    },
  };
}
