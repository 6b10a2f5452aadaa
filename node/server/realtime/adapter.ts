/**
 * socket.io's Redis adapter, which carries broadcasts and cross-process requests between server processes, on two
 * connections of its own: a subscribed Redis connection can do nothing else, and the shared client stays free.
 *
 * Workaround for https://github.com/socketio/socket.io-redis-adapter/issues/513 (open): the adapter calls publish,
 * subscribe and unsubscribe without handling the promises node-redis returns, so one that fails (Redis down, or the
 * connection already closed at shutdown) is an unhandled rejection, which ends the process. The adapter is handed
 * proxies of the two clients whose pub/sub methods handle their failures; the clients themselves stay unchanged.
 */
import { createAdapter } from '@socket.io/redis-adapter';
import type { RedisClientType } from 'redis';
import type { Logger } from '../logger';
import type { ChatServer } from './types';

export interface AdapterConnections {
  /** Closes both connections once their pending commands (the adapter's last unsubscribes) are done; cuts what cannot. */
  close(waitAtMost: (work: Promise<unknown>) => Promise<void>): Promise<void>;
}

type PubSubMethod = (...args: unknown[]) => Promise<unknown>;

/** `client` as the adapter sees it: the `replaced` methods instead of its own, everything else its own. */
function withReplacedMethods(client: RedisClientType, replaced: Record<string, PubSubMethod>): RedisClientType {
  return new Proxy(client, {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(replaced, property)) return replaced[property];
      const value: unknown = Reflect.get(target, property, target);
      // node-redis methods reach the client's private state through `this`: they run on the client, not the proxy.
      return typeof value === 'function' ? (value as PubSubMethod).bind(target) : value;
    },
  });
}

/** Broadcasts that fail are logged; the clients they missed catch up through sync. */
function publisherFor(client: RedisClientType, logger: Logger): RedisClientType {
  const send = client.publish.bind(client) as PubSubMethod;
  const publish: PubSubMethod = (...args) =>
    send(...args).catch((error: unknown) => {
      logger.warn({ err: error }, 'socket.io broadcast not published');
      return 0;
    });
  return withReplacedMethods(client, { publish });
}

/**
 * The adapter subscribes as soon as it is created. A subscription sent before the connection is up fails when the
 * connection fails first, as it does when Redis is down at start. So subscriptions are sent once the client is
 * connected, and again at the next connection if that one drops before Redis confirmed them; established ones
 * node-redis renews after a reconnect. A failed unsubscribe (at shutdown) is only logged.
 */
function subscriberFor(client: RedisClientType, logger: Logger): RedisClientType {
  const onceConnected = (method: PubSubMethod): PubSubMethod => {
    const subscribe: PubSubMethod = (...args) => {
      if (!client.isReady) return new Promise((resolve) => client.once('ready', () => resolve(subscribe(...args))));
      return method(...args).catch((error: unknown) => {
        // A connection that dropped is retried when it is back; anything else would fail the same way again.
        if (!client.isReady && client.isOpen) return subscribe(...args);
        logger.error({ err: error }, 'socket.io adapter subscription failed');
      });
    };
    return subscribe;
  };
  const logged = (method: PubSubMethod): PubSubMethod => (...args) =>
    method(...args).catch((error: unknown) => logger.warn({ err: error }, 'socket.io adapter unsubscribe failed'));
  return withReplacedMethods(client, {
    subscribe: onceConnected(client.subscribe.bind(client) as PubSubMethod),
    pSubscribe: onceConnected(client.pSubscribe.bind(client) as PubSubMethod),
    unsubscribe: logged(client.unsubscribe.bind(client) as PubSubMethod),
    pUnsubscribe: logged(client.pUnsubscribe.bind(client) as PubSubMethod),
  });
}

/** Connects two duplicates of `redis` and makes them the adapter of `io`; they connect whenever Redis is there. */
export function attachRedisAdapter(io: ChatServer, redis: RedisClientType, options: { key: string; logger: Logger }): AdapterConnections {
  const { logger } = options;
  const pubClient = redis.duplicate();
  const subClient = redis.duplicate();
  for (const client of [pubClient, subClient]) {
    client.on('error', (error: Error) => logger.warn({ err: error }, 'socket.io adapter redis error'));
    // Not awaited: the process serves without Redis (sessions answer 503) and these connect when it is there.
    client.connect().catch((error: unknown) => logger.error({ err: error }, 'socket.io adapter redis connection failed'));
  }
  io.adapter(createAdapter(publisherFor(pubClient, logger), subscriberFor(subClient, logger), { key: options.key }));
  return {
    async close(waitAtMost) {
      await waitAtMost(Promise.allSettled([pubClient, subClient].map((client) => client.close())));
      for (const client of [pubClient, subClient]) client.destroy();
    },
  };
}
