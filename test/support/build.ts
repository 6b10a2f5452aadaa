/**
 * A private production build (tsc -p tsconfig.build.json) for tests that spawn `node .../main.js`:
 * its own folder under build/, so parallel test files never read each other's half-written output.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, uniqueName } from './resources';

const run = promisify(execFile);

export interface PrivateBuild {
  /** Path of a compiled file, e.g. file('node/server/main.js'). */
  file(relative: string): string;
  remove(): Promise<void>;
}

export async function buildServer(): Promise<PrivateBuild> {
  const outDir = path.join(ROOT, 'build', `.test-${uniqueName('build')}`);
  // tsc emits even when another engineer's file has a type error; what matters here is that our files were emitted.
  await run(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: ROOT }).catch(() => undefined);
  const main = path.join(outDir, 'node/server/main.js');
  if (!existsSync(main)) throw new Error(`the build did not produce ${main}`);
  return { file: (relative) => path.join(outDir, relative), remove: () => rm(outDir, { recursive: true, force: true }) };
}

export interface Spawned {
  child: ChildProcess;
  /** Every line written to stdout or stderr so far. */
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves with the first log line matching `pattern`. */
  waitForLine(pattern: RegExp): Promise<string>;
}

/** The lines a child writes to stdout and stderr, and a wait for one of them. */
export function collectLines(child: ChildProcess): Pick<Spawned, 'lines' | 'waitForLine'> {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts.filter(Boolean)) {
      lines.push(line);
      for (const waiter of waiters.filter((candidate) => candidate.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    lines,
    waitForLine: (pattern) => {
      const found = lines.find((line) => pattern.test(line));
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

/** Runs a compiled entry point (main.js by default) of a private build with exactly `env` (plus PATH). */
export function spawnBuilt(build: PrivateBuild, env: NodeJS.ProcessEnv, script = 'node/server/main.js'): Spawned {
  const child = spawn(process.execPath, [build.file(script)], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, ...collectLines(child) };
}

/** Runs main.js of a private build (PORT=0) and resolves once it listens, with its URL; rejects if it exits first. */
export async function startBuiltServer(build: PrivateBuild, env: NodeJS.ProcessEnv): Promise<Spawned & { url: string }> {
  const spawned = spawnBuilt(build, { ...env, PORT: '0' });
  const listening = await Promise.race([
    spawned.waitForLine(/"msg":"listening"/),
    spawned.exited.then((code) => Promise.reject(new Error(`main.js exited with ${code}:\n${spawned.lines.join('\n')}`))),
  ]);
  const { port } = JSON.parse(listening) as { port: number };
  return { ...spawned, url: `http://127.0.0.1:${port}` };
}
