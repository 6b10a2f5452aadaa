import amqp, { type Channel, type ChannelModel } from 'amqplib';
import type { Logger } from '../logger';

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** Delay before reconnect attempt `attempt` (0-based): exponential with jitter, capped. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Adds a heartbeat so that a broker that vanishes without closing the TCP connection is noticed. */
export function withHeartbeat(uri: string, seconds = 15): string {
  const url = new URL(uri);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(seconds));
  return url.toString();
}

export interface KeptConnection {
  /** The connection when it is up and set up, else undefined. */
  current(): ChannelModel | undefined;
  stop(): Promise<void>;
}

/**
 * Keeps one AMQP connection open for as long as the process runs: connects, runs `setup` (channels,
 * topology, consumers), and after any failure, a closed connection or a failed setup, tries again with backoff.
 * `setup` should close the connection when one of its channels dies, so that everything is set up afresh.
 */
export function keepConnected(options: { uri: string; name: string; logger: Logger; setup: (connection: ChannelModel) => Promise<void> }): KeptConnection {
  const logger = options.logger.child({ amqp: options.name });
  let stopped = false;
  let attempt = 0;
  let ready: ChannelModel | undefined;
  let opening: ChannelModel | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const retry = (): void => {
    if (stopped || retryTimer) return;
    const delay = backoffDelay(attempt);
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void open();
    }, delay);
  };

  async function open(): Promise<void> {
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(withHeartbeat(options.uri));
    } catch (error) {
      if (attempt === 0) logger.warn({ err: error }, 'RabbitMQ unreachable, retrying');
      retry();
      return;
    }
    if (stopped) {
      await connection.close().catch(() => undefined);
      return;
    }
    opening = connection;
    connection.on('error', (error: Error) => logger.warn({ err: error }, 'RabbitMQ connection error'));
    connection.on('close', () => {
      if (ready === connection) logger.warn('RabbitMQ connection closed, reconnecting');
      if (ready === connection) ready = undefined;
      if (opening === connection) opening = undefined;
      retry();
    });
    try {
      await options.setup(connection);
    } catch (error) {
      logger.warn({ err: error }, 'RabbitMQ setup failed, retrying');
      // Closing fires 'close', which schedules the retry.
      await connection.close().catch(() => undefined);
      return;
    }
    opening = undefined;
    ready = connection;
    attempt = 0;
    logger.info('RabbitMQ connected');
  }

  void open();

  return {
    current: () => ready,
    stop: async () => {
      stopped = true;
      clearTimeout(retryTimer);
      const connection = ready ?? opening;
      ready = undefined;
      if (connection) await connection.close().catch(() => undefined);
    },
  };
}

/** Logs a channel's errors, and closes its connection when it dies so that keepConnected sets everything up afresh. */
export function tieChannelToConnection<T extends Channel>(channel: T, connection: ChannelModel, logger: Logger, onClose?: () => void): T {
  channel.on('error', (error: Error) => logger.warn({ err: error }, 'AMQP channel error'));
  channel.on('close', () => {
    onClose?.();
    connection.close().catch(() => undefined);
  });
  return channel;
}
