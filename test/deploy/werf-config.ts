/**
 * Reading werf.yaml and the Dockerfiles the way werf would, for test/deploy/werf.test.ts:
 * rendering (go-template.ts), werf's path masks, a small Dockerfile reader, and the build commands
 * and runtime settings of an image whichever syntax describes it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import { ROOT } from '../support/resources';
import { renderGoTemplate, type TemplateEnv } from './go-template';

export { ROOT };

export interface GitMapping {
  add?: string;
  to: string;
  includePaths?: string | string[];
  excludePaths?: string | string[];
  stageDependencies?: Record<string, string | string[]>;
}
export interface ImportSpec {
  from?: string;
  image?: string;
  add: string;
  to?: string;
  includePaths?: string | string[];
  excludePaths?: string | string[];
}
export interface RuntimeConfig {
  user?: string;
  workingDir?: string;
  env?: Record<string, string>;
  expose?: string[];
  cmd?: string[];
}
export interface WerfImage {
  image: string;
  final?: boolean;
  /** An external image, or another image of werf.yaml (werf 2's form; fromImage is deprecated). */
  from?: string;
  git?: GitMapping[];
  import?: ImportSpec[];
  shell?: Record<string, string | string[]>;
  dockerfile?: string;
  context?: string;
  target?: string;
  imageSpec?: { config?: Record<string, unknown> };
}
export interface RenderedConfig {
  documents: Record<string, unknown>[];
  meta: Record<string, unknown>;
  images: Map<string, WerfImage>;
}

export const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : ([] as string[]).concat(value));

export function renderWerfConfig(env: TemplateEnv): RenderedConfig {
  const rendered = renderGoTemplate(readFileSync(path.join(ROOT, 'werf.yaml'), 'utf8'), env);
  const documents = (loadAll(rendered) as unknown[]).filter((doc): doc is Record<string, unknown> => doc !== null && doc !== undefined);
  const [meta, ...imageDocuments] = documents;
  if (!meta) throw new Error('werf.yaml rendered to nothing');
  const images = new Map<string, WerfImage>();
  for (const doc of imageDocuments as unknown as WerfImage[]) {
    if (images.has(doc.image)) throw new Error(`image ${doc.image} is declared twice`);
    images.set(doc.image, doc);
  }
  return { documents, meta, images };
}

export function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
}

/** werf's masks: `*` and `?` stay within one path segment, `**` crosses them, and a mask that names a directory covers everything in it. */
export function maskMatches(mask: string, relativePath: string): boolean {
  const pattern = mask.replace(/\/+$/, '');
  let regex = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      regex += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      regex += '.*';
      i += 1;
    } else if (char === '*') regex += '[^/]*';
    else if (char === '?') regex += '[^/]';
    else regex += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${regex}(?:/.*)?$`).test(relativePath);
}

/** The tracked files a git mapping puts into an image, relative to its `add`. */
export function filesOfMapping(mapping: GitMapping, tracked: string[]): string[] {
  const add = (mapping.add ?? '/').replace(/^\/+/, '');
  const include = list(mapping.includePaths);
  const exclude = list(mapping.excludePaths);
  return tracked
    .filter((file) => add === '' || file === add || file.startsWith(`${add}/`))
    .map((file) => (file === add ? path.basename(file) : file.slice(add === '' ? 0 : add.length + 1)))
    .filter((file) => include.length === 0 || include.some((mask) => maskMatches(mask, file)))
    .filter((file) => !exclude.some((mask) => maskMatches(mask, file)));
}

export interface DockerfileStage {
  name: string;
  /** The FROM argument with ARG defaults substituted: another stage's name or an external image. */
  base: string;
  instructions: { keyword: string; args: string }[];
}

/** Stages of a Dockerfile: continuation lines joined, comments and parser directives dropped, ARG defaults applied to FROM. */
export function readDockerfile(file: string): DockerfileStage[] {
  const text = readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const stages: DockerfileStage[] = [];
  const args = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [image = '', , name] = rest.replace(/\$\{?(\w+)\}?/g, (_m, arg: string) => args.get(arg) ?? '').split(/\s+/);
      stages.push({ name: name ?? String(stages.length), base: image, instructions: [] });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${file}: ${keyword} before FROM`);
      stage.instructions.push({ keyword: upper, args: rest.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/** A build step's commands, one per `&&`, without `cd`: the unit in which the two variants are compared. */
export function commandsOf(script: string): string[] {
  return script
    .split('&&')
    .map((command) => command.trim().replace(/\s+/g, ' '))
    .filter((command) => command && !command.startsWith('cd '));
}

/** Where an image's content comes from, whichever syntax describes it. */
export interface ImageRecipe {
  /** The external base image the final filesystem starts from. */
  baseImage: string;
  /** Every command run to produce the image, including in the images or stages it copies from. */
  commands: string[];
  runtime: RuntimeConfig;
}

/** The image of werf.yaml that an image starts from, if its `from` names one rather than an external image. */
export function fromWerfImage(images: Map<string, WerfImage>, image: WerfImage): WerfImage | undefined {
  return image.from === undefined ? undefined : images.get(image.from);
}

export function stapelRecipe(images: Map<string, WerfImage>, name: string): ImageRecipe {
  const image = images.get(name);
  if (!image) throw new Error(`no image ${name}`);
  const parent = fromWerfImage(images, image);
  const sources = [parent?.image, ...(image.import ?? []).map((spec) => spec.from ?? spec.image)].filter((source): source is string => Boolean(source));
  const commands = Object.values(image.shell ?? {}).flatMap((stage) => list(stage).flatMap(commandsOf));
  for (const source of sources) commands.push(...stapelRecipe(images, source).commands);
  const baseImage = parent ? stapelRecipe(images, parent.image).baseImage : (image.from ?? '');
  const config = (image.imageSpec?.config ?? {}) as RuntimeConfig;
  return { baseImage, commands: [...new Set(commands)].sort(), runtime: normalizeRuntime(config) };
}

export function dockerfileRecipe(stages: DockerfileStage[], target: string): ImageRecipe {
  const stage = stages.find((candidate) => candidate.name === target);
  if (!stage) throw new Error(`no stage ${target}`);
  const parent = stages.find((candidate) => candidate.name === stage.base);
  const inherited = parent ? dockerfileRecipe(stages, parent.name) : undefined;
  const commands = [...(inherited?.commands ?? [])];
  const runtime: RuntimeConfig = { ...inherited?.runtime, env: { ...inherited?.runtime.env } };
  for (const { keyword, args } of stage.instructions) {
    const copyFrom = /--from=(\S+)/.exec(args)?.[1];
    if (keyword === 'RUN') commands.push(...commandsOf(args));
    else if (keyword === 'COPY' && copyFrom) commands.push(...dockerfileRecipe(stages, copyFrom).commands);
    else if (keyword === 'USER') runtime.user = args;
    else if (keyword === 'WORKDIR') runtime.workingDir = args;
    else if (keyword === 'EXPOSE') runtime.expose = args.split(' ');
    else if (keyword === 'CMD') runtime.cmd = JSON.parse(args) as string[];
    else if (keyword === 'ENV') {
      for (const [, key = '', value = ''] of args.matchAll(/(\w+)=(\S+)/g)) (runtime.env as Record<string, string>)[key] = value;
    }
  }
  return { baseImage: inherited?.baseImage ?? stage.base, commands: [...new Set(commands)].sort(), runtime: normalizeRuntime(runtime) };
}

function normalizeRuntime(config: RuntimeConfig): RuntimeConfig {
  const env = Object.fromEntries(Object.entries(config.env ?? {}).map(([key, value]) => [key, String(value)]));
  return {
    user: config.user === undefined ? undefined : String(config.user),
    workingDir: config.workingDir,
    env,
    expose: config.expose?.map(String),
    cmd: config.cmd?.map(String),
  };
}
