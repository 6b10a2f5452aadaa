/** The socket.io Redis adapter: broadcasts and cross-process lookups between server processes. */
import { createAdapter } from '@socket.io/redis-adapter';
import type { RedisClientType } from 'redis';
import type { Logger } from '../logger';
import type { ChatServer } from './types';

/**
 * The adapter publishes broadcasts without handling the returned promise, so a publish that fails (Redis gone, or
 * this client already closed at shutdown) would be an unhandled rejection and end the process. It is logged instead;
 * the clients it missed catch up through sync.
 */
function logFailedPublishes(client: RedisClientType, logger: Logger): void {
  const publish = client.publish.bind(client);
  client.publish = ((...args: Parameters<typeof publish>) =>
    publish(...args).catch((error: unknown) => {
      logger.warn({ err: error }, 'socket.io broadcast not published');
      return 0;
    })) as typeof publish;
}

/**
 * The adapter subscribes as soon as it is created and does not handle the result. A subscription queued before the
 * connection is up is lost (an unhandled rejection that ends the process) when the connection fails first, as it does
 * when Redis is down at start. So subscriptions are sent once the client is connected, and again at the next
 * connection if that one drops before Redis confirmed them; established ones node-redis renews after a reconnect.
 */
function subscribeOnceConnected(client: RedisClientType, logger: Logger): void {
  for (const method of ['subscribe', 'pSubscribe'] as const) {
    const original = client[method].bind(client) as (...args: unknown[]) => Promise<void>;
    const subscribe = (args: unknown[]): Promise<void> => {
      if (!client.isReady) return new Promise((resolve) => client.once('ready', () => resolve(subscribe(args))));
      return original(...args).catch((error: unknown) => {
        // A connection that dropped is retried when it is back; anything else would fail the same way again.
        if (!client.isReady && client.isOpen) return subscribe(args);
        logger.error({ err: error }, 'socket.io adapter subscription failed');
      });
    };
    (client as unknown as Record<typeof method, (...args: unknown[]) => Promise<void>>)[method] = (...args) => subscribe(args);
  }
}

export interface AdapterConnections {
  /** Says goodbye to Redis (QUIT), so the adapter's last unsubscribes finish; cuts what cannot. */
  close(waitAtMost: (work: Promise<unknown>) => Promise<void>): Promise<void>;
}

/** Attaches the adapter on two dedicated connections: a subscribed Redis connection can do nothing else. */
export function attachRedisAdapter(io: ChatServer, redis: RedisClientType, options: { key: string; logger: Logger }): AdapterConnections {
  const { logger } = options;
  const pubClient = redis.duplicate();
  const subClient = redis.duplicate();
  subscribeOnceConnected(subClient, logger);
  for (const client of [pubClient, subClient]) {
    client.on('error', (error: Error) => logger.warn({ err: error }, 'socket.io adapter redis error'));
    // Not awaited: the process serves without Redis (sessions answer 503) and these connect when it is there.
    client.connect().catch((error: unknown) => logger.error({ err: error }, 'socket.io adapter redis connection failed'));
  }
  logFailedPublishes(pubClient, logger);
  io.adapter(createAdapter(pubClient, subClient, { key: options.key }));
  return {
    async close(waitAtMost) {
      await waitAtMost(Promise.allSettled([pubClient.quit(), subClient.quit()]));
      await Promise.allSettled([pubClient, subClient].filter((client) => client.isOpen).map((client) => client.disconnect()));
    },
  };
}
