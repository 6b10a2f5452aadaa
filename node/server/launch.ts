/**
 * What `npm start` runs after the build: migrate, seed, start an embedded S3 server when S3_ENDPOINT is unset,
 * then the chat server and the Python workers. Every child logs JSON lines to the shared stdout;
 * SIGINT/SIGTERM are forwarded and the launcher exits once all children have.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { seedDatabase } from '../../fixtures/seed';
import { EMBEDDED_S3 } from './clients';
import type { Config } from './config';
import { loadConfigOrReport } from './config-cli';
import { projectRoot } from './paths';
import { createLogger, type Logger } from './logger';

const ROOT = projectRoot();
const PYTHON = '/usr/bin/python3';
const WORKER_MODULES = ['chat_workers.greeter', 'chat_workers.mailer'];
const WORKER_RESTART_DELAY_MS = 2000;

function runToEnd(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code}`))));
  });
}

interface EmbeddedS3 {
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** s3rver in this process, data in S3_LOCAL_DIR: avatars work with no S3 configured. */
async function startEmbeddedS3(config: Config, logger: Logger): Promise<EmbeddedS3> {
  const directory = path.resolve(ROOT, config.S3_LOCAL_DIR);
  await mkdir(directory, { recursive: true });
  // A development dependency without types: production sets S3_ENDPOINT and never loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver');
  const port = config.S3_PORT ?? EMBEDDED_S3.port;
  const server = new S3rver({ address: EMBEDDED_S3.endpoint, port, directory, silent: true, configureBuckets: [{ name: config.S3_BUCKET }] });
  await server.run();
  logger.info({ port, directory }, 'embedded S3 server started');
  return {
    env: {
      S3_ENDPOINT: EMBEDDED_S3.endpoint,
      S3_PORT: String(port),
      S3_SSL: 'false',
      S3_ACCESS_KEY: EMBEDDED_S3.accessKey,
      S3_SECRET_KEY: EMBEDDED_S3.secretKey,
    },
    close: () => server.close() as Promise<void>,
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrReport();
  if (!config) return;
  const logger = createLogger(config.LOG_LEVEL).child({ component: 'launch' });

  await runToEnd(path.join(ROOT, 'node_modules/.bin/node-pg-migrate'), ['--migrations-dir', 'migrations', 'up'], {
    ...process.env,
    DATABASE_URL: config.DATABASE_URL,
  });
  await seedDatabase(config, logger);

  const s3 = config.S3_ENDPOINT ? undefined : await startEmbeddedS3(config, logger);
  const env: NodeJS.ProcessEnv = { ...process.env, ...s3?.env };
  const children = new Set<ChildProcess>();
  let stopping = false;

  const finish = async (): Promise<void> => {
    await s3?.close().catch(() => undefined);
    process.exit(process.exitCode ?? 0);
  };

  const stopAll = (): void => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    if (children.size === 0) void finish();
  };

  function start(name: string, command: string, args: string[], options: { cwd: string; essential: boolean }): void {
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: 'inherit' });
    children.add(child);
    child.on('error', (error) => logger.error({ process: name, err: error }, 'could not start'));
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) {
        if (children.size === 0) void finish();
        return;
      }
      logger.warn({ process: name, code, signal }, 'process exited');
      if (options.essential) {
        // Without the chat server there is nothing to serve: stop the rest and report its code.
        stopAll();
        process.exitCode = code ?? 1;
        return;
      }
      setTimeout(() => {
        if (!stopping) start(name, command, args, options);
      }, WORKER_RESTART_DELAY_MS);
    });
  }

  process.on('SIGTERM', stopAll);
  process.on('SIGINT', stopAll);

  start('server', process.execPath, [path.join(__dirname, 'main.js')], { cwd: ROOT, essential: true });
  const pythonDirectory = path.join(ROOT, 'python');
  if (existsSync(path.join(pythonDirectory, 'chat_workers'))) {
    for (const module of WORKER_MODULES) start(module, PYTHON, ['-m', module], { cwd: pythonDirectory, essential: false });
  } else {
    logger.warn('python/chat_workers not found: the greeter bot and e-mail worker are not started');
  }
}

main().catch((error: unknown) => {
  createLogger('info').fatal({ err: error }, 'launch failed');
  process.exit(1);
});
