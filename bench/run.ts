/**
 * `npm run bench`: the chat server under a socket.io load, then the same load against a bare
 * socket.io broadcast server, and the ratio of the two. Everything runs on 127.0.0.1 with
 * throwaway resources, and stops by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { registerUsers } from './accounts';
import { freePort, readAnnouncedPort, spawnNodeScript, waitUntilReady, type ChildServer } from './child';
import { driveLoad, type LoadResult } from './load';
import { OptionsError, parseArguments, USAGE, type BenchOptions } from './options';
import { ProcessSampler } from './proc';
import { BenchResources } from './provision';
import { formatReport } from './report';
import { MESSAGE_RATE } from '../node/server/realtime/token-bucket';

const READY_TIMEOUT_MS = 60_000;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Measures `load` against a started server process, then stops it; a crash during the load is an error. */
async function measure(server: ChildServer, load: (sampler: ProcessSampler) => Promise<LoadResult>): Promise<LoadResult> {
  const sampler = new ProcessSampler(server.pid);
  sampler.start();
  let crashed: number | string | null | undefined;
  void server.exited.then((code) => {
    crashed = code;
  });
  try {
    const result = await load(sampler);
    if (crashed !== undefined) throw new Error(`server exited (${String(crashed)}) during the load`);
    return result;
  } finally {
    sampler.stop();
    await server.stop();
    const code = await server.exited;
    if (code !== 0) progress(`server ${server.pid} ended with ${String(code)} instead of exiting 0 on SIGTERM`);
  }
}

async function benchChat(options: BenchOptions, resources: BenchResources, logDirectory: string, signal: AbortSignal): Promise<LoadResult> {
  progress(`provisioning database, vhost, redis prefix and s3rver (${resources.id})`);
  const environment = await resources.provision();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { server } = spawnNodeScript(
    path.join(resources.root, 'build/node/server/main.js'),
    {
      ...process.env,
      ...environment,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      COOKIE_SECRET: randomBytes(32).toString('base64url'),
      // Plain HTTP on loopback: a Secure cookie would never be sent back.
      COOKIE_SECURE: 'false',
      // Every benchmark user registers from 127.0.0.1; the production limit would refuse most of them.
      RATE_LIMIT_PER_IP: String(options.clients * 2 + 100),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    path.join(logDirectory, 'chat-server.log'),
    resources.root,
  );
  try {
    await waitUntilReady(`${url}/readyz`, server, READY_TIMEOUT_MS);
    progress(`chat server ready at ${url} (pid ${server.pid}); registering ${options.clients} users`);
    const cookies = await registerUsers(url, options.clients, signal);
    progress(`driving ${options.clients} clients in ${options.rooms} rooms for ${options.durationSeconds} s`);
    return await measure(server, (sampler) => driveLoad({ url, cookies, sampler, signal }, options));
  } finally {
    await server.stop();
  }
}

async function benchBare(options: BenchOptions, root: string, logDirectory: string, signal: AbortSignal): Promise<LoadResult> {
  const { child, server } = spawnNodeScript(
    path.join(root, 'build/bench/bare-server.js'),
    { ...process.env, PORT: '0' },
    path.join(logDirectory, 'bare-server.log'),
    root,
  );
  try {
    const port = await readAnnouncedPort(child, READY_TIMEOUT_MS);
    progress(`bare socket.io server ready on port ${port} (pid ${server.pid}); same load`);
    return await measure(server, (sampler) => driveLoad({ url: `http://127.0.0.1:${port}`, sampler, signal }, options));
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    const parsed = parseArguments(process.argv.slice(2), process.env);
    if (parsed.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    options = parsed.options;
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${error.problems.join('\n')}\n\n${USAGE}`);
    return 2;
  }

  if (options.rate > MESSAGE_RATE.refillPerSecond) {
    progress(`--rate ${options.rate} is above the server's limit of ${MESSAGE_RATE.refillPerSecond} messages/s per socket: expect "ack errors" from the chat server`);
  }
  const resources = new BenchResources();
  const logDirectory = await mkdtemp(path.join(tmpdir(), 'chat-bench-logs-'));
  const interruption = new AbortController();
  const interrupt = () => {
    // A second Ctrl-C leaves at once, cleaning up nothing.
    if (interruption.signal.aborted) process.exit(130);
    progress('interrupted: stopping servers and removing resources (again to quit at once)');
    interruption.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    const ours = await benchChat(options, resources, logDirectory, interruption.signal);
    const bare = await benchBare(options, resources.root, logDirectory, interruption.signal);
    process.stdout.write(`${formatReport(options, ours, bare)}\n`);
    await rm(logDirectory, { recursive: true, force: true });
    return 0;
  } catch (error) {
    if (interruption.signal.aborted) return 130;
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    progress(`server logs kept in ${logDirectory}`);
    return 1;
  } finally {
    for (const problem of await resources.release()) progress(`cleanup: ${problem}`);
  }
}

void main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
