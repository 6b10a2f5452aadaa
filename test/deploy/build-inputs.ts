/**
 * The repository files `npm run build` reads, as the compilers themselves find them: the TypeScript program of
 * tsconfig.build.json (tsc), the program webpack bundles from webpack.config.js's entries with the stylesheets
 * they import and the page template, and the config files. Packages are left out: package-lock.json stands for them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { ROOT } from '../support/resources';

interface WebpackConfig {
  entry: Record<string, string>;
  plugins: { userOptions?: { template?: string } }[];
}

const relative = (file: string): string => path.relative(ROOT, path.resolve(ROOT, file)).split(path.sep).join('/');

function parseTsconfig(file: string): ts.ParsedCommandLine {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, file), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
    throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  } });
  if (!parsed) throw new Error(`cannot read ${file}`);
  return parsed;
}

/** The tsconfig file and every file it extends. */
function tsconfigChain(file: string): string[] {
  const { config } = ts.readConfigFile(path.join(ROOT, file), ts.sys.readFile) as { config: { extends?: string } };
  return [file, ...(config.extends ? tsconfigChain(path.join(path.dirname(file), config.extends)) : [])];
}

/** The repository's files in the program (not packages), with the stylesheets they import (webpack's css-loader). */
function programFiles(rootNames: string[], options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(rootNames, options);
  const sources = program.getSourceFiles().map((source) => source.fileName).filter((file) => !file.includes('/node_modules/'));
  const stylesheets = sources.flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.filter(({ fileName }) => fileName.startsWith('.') && fileName.endsWith('.css'))
      .map(({ fileName }) => path.resolve(path.dirname(file), fileName)),
  );
  return [...sources, ...stylesheets].map(relative);
}

/** Every repository file `npm run build` reads (build:server, then build:client), sorted. */
export function buildInputs(): string[] {
  const server = parseTsconfig('tsconfig.build.json');
  const loadConfig = createRequire(path.join(ROOT, 'webpack.config.js')) as (id: string) => (env: unknown, argv: { mode: string }) => WebpackConfig;
  const webpack = loadConfig(path.join(ROOT, 'webpack.config.js'))({}, { mode: 'production' });
  const templates = webpack.plugins.flatMap((plugin) => plugin.userOptions?.template ?? []);
  const files = [
    ...tsconfigChain('tsconfig.build.json'),
    ...programFiles(server.fileNames, server.options),
    'webpack.config.js',
    ...programFiles(Object.values(webpack.entry).map((entry) => path.join(ROOT, entry)), parseTsconfig('tsconfig.json').options),
    ...templates,
  ];
  return [...new Set(files.map(relative))].sort();
}
