/**
 * The servers under test run as child processes of the benchmark, so their memory and CPU are
 * their own and a crash shows up as an exit, not as a hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MemoryLimit } from './memory-limit';

export interface ChildServer {
  pid: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL if it has not exited within graceMs. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * What the node image sets for the process itself, beside the app's configuration (node/Dockerfile, werf.yaml), so
 * that the servers under test run as they would there; test/deploy/consistency.test.ts keeps the three equal.
 */
export const IMAGE_PROCESS_ENV = { MALLOC_MMAP_THRESHOLD_: '131072', NODE_OPTIONS: '--max-semi-space-size=16' } as const;

/**
 * Starts `node <script>` with stdout and stderr appended to logFile, in the node image's process environment and under
 * `memoryLimit` (memory-limit.ts).
 */
export function spawnNodeScript(
  script: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
  cwd: string,
  memoryLimit: Pick<MemoryLimit, 'wrap'>,
): { child: ChildProcess; server: ChildServer } {
  const log = createWriteStream(logFile, { flags: 'a' });
  const { command, args } = memoryLimit.wrap(process.execPath, [script]);
  const child = spawn(command, args, { cwd, env: { ...env, ...IMAGE_PROCESS_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  if (child.pid === undefined) throw new Error(`could not start ${script}`);
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
  });
  void exited.then(() => log.end());
  const pid = child.pid;
  return {
    child,
    server: {
      pid,
      exited,
      stop: async (graceMs = 10_000) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const result = await Promise.race([exited, sleep(graceMs, 'timeout' as const, { ref: false })]);
        if (result === 'timeout') {
          child.kill('SIGKILL');
          await exited;
        }
      },
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that need PORT up front). */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

/** Polls url until it answers 200, failing early if the process exits. */
export async function waitUntilReady(url: string, server: ChildServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | null | undefined;
  void server.exited.then((code) => {
    exitedWith = code;
  });
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`server exited (${String(exitedWith)}) before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** Waits for the first stdout line of the form {"port": N} (how the bare server announces itself). */
export async function readAnnouncedPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  const stdout = child.stdout;
  if (!stdout) throw new Error('child has no stdout');
  let buffered = '';
  const announced = new Promise<number>((resolve, reject) => {
    stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) {
        try {
          const parsed = JSON.parse(line) as { port?: unknown };
          if (typeof parsed.port === 'number') resolve(parsed.port);
        } catch {
          // Not a complete JSON line yet.
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`bare server exited (${String(code)}) before it announced its port`)));
  });
  // Its later rejection (the process exiting after a timeout) is not a second error.
  announced.catch(() => undefined);
  const timeout = sleep(timeoutMs, null, { ref: false });
  const port = await Promise.race([announced, timeout]);
  if (port === null) throw new Error(`no port announced within ${timeoutMs} ms`);
  return port;
}
