/**
 * A private production build (tsc -p tsconfig.build.json) for tests that spawn `node .../main.js`:
 * its own folder under build/, so parallel test files never read each other's half-written output.
 */
import { execFile } from 'node:child_process';
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
