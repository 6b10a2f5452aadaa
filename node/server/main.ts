import { createClients, closeClients } from './clients';
import { loadConfigOrReport } from './config-cli';
import { startServer } from './app';
import { applyHeapPolicy } from './heap-policy';
import { createLogger } from './logger';

/** Production entry: `node build/node/server/main.js`. */
async function main(): Promise<void> {
  applyHeapPolicy();
  const config = loadConfigOrReport();
  if (!config) return;
  const logger = createLogger(config.LOG_LEVEL);
  const clients = await createClients(config, logger);
  const server = await startServer(config, clients, logger);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    server
      .stop()
      .then(() => closeClients(clients))
      .then(() => {
        logger.info('bye');
        process.exit(0);
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  createLogger('info').fatal({ err: error }, 'start failed');
  process.exit(1);
});
