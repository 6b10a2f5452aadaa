/**
 * Debian's buildah, as root, with the only isolation that works on these machines (chroot) and the host's
 * network: building images from a Dockerfile and running commands in containers made from them.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { collectLines } from './build';

const run = promisify(execFile);
const ISOLATION = ['--isolation', 'chroot', '--network', 'host'];

/** Runs buildah and returns its stdout; a failure carries buildah's stderr. */
export async function buildah(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('buildah', args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`buildah ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? String(error)}`, { cause: error });
  }
}

export async function imageExists(reference: string): Promise<boolean> {
  return buildah(['inspect', '--type', 'image', reference]).then(
    () => true,
    () => false,
  );
}

export interface BuildOptions {
  context: string;
  dockerfile: string;
  tag: string;
  target?: string;
  buildArgs?: Record<string, string>;
  /** host:container bind mounts for the RUN steps only: nothing of them ends up in the image. */
  volumes?: string[];
  /** Keep every step's result as an image that later builds reuse (buildah's --layers, Docker's build cache). */
  layers?: boolean;
}

/** One instruction of a build and the image it produced (with `layers`, the cache entry). */
export interface BuildStep {
  instruction: string;
  image: string;
}

/**
 * The steps and their images, from bud's "STEP n/m: …" and "--> <id>" lines (FROM produces none). Stages that do not
 * depend on each other may run at the same time and interleave their lines: only the first stage's are certain.
 */
function buildSteps(output: string): BuildStep[] {
  const steps: { instruction: string; image?: string }[] = [];
  for (const line of output.split('\n')) {
    // A RUN step's output need not end with a newline: buildah's own lines can follow it on the same line.
    const step = /(?:^|\] )STEP \d+\/\d+: (.*)$/.exec(line);
    if (step) steps.push({ instruction: step[1] as string });
    const produced = /--> ([0-9a-f]{11,64})$/.exec(line);
    const current = steps.at(-1);
    if (produced && current) current.image = produced[1];
  }
  return steps.filter((step): step is BuildStep => step.image !== undefined);
}

/** `buildah bud`; returns the steps with the images they produced (see buildSteps). */
export async function buildImage(options: BuildOptions): Promise<BuildStep[]> {
  const args = ['bud', ...ISOLATION, '-f', options.dockerfile, '-t', options.tag];
  if (options.layers) args.push('--layers');
  if (options.target) args.push('--target', options.target);
  for (const [name, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`);
  for (const volume of options.volumes ?? []) args.push('-v', volume);
  return buildSteps(await buildah([...args, options.context]));
}

/** The parts of an image's OCI configuration that tests look at. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Cmd?: string[];
  WorkingDir?: string;
}

export async function imageConfig(reference: string): Promise<ImageConfig> {
  const inspected = JSON.parse(await buildah(['inspect', '--type', 'image', reference])) as { OCIv1: { config: ImageConfig } };
  return inspected.OCIv1.config;
}

/** The size of an image as `buildah images` reports it (e.g. "364 MB"). */
export async function imageSize(reference: string): Promise<string> {
  return (await buildah(['images', '--format', '{{.Size}}', reference])).trim();
}

export interface RunOptions {
  env: Record<string, string>;
  /** A host folder mounted at /tmp: the only writable place, like the chart's emptyDir. */
  tmp: string;
}

export interface Finished {
  code: number | null;
  output: string;
}

export interface Running {
  /** Every line written to stdout or stderr so far. */
  lines: string[];
  exited: Promise<Finished>;
  /** Resolves with the first line matching `pattern`; rejects if the process ends first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Sends `signal` to the command itself, as the kubelet does to a container's main process; false once it is gone. */
  signal(signal: NodeJS.Signals): boolean;
}

/** A file of /proc, or '' when its process has just ended. */
function readProc(file: string): string {
  try {
    return readFileSync(`/proc/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/** Host processes below `pid` (buildah's chroot isolation shares the host's PID namespace). */
function descendants(pid: number): number[] {
  const tasks = existsSync(`/proc/${pid}/task`) ? readdirSync(`/proc/${pid}/task`) : [];
  const children = tasks.flatMap((task) => readProc(`${pid}/task/${task}/children`).split(' ').filter(Boolean).map(Number));
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/**
 * A working container of an image, run the way the chart runs its pods: as the given uid:gid, every top-level
 * folder of the image mounted read-only over itself (buildah has no --read-only; / itself is root's, 0755),
 * and only /tmp writable.
 */
export class Container {
  private constructor(
    readonly name: string,
    readonly root: string,
    private readonly readOnlyMounts: string[],
  ) {}

  static async from(image: string): Promise<Container> {
    const name = (await buildah(['from', '--pull-never', image])).trim();
    const root = (await buildah(['mount', name])).trim();
    // Folders only (bin, lib… are symlinks into usr); /dev, /proc, /sys and /run are buildah's, /tmp is the test's.
    const kernelOwned = new Set(['dev', 'proc', 'sys', 'run', 'tmp']);
    const folders = readdirSync(root, { withFileTypes: true }).filter((entry) => entry.isDirectory() && !kernelOwned.has(entry.name));
    return new Container(
      name,
      root,
      folders.flatMap((entry) => ['-v', `${path.join(root, entry.name)}:/${entry.name}:ro`]),
    );
  }

  /** Starts `command` in the container; `exited` resolves with its exit code (buildah passes it on). */
  start(command: string[], options: RunOptions & { user: string }): Running {
    const env = Object.entries(options.env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
    // --no-hosts: with /etc read-only buildah cannot put its own /etc/hosts there; the tests use 127.0.0.1.
    const args = ['run', ...ISOLATION, '--no-hosts', '--user', options.user, ...this.readOnlyMounts, '-v', `${options.tmp}:/tmp`, ...env, this.name, '--', ...command];
    const child = spawn('buildah', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const { lines, waitForLine } = collectLines(child);
    const exited = new Promise<Finished>((resolve) => child.on('close', (code) => resolve({ code, output: lines.join('\n') })));
    const program = command[0] ?? '';
    return {
      lines,
      exited,
      waitForLine: (pattern) =>
        Promise.race([
          waitForLine(pattern),
          exited.then(({ code, output }) => Promise.reject(new Error(`${command.join(' ')} exited (${code}) before printing ${pattern}:\n${output}`))),
        ]),
      signal: (signal) => {
        // buildah itself answers a SIGTERM by killing the command, so the command's own process gets the signal.
        const target = descendants(child.pid as number).find((pid) => path.basename(readProc(`${pid}/cmdline`).split('\0')[0] ?? '') === program);
        if (target) process.kill(target, signal);
        return target !== undefined;
      },
    };
  }

  /** Runs `command` to its end. */
  run(command: string[], options: RunOptions & { user: string }): Promise<Finished> {
    return this.start(command, options).exited;
  }

  async remove(): Promise<void> {
    await buildah(['rm', this.name]);
  }
}
