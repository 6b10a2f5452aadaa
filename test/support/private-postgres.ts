/**
 * A PostgreSQL cluster of a test's own (initdb and pg_ctl of the installed server, run as the postgres user, on a free
 * port, data in a temporary folder), for tests that stop and start the database: the shared one is never touched.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './tcp-gate';

const run = promisify(execFile);

/** The newest installed server's programs (/usr/lib/postgresql/<major>/bin). */
function binaries(): string {
  const majors = readdirSync('/usr/lib/postgresql').filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  if (!majors[0]) throw new Error('no PostgreSQL server in /usr/lib/postgresql');
  return path.join('/usr/lib/postgresql', majors[0], 'bin');
}

export interface PrivatePostgres {
  /** The cluster's `postgres` database, trust authentication. */
  url: string;
  start(): Promise<void>;
  /** A fast shutdown: open connections are cut, as in a restart or a failover. */
  stop(): Promise<void>;
  remove(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binaries();
  const directory = await mkdtemp(path.join(tmpdir(), 'chat-pg-'));
  const data = path.join(directory, 'data');
  // PostgreSQL refuses to run as root: when the tests do, its programs run as the postgres user.
  const asPostgres = async (program: string, args: string[]) => {
    const command = path.join(bin, program);
    return userInfo().uid === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  };
  if (userInfo().uid === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    await chown(directory, Number(stdout.trim()), Number(group.trim()));
  }
  await asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(directory, 'server.log'), '-w', 'start']);
  };
  const stop = async () => {
    await asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    remove: async () => {
      await stop().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
