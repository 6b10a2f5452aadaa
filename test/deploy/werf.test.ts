/**
 * werf.yaml, rendered for both build variants, against werf's published schema and against the repository:
 * the files it adds exist, its imports resolve, both variants build the same images with the same
 * commands and the same runtime settings, and those commands are the repository's own npm scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { load } from 'js-yaml';
import { buildInputs } from './build-inputs';
import { envVariablesRead, TemplateFailError } from './go-template';
import {
  dockerfileRecipe,
  filesOfMapping,
  fromWerfImage,
  list,
  maskMatches,
  readDockerfile,
  renderWerfConfig,
  ROOT,
  stapelRecipe,
  trackedFiles,
  type ImageRecipe,
  type RenderedConfig,
  type WerfImage,
} from './werf-config';

const SCHEMA = path.resolve(ROOT, '../shared/schemas/werf.schema.json');
const VARIANTS = { stapel: { CHAT_BUILDER: 'stapel' }, dockerfile: { CHAT_BUILDER: 'dockerfile' } } as const;
/** What the Node runtime image may hold, relative to its working directory. */
const NODE_RUNTIME_PATHS = ['package.json', 'node_modules', 'build', 'dist', 'migrations'];

const tracked = trackedFiles();
const configs = { stapel: renderWerfConfig(VARIANTS.stapel), dockerfile: renderWerfConfig(VARIANTS.dockerfile) };
const packageScripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

const finalNames = (config: RenderedConfig): string[] =>
  [...config.images.values()].filter((image) => image.final !== false).map((image) => image.image).sort();

function dockerfileRecipeOf(image: WerfImage): ImageRecipe {
  const context = path.join(ROOT, image.context ?? '.');
  const stages = readDockerfile(path.join(context, image.dockerfile as string));
  return dockerfileRecipe(stages, image.target ?? (stages.at(-1)?.name as string));
}

describe('werf.yaml', () => {
  it('renders the Stapel variant by default and refuses an unknown builder with a clear message', () => {
    expect(renderWerfConfig({}).documents).toEqual(configs.stapel.documents);
    expect(() => renderWerfConfig({ CHAT_BUILDER: 'kaniko' })).toThrow(new TemplateFailError('CHAT_BUILDER must be stapel or dockerfile'));
  });

  it('reads only environment variables that werf-giterminism.yaml allows', () => {
    const giterminism = load(readFileSync(path.join(ROOT, 'werf-giterminism.yaml'), 'utf8')) as {
      giterminismConfigVersion: number;
      config: { goTemplateRendering: { allowEnvVariables: string[] } };
    };
    expect(giterminism.giterminismConfigVersion).toBe(1);
    const read = envVariablesRead(readFileSync(path.join(ROOT, 'werf.yaml'), 'utf8'));
    expect(read).toEqual(['CHAT_BUILDER']);
    expect(giterminism.config.goTemplateRendering.allowEnvVariables).toEqual(expect.arrayContaining(read));
  });

  describe.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])('the %s variant', (variant) => {
    const config = configs[variant];

    it('validates, document by document, against werf’s schema', () => {
      const ajv = new Ajv({ allErrors: true, strict: false });
      const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
      const problems = config.documents.flatMap((doc, index) => {
        const name = String(doc.image ?? 'meta');
        return validate(doc) ? [] : [`document ${index} (${name}): ${ajv.errorsText(validate.errors)}`];
      });
      expect(problems).toEqual([]);
      expect(config.meta).toMatchObject({ project: 'chat', configVersion: 1 });
      // werf 2's forms: an image of werf.yaml as a base is `from: <image>`; fromImage and fromArtifact are deprecated.
      expect(config.documents.filter((doc) => 'fromImage' in doc || 'fromArtifact' in doc).map((doc) => doc.image)).toEqual([]);
    });

    it('adds only tracked files, and every stage dependency matches a file the mapping adds', () => {
      const problems: string[] = [];
      for (const image of config.images.values()) {
        for (const mapping of image.git ?? []) {
          const where = `${image.image} git ${mapping.add ?? '/'}`;
          const files = filesOfMapping(mapping, tracked);
          if (files.length === 0) problems.push(`${where}: adds no tracked file`);
          for (const mask of list(mapping.includePaths)) {
            if (!filesOfMapping({ ...mapping, includePaths: [mask] }, tracked).length) problems.push(`${where}: includePaths ${mask} matches nothing`);
          }
          for (const [stage, masks] of Object.entries(mapping.stageDependencies ?? {})) {
            for (const mask of list(masks)) {
              if (!files.some((file) => maskMatches(mask, file))) problems.push(`${where}: stageDependencies.${stage} ${mask} matches no added file`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });

    it('starts from and imports from images it declares, from paths those images have', () => {
      for (const image of config.images.values()) {
        // A `from` without a tag or digest is another image of werf.yaml, never an external `latest`.
        if (image.from && !/[:@]/.test(image.from)) expect([image.image, fromWerfImage(config.images, image)?.image]).toEqual([image.image, image.from]);
        for (const spec of image.import ?? []) {
          const source = config.images.get(spec.from ?? spec.image ?? '');
          expect(source).toBeDefined();
          // The source (or the image it starts from) puts its files under a git `to` that contains the imported path.
          const roots: string[] = [];
          for (let current = source; current; current = fromWerfImage(config.images, current)) {
            roots.push(...(current.git ?? []).map((mapping) => mapping.to));
          }
          expect(roots.some((root) => spec.add === root || spec.add.startsWith(`${root}/`))).toBe(true);
        }
      }
    });

    it('builds Dockerfile images from tracked Dockerfiles, existing targets and tracked sources', () => {
      for (const image of config.images.values()) {
        if (!image.dockerfile) continue;
        const context = image.context ?? '.';
        const dockerfile = path.posix.join(context, image.dockerfile);
        expect(tracked).toContain(dockerfile);
        const stages = readDockerfile(path.join(ROOT, dockerfile));
        if (image.target) expect(stages.map((stage) => stage.name)).toContain(image.target);
        for (const stage of stages) {
          for (const { keyword, args } of stage.instructions) {
            if (keyword !== 'COPY' || args.includes('--from=')) continue;
            const sources = args.split(' ').slice(0, -1);
            for (const source of sources) {
              const inContext = path.posix.normalize(path.posix.join(context, source)).replace(/\/$/, '');
              expect([inContext, tracked.some((file) => file === inContext || file.startsWith(`${inContext}/`))]).toEqual([inContext, true]);
            }
          }
        }
      }
    });
  });

  it('declares the same final images in both variants, and the images CI runs in', () => {
    expect(finalNames(configs.stapel)).toEqual(['node', 'node_assets', 'python']);
    expect(finalNames(configs.dockerfile)).toEqual(finalNames(configs.stapel));
    const pipeline = readFileSync(path.join(ROOT, '.gitlab-ci.yml'), 'utf8');
    const ciImages = [...pipeline.matchAll(/werf kube-run\s+(?:--\S+\s+)*([\w-]+)/g)].map((match) => match[1] as string);
    expect(ciImages.length).toBeGreaterThan(0);
    for (const name of ciImages) {
      expect([name, configs.stapel.images.has(name), configs.dockerfile.images.has(name)]).toEqual([name, true, true]);
    }
  });

  describe.each(['node-build', 'node', 'node_assets', 'python'])('image %s', (name) => {
    const stapel = stapelRecipe(configs.stapel.images, name);
    const dockerfile = dockerfileRecipeOf(configs.dockerfile.images.get(name) as WerfImage);

    it('is built from the same pinned base image and with the same commands in both variants', () => {
      expect(dockerfile.baseImage).toBe(stapel.baseImage);
      expect(stapel.baseImage).toMatch(/^[\w./-]+:\d+\.\d+\.\d+-[\w.-]+$/);
      expect(dockerfile.commands).toEqual(stapel.commands);
    });

    it('runs with the same user, directory, environment, port and command in both variants', () => {
      expect(dockerfile.runtime).toEqual(stapel.runtime);
      // Deployed images run as non-root, by number so that Kubernetes can check runAsNonRoot
      // (node-build is never deployed: CI runs lint and tests in it as root).
      if (name !== 'node-build') expect(stapel.runtime.user).toMatch(/^[1-9]\d*$/);
    });

    it('builds with the repository’s own npm scripts, never with the tools directly', () => {
      for (const command of stapel.commands) {
        expect(command).not.toMatch(/^(npx|tsc|webpack|jest|node_modules)/);
        const script = /^npm run (\S+)/.exec(command)?.[1];
        if (script) expect(packageScripts).toHaveProperty([script]);
      }
    });
  });

  it('compiles both halves of the app with package.json’s build and ships the Node server without devDependencies', () => {
    const expand = (script: string): string =>
      (packageScripts[script] ?? '').replace(/npm run (\S+)/g, (_match, inner: string) => expand(inner));
    expect(expand('build')).toMatch(/tsc -p tsconfig\.build\.json/);
    expect(expand('build')).toMatch(/webpack --mode production/);
    expect(stapelRecipe(configs.stapel.images, 'node-build').commands).toEqual(['npm ci', 'npm run build']);
    expect(stapelRecipe(configs.stapel.images, 'node').commands).toEqual(['npm ci', 'npm prune --omit=dev', 'npm run build']);
  });

  describe('node-build is rebuilt for every file `npm run build` reads (tsc and webpack, as they resolve their inputs)', () => {
    const inputs = buildInputs();

    it('finds the compilers’ inputs: the server, the bench, the fixtures, the client with its stylesheet and page', () => {
      for (const prefix of ['node/server/', 'node/shared/', 'node/client/', 'bench/', 'fixtures/']) {
        expect([prefix, inputs.some((file) => file.startsWith(prefix))]).toEqual([prefix, true]);
      }
      expect(inputs).toEqual(expect.arrayContaining(['tsconfig.json', 'tsconfig.build.json', 'webpack.config.js', 'node/client/index.html', 'node/client/styles.css']));
    });

    it('Stapel: a stage dependency up to the setup stage (which runs the build) matches every input', () => {
      const [mapping] = configs.stapel.images.get('node-build')?.git ?? [];
      const masks = ['install', 'setup'].flatMap((stage) => list(mapping?.stageDependencies?.[stage]));
      expect(inputs.filter((file) => !masks.some((mask) => maskMatches(mask, file)))).toEqual([]);
    });

    it('Dockerfile: the build stage copies every input before it runs the build', () => {
      const build = readDockerfile(path.join(ROOT, 'node/Dockerfile')).find((stage) => stage.name === 'build');
      const instructions = build?.instructions ?? [];
      const buildAt = instructions.findIndex(({ keyword, args }) => keyword === 'RUN' && args === 'npm run build');
      expect(buildAt).toBeGreaterThan(0);
      const copied = instructions
        .slice(0, buildAt)
        .filter(({ keyword }) => keyword === 'COPY')
        .flatMap(({ args }) => args.split(' ').slice(0, -1));
      expect(inputs.filter((file) => !copied.some((source) => file === source || file.startsWith(`${source.replace(/\/$/, '')}/`)))).toEqual([]);
    });
  });

  it('puts only what runs into the runtime images', () => {
    const node = configs.stapel.images.get('node') as WerfImage;
    expect(node.git).toBeUndefined();
    for (const spec of node.import ?? []) {
      expect(spec.to).toBe('/app');
      expect(list(spec.includePaths).sort()).toEqual([...NODE_RUNTIME_PATHS].sort());
    }
    const runtime = readDockerfile(path.join(ROOT, 'node/Dockerfile')).find((stage) => stage.name === 'runtime');
    const copies = (runtime?.instructions ?? []).filter((instruction) => instruction.keyword === 'COPY');
    expect(copies.every(({ args }) => args.startsWith('--from='))).toBe(true);
    expect(copies.map(({ args }) => path.posix.basename(args.split(' ')[1] as string)).sort()).toEqual([...NODE_RUNTIME_PATHS].sort());

    // The command the image runs is the compiled form of a tracked source file.
    const [, entry] = stapelRecipe(configs.stapel.images, 'node').runtime.cmd ?? [];
    expect(tracked).toContain(String(entry).replace(/^build\//, '').replace(/\.js$/, '.ts'));

    const python = configs.stapel.images.get('python') as WerfImage;
    const pythonFiles = python.git?.flatMap((mapping) => filesOfMapping(mapping, tracked)) ?? [];
    expect(pythonFiles).toContain('requirements.txt');
    expect(pythonFiles.some((file) => file.startsWith('chat_workers/greeter'))).toBe(true);
    // node/shared/limits.json, added alone to chat_workers/limits.json: the limits both languages read.
    expect(pythonFiles.filter((file) => !/^(requirements\.txt|chat_workers\/.+\.py|limits\.json)$/.test(file))).toEqual([]);
  });

  it('keeps repository clutter and secrets out of a plain docker build context too', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', '.data', 'build', 'dist', '.env', '.werf_secret_key']));
    expect(existsSync(path.join(ROOT, 'python/.dockerignore'))).toBe(true);
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain('.werf_secret_key');
  });
});
