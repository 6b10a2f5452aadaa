/**
 * `--memory-limit`: the servers under test run in a memory cgroup, as Kubernetes runs a container with a memory limit.
 * Node sizes its heap from the limit it finds (259 MiB of heap in 512 MiB), not from the machine's memory (4 GiB of
 * heap on 24 GiB); with the production app container's limit the server's RSS is what a deployment sees. Not the
 * default: it is not the workload, and the chat's latency has been worse in it (docs/benchmark.md). Linux
 * only, and only where the benchmark may create a cgroup (root, a writable cgroup file system, v1 or v2); elsewhere
 * the servers run without one and the report says so.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** `app.resources.node.production.limits.memory` in .helm/values.yaml, the value to pass to see a production pod's memory (test/deploy/consistency.test.ts keeps them equal). */
export const PRODUCTION_MEMORY_LIMIT_MIB = 512;

const CGROUP_V2_ROOT = '/sys/fs/cgroup';
const CGROUP_V1_MEMORY_ROOT = '/sys/fs/cgroup/memory';

export interface MemoryLimit {
  /** What the report says about it. */
  description: string;
  /** The command line that runs `command args` under the limit. */
  wrap(command: string, args: readonly string[]): { command: string; args: string[] };
  /** Removes the cgroup once the processes in it have exited. */
  release(): void;
}

/** The directory of a new memory cgroup and the file that sets its limit, v2 where its memory controller is enabled. */
function cgroupFiles(name: string): { directory: string; limitFile: string } {
  const controllers = path.join(CGROUP_V2_ROOT, 'cgroup.subtree_control');
  if (existsSync(controllers) && readFileSync(controllers, 'utf8').split(/\s+/).includes('memory')) {
    return { directory: path.join(CGROUP_V2_ROOT, name), limitFile: 'memory.max' };
  }
  return { directory: path.join(CGROUP_V1_MEMORY_ROOT, name), limitFile: 'memory.limit_in_bytes' };
}

/** A memory cgroup of `limitMiB`, or, where none can be made, no limit with the reason. 0 asks for none. */
export function createMemoryLimit(name: string, limitMiB: number): MemoryLimit {
  const unlimited = (why: string): MemoryLimit => ({ description: `without a memory limit (${why})`, wrap: (command, args) => ({ command, args: [...args] }), release: () => undefined });
  if (limitMiB === 0) return unlimited(`--memory-limit ${PRODUCTION_MEMORY_LIMIT_MIB} gives the production app container's`);
  const { directory, limitFile } = cgroupFiles(name);
  try {
    mkdirSync(directory);
  } catch (error) {
    return unlimited(`cannot create a memory cgroup: ${(error as Error).message}`);
  }
  try {
    writeFileSync(path.join(directory, limitFile), String(limitMiB * 1024 * 1024));
  } catch (error) {
    rmdirSync(directory);
    return unlimited(`cannot set a memory cgroup's limit: ${(error as Error).message}`);
  }
  const procs = path.join(directory, 'cgroup.procs');
  return {
    description: `in a memory cgroup of ${limitMiB} MiB`,
    // The shell moves itself into the cgroup, then becomes the server: the server starts inside it, as in a pod.
    wrap: (command, args) => ({ command: '/bin/sh', args: ['-c', `echo $$ > '${procs}' && exec "$@"`, 'sh', command, ...args] }),
    release: () => rmdirSync(directory),
  };
}
