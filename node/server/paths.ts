import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root, from the sources (node/server) or the build (build/node/server). */
export function projectRoot(start = __dirname): string {
  let directory = start;
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${start}`);
    directory = parent;
  }
  return directory;
}
