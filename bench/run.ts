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
import { createMemoryLimit, type MemoryLimit } from './memory-limit';
import { OptionsError, parseArguments, USAGE, type BenchOptions } from './options';
import { ProcessSampler } from './proc';
import { BenchResources } from './provision';
import { formatReport, formatSweep } from './report';
import { SWEEP_RATES, sweepStep, type SweepStep } from './sweep';

const READY_TIMEOUT_MS = 60_000;

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Drives load against a started server; `rate` overrides the options' rate (a sweep's step). */
type Driver = (rate: number) => Promise<LoadResult>;

/**
 * Gives `use` a driver for a started server process, sampling its memory and CPU, then stops it; a crash during the
 * load is an error.
 */
async function withSampledServer<T>(server: ChildServer, drive: (sampler: ProcessSampler, rate: number, step: number) => Promise<LoadResult>, use: (driver: Driver) => Promise<T>): Promise<T> {
  const sampler = new ProcessSampler(server.pid);
  sampler.start();
  let crashed: number | string | null | undefined;
  void server.exited.then((code) => {
    crashed = code;
  });
  let step = 0;
  try {
    return await use(async (rate) => {
      const result = await drive(sampler, rate, step++);
      if (crashed !== undefined) throw new Error(`server exited (${String(crashed)}) during the load`);
      return result;
    });
  } finally {
    sampler.stop();
    await server.stop();
    const code = await server.exited;
    if (code !== 0) progress(`server ${server.pid} ended with ${String(code)} instead of exiting 0 on SIGTERM`);
  }
}

/**
 * The per-socket message limit raised to what the workload sends (twice its highest rate), so that the measurement
 * is of the message path and not of the limiter; said on stderr at every run.
 */
function socketMessageLimits(highestRate: number): { SOCKET_MESSAGE_RATE: string; SOCKET_MESSAGE_BURST: string } {
  const rate = highestRate * 2;
  const burst = Math.max(10, Math.ceil(rate * 2));
  progress(`per-socket message limit of the chat server raised to ${rate}/s, bursts of ${burst} (SOCKET_MESSAGE_RATE, SOCKET_MESSAGE_BURST), for a workload of up to ${highestRate}/s per client`);
  return { SOCKET_MESSAGE_RATE: String(rate), SOCKET_MESSAGE_BURST: String(burst) };
}

async function withChatServer<T>(options: BenchOptions, highestRate: number, context: RunContext, use: (driver: Driver) => Promise<T>): Promise<T> {
  const { resources, logDirectory, signal, memoryLimit } = context;
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
      ...socketMessageLimits(highestRate),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    path.join(logDirectory, 'chat-server.log'),
    resources.root,
    memoryLimit,
  );
  try {
    await waitUntilReady(`${url}/readyz`, server, READY_TIMEOUT_MS);
    progress(`chat server ready at ${url} (pid ${server.pid}); registering ${options.clients} users`);
    const cookies = await registerUsers(url, options.clients, signal);
    return await withSampledServer(
      server,
      (sampler, rate, step) => {
        progress(`chat: ${options.clients} clients in ${options.rooms} rooms, ${rate} message(s)/s each for ${options.durationSeconds} s`);
        return driveLoad({ url, cookies, sampler, signal, roomsExist: step > 0, servesMetrics: true }, { ...options, rate });
      },
      use,
    );
  } finally {
    await server.stop();
  }
}

async function withBareServer<T>(options: BenchOptions, context: RunContext, use: (driver: Driver) => Promise<T>): Promise<T> {
  const { resources, logDirectory, signal, memoryLimit } = context;
  const { child, server } = spawnNodeScript(
    path.join(resources.root, 'build/bench/bare-server.js'),
    { ...process.env, PORT: '0' },
    path.join(logDirectory, 'bare-server.log'),
    resources.root,
    memoryLimit,
  );
  try {
    const port = await readAnnouncedPort(child, READY_TIMEOUT_MS);
    progress(`bare socket.io server ready on port ${port} (pid ${server.pid})`);
    return await withSampledServer(
      server,
      (sampler, rate, step) => {
        progress(`bare: ${options.clients} clients in ${options.rooms} rooms, ${rate} message(s)/s each for ${options.durationSeconds} s`);
        return driveLoad({ url: `http://127.0.0.1:${port}`, sampler, signal, roomsExist: step > 0 }, { ...options, rate });
      },
      use,
    );
  } finally {
    await server.stop();
  }
}

interface RunContext {
  resources: BenchResources;
  logDirectory: string;
  signal: AbortSignal;
  /** One at a time: the chat server, then the bare one. */
  memoryLimit: MemoryLimit;
}

/** Raises the rate step by step while the server holds it (sweep.ts); the steps that were run. */
async function sweep(driver: Driver, name: string): Promise<SweepStep[]> {
  const steps: SweepStep[] = [];
  for (const rate of SWEEP_RATES) {
    const result = await driver(rate);
    const step = sweepStep(rate, result);
    progress(`${name} at ${rate}/s per client: p95 ${step.p95Ms?.toFixed(1) ?? '-'} ms, ${step.deliveredPercent.toFixed(2)} % delivered: ${step.held ? 'held' : 'not held'}`);
    steps.push(step);
    if (!step.held) break;
  }
  return steps;
}

async function run(options: BenchOptions, context: RunContext): Promise<string> {
  if (options.sweep) {
    const highest = SWEEP_RATES[SWEEP_RATES.length - 1] as number;
    const chat = await withChatServer(options, highest, context, (driver) => sweep(driver, 'chat'));
    const bare = await withBareServer(options, context, (driver) => sweep(driver, 'bare'));
    return formatSweep(options, chat, bare, context.memoryLimit.description);
  }
  const ours = await withChatServer(options, options.rate, context, (driver) => driver(options.rate));
  const bare = await withBareServer(options, context, (driver) => driver(options.rate));
  return formatReport(options, ours, bare, context.memoryLimit.description);
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

  const resources = new BenchResources();
  const memoryLimit = createMemoryLimit(resources.id, options.memoryLimitMiB);
  progress(`servers run ${memoryLimit.description}`);
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
    process.stdout.write(`${await run(options, { resources, logDirectory, signal: interruption.signal, memoryLimit })}\n`);
    await rm(logDirectory, { recursive: true, force: true });
    return 0;
  } catch (error) {
    if (interruption.signal.aborted) return 130;
    progress(`failed: ${error instanceof Error ? error.message : String(error)}`);
    progress(`server logs kept in ${logDirectory}`);
    return 1;
  } finally {
    for (const problem of await resources.release()) progress(`cleanup: ${problem}`);
    try {
      memoryLimit.release();
    } catch (error) {
      progress(`cleanup: memory cgroup not removed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

void main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
