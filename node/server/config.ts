import { z } from 'zod';

/**
 * The whole configuration, read from the environment once at start-up.
 * Defaults point at the services on 127.0.0.1 so that `npm start` needs no setup;
 * with NODE_ENV=production nothing secret has a default.
 */
const booleanString = z
  .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1');

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const port = z.coerce.number({ message: 'expected a port number' }).int().min(0).max(65535);
const milliseconds = z.coerce.number({ message: 'expected a number of milliseconds' }).int().positive();
const seconds = z.coerce.number({ message: 'expected a number of seconds' }).int().positive();

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: port.default(8080),
    /** Address to listen on; 0.0.0.0 in containers. */
    HOST: z.string().min(1).default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** How many reverse proxies (nginx sidecar, ingress) stand in front: decides req.ip and secure cookies. */
    TRUST_PROXY: z.coerce.number({ message: 'expected the number of proxy hops' }).int().min(0).default(0),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/postgres'),
    SESSION_REDIS: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
    /** Prefix for every Redis key (sessions, rate limits, presence, socket.io adapter), so apps can share a Redis. */
    REDIS_PREFIX: z.string().default('chat:'),
    /**
     * About how many broadcasts the socket.io adapter's Redis stream (`<REDIS_PREFIX>socket.io`) keeps: how far a process
     * may fall behind, e.g. while Redis restarts, before it misses broadcasts (its clients then catch up through sync).
     */
    REALTIME_STREAM_MAX_LENGTH: z.coerce.number({ message: 'expected a number of broadcasts' }).int().min(1000).default(100_000),
    SESSION_TTL: seconds.default(7 * 24 * 3600),
    COOKIE_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
    /** Cookies carry the Secure flag: on behind TLS. */
    COOKIE_SECURE: booleanString.optional(),
    S3_ENDPOINT: z.string().min(1).optional(),
    S3_PORT: port.optional(),
    S3_SSL: booleanString.default(false),
    S3_ACCESS_KEY: z.string().min(1).optional(),
    S3_SECRET_KEY: z.string().min(1).optional(),
    S3_REGION: z.string().min(1).default('us-east-1'),
    S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 of a-z 0-9 . -)')
      .default('chat-avatars'),
    /** URL prefix of avatar objects, e.g. https://cdn.example.com/chat-avatars/; the default /avatars/ makes the server stream them from S3 itself. */
    CDN_PREFIX: z.string().min(1).default('/avatars/'),
    /** Folder of the embedded S3 server used when S3_ENDPOINT is not set. */
    S3_LOCAL_DIR: z.string().min(1).default('.data/s3'),
    AMQP_URI: url(['amqp:', 'amqps:']).default('amqp://guest:guest@127.0.0.1:5672/'),
    AMQP_EXCHANGE: z.string().min(1).default('chat.events'),
    /** Durable queue from which the server takes chat messages posted by bots. */
    AMQP_BOT_QUEUE: z.string().min(1).default('chat.bot-messages'),
    /** Seconds between outbox sweeps (events of other replicas, or left behind by a crash); new events are sent at once. */
    OUTBOX_POLL_INTERVAL: seconds.default(5),
    /** Login and registration attempts allowed per client IP within RATE_LIMIT_WINDOW. */
    RATE_LIMIT_PER_IP: z.coerce.number({ message: 'expected a number of attempts' }).int().positive().default(30),
    /** Failed logins allowed per account (username) within RATE_LIMIT_WINDOW. */
    RATE_LIMIT_PER_ACCOUNT: z.coerce.number({ message: 'expected a number of attempts' }).int().positive().default(10),
    RATE_LIMIT_WINDOW: seconds.default(15 * 60),
    /** JSON request bodies larger than this are refused with 413. */
    JSON_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/, 'expected a size such as 16kb').default('16kb'),
    /** PostgreSQL connections of this process (the message writer's batches and every other query). */
    DB_POOL_SIZE: z.coerce.number({ message: 'expected a number of connections' }).int().min(2).default(10),
    /** Milliseconds to wait for a PostgreSQL connection before a request is answered `unavailable`. */
    DB_CONNECT_TIMEOUT_MS: milliseconds.default(1000),
    /** Milliseconds a query may take before it is given up (a hung server, not a slow one). */
    DB_QUERY_TIMEOUT_MS: milliseconds.default(5000),
    /** A batch of messages is written when it holds this many... */
    MESSAGE_BATCH_SIZE: z.coerce.number({ message: 'expected a number of messages' }).int().positive().default(1000),
    /** ...or this many milliseconds after its first message arrived. */
    MESSAGE_BATCH_WINDOW_MS: z.coerce.number({ message: 'expected a number of milliseconds' }).int().min(0).default(2),
    /** Batches written at the same time, each on one pool connection (at most DB_POOL_SIZE - 1). */
    MESSAGE_WRITERS: z.coerce.number({ message: 'expected a number of batches' }).int().positive().default(1),
    /** Messages waiting to be stored, per process; beyond it a send is answered `busy` at once. */
    MESSAGE_QUEUE_LIMIT: z.coerce.number({ message: 'expected a number of messages' }).int().positive().default(2000),
    /** Messages a second one socket may send on average... */
    SOCKET_MESSAGE_RATE: z.coerce.number({ message: 'expected messages per second' }).positive().default(5),
    /** ...and at once after a pause. */
    SOCKET_MESSAGE_BURST: z.coerce.number({ message: 'expected a number of messages' }).int().positive().default(10),
    /** Seconds that in-flight requests get to finish after SIGTERM before the process exits anyway. */
    SHUTDOWN_TIMEOUT: seconds.default(10),
    /** The account that fixtures create; without DEFAULT_USER_PASSWORD in production it is not created. */
    DEFAULT_USER_NAME: z.string().regex(/^[a-z0-9_-]{3,32}$/, 'expected 3-32 of a-z 0-9 _ -').default('demo'),
    DEFAULT_USER_EMAIL: z.email('expected an e-mail address').default('demo@example.com'),
    DEFAULT_USER_PASSWORD: z.string().min(8, 'expected at least 8 characters').optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.COOKIE_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['COOKIE_SECRET'], message: 'required when NODE_ENV=production' });
    }
    if (env.MESSAGE_WRITERS >= env.DB_POOL_SIZE) {
      ctx.addIssue({ code: 'custom', path: ['MESSAGE_WRITERS'], message: 'must be below DB_POOL_SIZE, so other queries keep a connection' });
    }
    if (env.S3_ENDPOINT && (!env.S3_ACCESS_KEY || !env.S3_SECRET_KEY)) {
      const missing = env.S3_ACCESS_KEY ? 'S3_SECRET_KEY' : 'S3_ACCESS_KEY';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'required when S3_ENDPOINT is set' });
    }
  });

/** Every variable the server reads, from the schema itself (test/deploy/consistency.test.ts checks the chart against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export type RawConfig = z.infer<typeof schema>;

export interface Config extends Omit<RawConfig, 'COOKIE_SECRET' | 'COOKIE_SECURE'> {
  COOKIE_SECRET: string;
  COOKIE_SECURE: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`),
    );
  }
  const raw = result.data;
  return {
    ...raw,
    // Only outside production: a fixed development secret keeps sessions valid across restarts of `npm start`.
    COOKIE_SECRET: raw.COOKIE_SECRET ?? 'development-only-cookie-secret-do-not-use-in-production',
    COOKIE_SECURE: raw.COOKIE_SECURE ?? raw.NODE_ENV === 'production',
    // A known demo password only outside production, so that `npm start` gives a newcomer an account.
    DEFAULT_USER_PASSWORD: raw.DEFAULT_USER_PASSWORD ?? (raw.NODE_ENV === 'production' ? undefined : 'demo-password'),
  };
}
