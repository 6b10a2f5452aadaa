import { ConfigError, loadConfig } from '../../node/server/config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

test('with nothing set, every default points at the local services', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    PORT: 8080,
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
    SESSION_REDIS: 'redis://127.0.0.1:6379/0',
    AMQP_URI: 'amqp://guest:guest@127.0.0.1:5672/',
    CDN_PREFIX: '/avatars/',
    COOKIE_SECURE: false,
    DB_POOL_SIZE: 10,
    MESSAGE_WRITERS: 1,
    MESSAGE_BATCH_SIZE: 1000,
    MESSAGE_QUEUE_LIMIT: 2000,
  });
  expect(config.COOKIE_SECRET.length).toBeGreaterThanOrEqual(32);
  expect(config.DEFAULT_USER_PASSWORD).toBeDefined();
});

test.each([
  [{ PORT: 'eighty' }, 'PORT: expected a port number'],
  [{ PORT: '70000' }, 'PORT: '],
  [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: expected a URL starting with postgres:// or postgresql://'],
  [{ SESSION_REDIS: 'not a url' }, 'SESSION_REDIS: expected a URL'],
  [{ AMQP_URI: 'http://x' }, 'AMQP_URI: expected a URL starting with amqp:// or amqps://'],
  [{ S3_SSL: 'yes' }, 'S3_SSL: expected true or false'],
  [{ S3_BUCKET: 'Bad_Bucket' }, 'S3_BUCKET: expected an S3 bucket name'],
  [{ S3_ENDPOINT: 's3.example.com', S3_ACCESS_KEY: 'key' }, 'S3_SECRET_KEY: required when S3_ENDPOINT is set'],
  [{ SESSION_TTL: '-1' }, 'SESSION_TTL: '],
  [{ RATE_LIMIT_PER_IP: 'many' }, 'RATE_LIMIT_PER_IP: expected a number of attempts'],
  [{ JSON_BODY_LIMIT: 'huge' }, 'JSON_BODY_LIMIT: expected a size such as 16kb'],
  [{ COOKIE_SECRET: 'short' }, 'COOKIE_SECRET: expected at least 32 characters'],
  [{ NODE_ENV: 'production' }, 'COOKIE_SECRET: required when NODE_ENV=production'],
  [{ MESSAGE_WRITERS: '10' }, 'MESSAGE_WRITERS: must be below DB_POOL_SIZE'],
  [{ MESSAGE_BATCH_WINDOW_MS: '-1' }, 'MESSAGE_BATCH_WINDOW_MS: '],
  [{ DB_CONNECT_TIMEOUT_MS: 'soon' }, 'DB_CONNECT_TIMEOUT_MS: expected a number of milliseconds'],
  [{ SOCKET_MESSAGE_RATE: '0' }, 'SOCKET_MESSAGE_RATE: '],
])('%j is refused with one line naming the variable', (env, expected) => {
  const problems = problemsOf(env);
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain(expected);
});

test('production has no secret defaults and Secure cookies', () => {
  const config = loadConfig({ NODE_ENV: 'production', COOKIE_SECRET: 's'.repeat(40) });
  expect(config.COOKIE_SECURE).toBe(true);
  expect(config.DEFAULT_USER_PASSWORD).toBeUndefined();
  expect(config.COOKIE_SECRET).toBe('s'.repeat(40));
});

test('empty variables count as unset', () => {
  expect(loadConfig({ PORT: '', S3_ENDPOINT: '' }).PORT).toBe(8080);
});
