/**
 * Benchmark options from command-line flags (`--clients 200` or `--clients=200`) and environment
 * variables (BENCH_CLIENTS=200); a flag wins over the environment. Bad values stop the run with
 * one line per problem, like the server's own configuration.
 */
import { z } from 'zod';
import { PRODUCTION_MEMORY_LIMIT_MIB } from './memory-limit';
import { HELD_DELIVERED_PERCENT, HELD_P95_MS, SWEEP_RATES } from './sweep';

export interface BenchOptions {
  /** socket.io clients, each a registered user of its own. */
  clients: number;
  /** Rooms the clients are spread over (client i is in room i mod rooms). */
  rooms: number;
  /** How long the clients send, in seconds. */
  durationSeconds: number;
  /** Messages each client sends per second. */
  rate: number;
  /** Seconds of the same load before the measured window, not counted. */
  warmupSeconds: number;
  /** The servers' memory cgroup in MiB (memory-limit.ts); 0 for none, the default. */
  memoryLimitMiB: number;
  /** Raise the rate step by step until it is not held (sweep.ts), instead of one run at `rate`. */
  sweep: boolean;
}

/** The benchmark raises the chat server's per-socket message limit to fit --rate (see run.ts), so any rate measures delivery, not rejections. */
export const DEFAULTS: BenchOptions = { clients: 200, rooms: 10, durationSeconds: 20, rate: 1, warmupSeconds: 2, memoryLimitMiB: 0, sweep: false };

const FLAGS = {
  clients: { env: 'BENCH_CLIENTS', key: 'clients' },
  rooms: { env: 'BENCH_ROOMS', key: 'rooms' },
  duration: { env: 'BENCH_DURATION', key: 'durationSeconds' },
  rate: { env: 'BENCH_RATE', key: 'rate' },
  warmup: { env: 'BENCH_WARMUP', key: 'warmupSeconds' },
  'memory-limit': { env: 'BENCH_MEMORY_LIMIT', key: 'memoryLimitMiB' },
} as const satisfies Record<string, { env: string; key: Exclude<keyof BenchOptions, 'sweep'> }>;

type Flag = keyof typeof FLAGS;

const schema = z
  .object({
    clients: z.coerce.number({ message: 'expected a whole number' }).int('expected a whole number').min(2).max(5000),
    rooms: z.coerce.number({ message: 'expected a whole number' }).int('expected a whole number').min(1),
    durationSeconds: z.coerce.number({ message: 'expected a number of seconds' }).positive().max(600),
    rate: z.coerce.number({ message: 'expected messages per second per client' }).positive().max(100),
    warmupSeconds: z.coerce.number({ message: 'expected a number of seconds' }).min(0).max(60),
    memoryLimitMiB: z.coerce.number({ message: 'expected a number of MiB' }).int('expected a whole number of MiB').min(0),
    sweep: z.boolean(),
  })
  .superRefine((options, ctx) => {
    // A room of one client has nobody to deliver to.
    if (options.rooms * 2 > options.clients) {
      ctx.addIssue({ code: 'custom', path: ['rooms'], message: `at most clients/2 (${Math.floor(options.clients / 2)}), so every room has a receiver` });
    }
  });

export const USAGE = `Usage: npm run bench -- [--clients N] [--rooms N] [--duration SECONDS] [--rate PER_SECOND] [--warmup SECONDS] [--memory-limit MIB] [--sweep]

  --clients   socket.io clients, one registered user each      (env BENCH_CLIENTS,  default ${DEFAULTS.clients})
  --rooms     rooms the clients are spread over               (env BENCH_ROOMS,    default ${DEFAULTS.rooms})
  --duration  seconds every client sends                      (env BENCH_DURATION, default ${DEFAULTS.durationSeconds})
  --rate      messages per second each client sends           (env BENCH_RATE,     default ${DEFAULTS.rate})
  --warmup    seconds of the same load before measuring       (env BENCH_WARMUP,   default ${DEFAULTS.warmupSeconds})
  --memory-limit  MiB of a memory cgroup for the servers; ${PRODUCTION_MEMORY_LIMIT_MIB} is the production app container's limit
                                                              (env BENCH_MEMORY_LIMIT, default ${DEFAULTS.memoryLimitMiB}: none)
  --sweep     instead of one run at --rate: raise the rate per client step by step (${SWEEP_RATES.join(', ')})
              until p95 passes ${HELD_P95_MS} ms or delivery falls under ${HELD_DELIVERED_PERCENT} %, for chat and bare;
              prints the highest rate each held
`;

export class OptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'OptionsError';
  }
}

export type ParsedArguments = { help: true } | { help: false; options: BenchOptions };

function flagName(argument: string): Flag {
  const name = argument.slice(2);
  if (!(name in FLAGS)) throw new OptionsError([`unknown option ${argument}`]);
  return name as Flag;
}

/** Parses argv (without node and the script) and the environment into validated options. */
export function parseArguments(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArguments {
  const raw: Partial<Record<Exclude<keyof BenchOptions, 'sweep'>, string>> = {};
  let sweep = false;
  for (const { env: variable, key } of Object.values(FLAGS)) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] as string;
    if (argument === '--help' || argument === '-h') return { help: true };
    if (argument === '--sweep') {
      sweep = true;
      continue;
    }
    if (!argument.startsWith('--')) throw new OptionsError([`unexpected argument ${argument}`]);
    const equals = argument.indexOf('=');
    const flag = flagName(equals === -1 ? argument : argument.slice(0, equals));
    let value: string | undefined;
    if (equals === -1) {
      index += 1;
      value = argv[index];
    } else {
      value = argument.slice(equals + 1);
    }
    if (value === undefined || value === '') throw new OptionsError([`--${flag}: expected a value`]);
    raw[FLAGS[flag].key] = value;
  }
  const result = schema.safeParse({ ...DEFAULTS, ...raw, sweep });
  if (!result.success) {
    const byKey = Object.fromEntries(Object.entries(FLAGS).map(([flag, { key }]) => [key, flag]));
    throw new OptionsError(result.error.issues.map((issue) => `--${byKey[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`));
  }
  return { help: false, options: result.data };
}
