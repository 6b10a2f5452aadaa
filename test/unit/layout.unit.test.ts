/**
 * The server's layout rules, checked on the import statements: a feature folder imports no HTTP plumbing and no
 * other feature's internals (only its index), and the shared plumbing imports no feature at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SERVER = path.resolve(__dirname, '../../node/server');
const FEATURES = ['auth', 'avatars', 'health', 'messages', 'rooms', 'search', 'users'];
const PLUMBING_FOLDERS = ['events', 'http', 'realtime'];
/** Entry points and the composition root: they wire features together, so they may import any of them. */
const WIRING = new Set(['app.ts', 'services.ts', 'main.ts', 'launch.ts']);

function sourcesIn(folder: string): string[] {
  return readdirSync(path.join(SERVER, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(SERVER, folder, file));
}

/** Each relative import of a file, as the path (below node/server) it resolves to. */
function importsOf(file: string): string[] {
  const specifiers = [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)].map((match) => match[1] as string);
  return specifiers.map((specifier) => path.relative(SERVER, path.resolve(path.dirname(file), specifier)));
}

const topFolder = (relative: string): string => relative.split(path.sep)[0] as string;

test.each(FEATURES)('feature %s imports no http/ and only the index of another feature', (feature) => {
  const offending = sourcesIn(feature).flatMap((file) =>
    importsOf(file)
      .filter((target) => {
        const folder = topFolder(target);
        if (folder === 'http') return true;
        // `../rooms` resolves to "rooms" itself: the index, the feature's public face.
        return FEATURES.includes(folder) && folder !== feature && target !== folder;
      })
      .map((target) => `${path.relative(SERVER, file)} -> ${target}`),
  );
  expect(offending).toEqual([]);
});

test('the shared plumbing imports no feature', () => {
  const plumbing = [
    ...PLUMBING_FOLDERS.flatMap(sourcesIn),
    ...readdirSync(SERVER)
      .filter((file) => file.endsWith('.ts') && !WIRING.has(file))
      .map((file) => path.join(SERVER, file)),
  ];
  expect(plumbing.length).toBeGreaterThan(10);
  const offending = plumbing.flatMap((file) =>
    importsOf(file)
      .filter((target) => FEATURES.includes(topFolder(target)))
      .map((target) => `${path.relative(SERVER, file)} -> ${target}`),
  );
  expect(offending).toEqual([]);
});
