/**
 * socket.io's Redis Streams adapter (@socket.io/redis-streams-adapter), which carries broadcasts and cross-process
 * requests between server processes. Broadcasts, socketsJoin/socketsLeave and disconnectSockets are appended to one
 * Redis stream, which every process reads from the last entry it saw: what was added while a process's connection
 * was down (a Redis restart) is read once it is back, not lost as with pub/sub. fetchSockets and serverSideEmit,
 * which are answered or useless at once, go through pub/sub.
 *
 * The adapter gets a connection of its own that queues commands while Redis is down (the shared client fails fast
 * instead), so a broadcast made during an outage is appended when Redis is back; the adapter duplicates it for its
 * stream reader and its subscriber, which inherit the queue: a read issued while Redis is down waits instead of
 * failing in a tight loop. They inherit its lack of a command time-out too: under load, node-redis's default (5 s)
 * dropped broadcasts that were only late, and timed out the reader's blocking read (5 s as well).
 *
 * Workarounds for version 0.3.1, on proxies of the clients (the clients themselves stay unchanged). Like
 * https://github.com/socketio/socket.io-redis-adapter/issues/513 (open) in the pub/sub adapter, it leaves promises of
 * node-redis unhandled, and an unhandled rejection ends the process; no upstream issue covers the streams adapter yet.
 * - Its duplicates' connect() fails when they are destroyed (shutdown) before Redis was reached: left pending.
 * - Its subscribe is sent once and unhandled: sent once connected, again if that connection drops first.
 * - Its requests' publish is unhandled: logged.
 * - Its reader starts at `$` ("from now on") and keeps `$` until it has read an entry, so it skips what was added
 *   between two reads and, after a Redis restart, what other processes appended before its read was resent: `$` is
 *   replaced by the newest entry at its first read.
 * Broadcasts whose XADD was cut by a dropped connection are sent again once it is back (at least once; the clients
 * tell a repeated message by its id).
 *
 * A broadcast reaches this process's own sockets at once, not after Redis has answered its XADD (see
 * deliveringLocallyFirst), and the broadcasts of one turn of the event loop share one stream entry (see
 * appendingOncePerTurn).
 */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { RedisClientType } from 'redis';
import { Adapter, MessageType, type BroadcastOptions, type ClusterAdapter } from 'socket.io-adapter';
import type { Logger } from '../logger';
import type { ChatServer } from './types';

export interface AdapterConnections {
  /** Closes the adapter's connections: pending broadcasts are sent if Redis is there in time; cuts what cannot. */
  close(waitAtMost: (work: Promise<unknown>) => Promise<void>): Promise<void>;
}

type Method = (...args: unknown[]) => Promise<unknown>;
type StreamRead = (streams: { key: string; id: string }[], options: unknown) => Promise<unknown>;

/** `client` as the adapter sees it: the `replaced` methods instead of its own, everything else its own. */
function withReplacedMethods(client: RedisClientType, replaced: Record<string, unknown>): RedisClientType {
  return new Proxy(client, {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(replaced, property)) return replaced[property];
      const value: unknown = Reflect.get(target, property, target);
      // node-redis methods reach the client's private state through `this`: they run on the client, not the proxy.
      return typeof value === 'function' ? (value as Method).bind(target) : value;
    },
  });
}

/** A promise of the client's next 'ready' (resolved already when it is ready), shared by everyone waiting for it. */
function readiness(client: RedisClientType): () => Promise<void> {
  let next: Promise<void> | undefined;
  client.on('ready', () => {
    next = undefined;
  });
  return () => (client.isReady ? Promise.resolve() : (next ??= new Promise((resolve) => client.once('ready', () => resolve()))));
}

/** One warning when a connection is lost (not one per reconnect attempt), one line when it is back. */
function logOutages(client: RedisClientType, logger: Logger, role: string): void {
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error, role }, 'socket.io adapter: redis unreachable');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ role }, 'socket.io adapter: redis connection restored');
    down = false;
  });
}

/** The adapter's connection: appends to the stream, publishes requests, counts processes, and is duplicated. */
function publisherFor(client: RedisClientType, logger: Logger, duplicates: RedisClientType[]): RedisClientType {
  const ready = readiness(client);
  const append = client.xAdd.bind(client) as Method;
  const xAdd: Method = (...args) =>
    append(...args).catch(async (error: unknown) => {
      // Cut by a dropped connection (the client reconnects): again once it is back. Otherwise (shutdown) it is lost.
      if (!client.isReady && client.isOpen) return ready().then(() => xAdd(...args));
      logger.warn({ err: error }, 'socket.io broadcast not sent');
      throw error;
    });
  // fetchSockets and serverSideEmit wait for answers that cannot come while Redis is down: they fail at once.
  const whileReady =
    (method: Method): Method =>
    (...args) =>
      client.isReady ? method(...args) : Promise.reject(new Error('the socket.io adapter is not connected to Redis'));
  const send = whileReady(client.publish.bind(client) as Method);
  const publish: Method = (...args) =>
    send(...args).catch((error: unknown) => {
      logger.warn({ err: error }, 'socket.io adapter request not published');
      return 0;
    });
  const duplicate = () => {
    const copy = client.duplicate();
    duplicates.push(copy);
    logOutages(copy, logger, 'stream reader or subscriber');
    return duplicateFor(copy, logger);
  };
  return withReplacedMethods(client, { xAdd, publish, sendCommand: whileReady(client.sendCommand.bind(client) as Method), duplicate });
}

/** What the adapter makes of a duplicate: its stream reader or its subscriber. */
function duplicateFor(client: RedisClientType, logger: Logger): RedisClientType {
  const ready = readiness(client);
  // Fails only when the client is destroyed before it connected (shutdown): then the adapter must not go on with it.
  const connect = () =>
    client.connect().catch((error: unknown) => {
      logger.debug({ err: error }, 'socket.io adapter connection abandoned');
      return new Promise<never>(() => undefined);
    });
  const subscribe: Method = async (...args) => {
    await ready();
    return (client.subscribe.bind(client) as Method)(...args).catch((error: unknown) => {
      // A connection that dropped is retried when it is back (node-redis renews confirmed subscriptions itself).
      if (!client.isReady && client.isOpen) return subscribe(...args);
      logger.error({ err: error }, 'socket.io adapter subscription failed');
    });
  };
  const read = client.xRead.bind(client) as StreamRead;
  let start: string | undefined;
  const xRead: StreamRead = async (streams, options) => {
    const [stream] = streams;
    if (!stream || stream.id !== '$') return read(streams, options);
    if (start === undefined) {
      const [newest] = (await client.xRevRange(stream.key, '+', '-', { COUNT: 1 })) ?? [];
      start = newest?.id ?? '0-0';
    }
    return read([{ key: stream.key, id: start }], options);
  };
  return withReplacedMethods(client, { connect, subscribe, xRead });
}

/** A broadcast as the cluster adapter hands it to the other processes. */
interface BroadcastData {
  packet: unknown;
  opts: { rooms: string[]; except: string[]; flags: BroadcastOptions['flags'] };
  /** Set for a broadcast that waits for its clients' acknowledgements (not used here): an answer is awaited for it. */
  requestId?: string;
}

/** A message between the processes, as the cluster adapter appends and reads it (and this file's own type of entry). */
interface StreamMessage {
  uid: string;
  nsp: string;
  type: MessageType;
  data?: unknown;
}

/** The cluster adapter's members that this file calls or replaces (protected in its types). */
interface ClusterInternals {
  uid: string;
  nsp: { name: string };
  /** Hands a message to the other processes without waiting for it. */
  publish(message: { type: MessageType.BROADCAST; data: BroadcastData }): void;
  /** Appends a message to the stream. */
  doPublish(message: StreamMessage): Promise<string>;
  /** Handles a message read from the stream, once parsed. */
  onMessage(message: StreamMessage, offset?: string): void;
  /** Handles a stream entry as read, before it is parsed. */
  onRawMessage(entry: { uid: string }, offset: string): void;
}

/**
 * The cluster adapter delivers a broadcast to this process's sockets only once Redis has answered the XADD, because
 * it waits for the entry's id, which only connection state recovery uses (this server does not enable it). That
 * wait was a Redis round trip before every local delivery (about 7 ms at the median under the benchmark's load), and
 * the whole of a Redis outage. Here the local sockets get it at once and the append for the other processes goes on beside it.
 */
function deliveringLocallyFirst(adapter: ClusterAdapter): ClusterAdapter {
  const cluster = adapter as unknown as ClusterInternals;
  adapter.broadcast = (packet: unknown, opts: BroadcastOptions) => {
    if (!opts.flags?.local) cluster.publish({ type: MessageType.BROADCAST, data: { packet, opts: { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags } } });
    Adapter.prototype.broadcast.call(adapter, packet, opts);
    return Promise.resolve();
  };
  return adapter;
}

/**
 * The type of a stream entry that holds a turn's broadcasts, in order (`data.broadcasts`). Not one of socket.io's
 * MessageType values, which end at 13: a process of a version before this ignores it (see docs/architecture.md).
 */
const BROADCASTS = 100 as MessageType;

/** The most broadcasts one stream entry holds: with the stream's MAXLEN in entries, what bounds its size in Redis. */
const BROADCASTS_PER_ENTRY = 100;

/**
 * One stream entry for the broadcasts of a turn of the event loop, instead of one each. With an entry each, every
 * broadcast was a command encoded by node-redis and an entry that every process read back and parsed, its own
 * included: about a sixth of what the server allocated at 5,000 messages a second, and so of its young-generation
 * collections (docs/benchmark.md). A turn that announces a batch of stored messages now appends one entry, or one per
 * BROADCASTS_PER_ENTRY.
 *
 * The order of the stream stays the order of the calls: anything else appended (socketsJoin and socketsLeave,
 * disconnectSockets, a broadcast awaiting acknowledgements) first appends the broadcasts before it. Returns a
 * function that appends what is pending at once (at shutdown, before the connection closes).
 */
function appendingOncePerTurn(adapter: ClusterAdapter): { adapter: ClusterAdapter; appendPending: () => void } {
  const streams = adapter as unknown as ClusterInternals;
  const append = streams.doPublish.bind(adapter);
  const pending: BroadcastData[] = [];
  const appendPending = () => {
    while (pending.length > 0) {
      const broadcasts = pending.splice(0, BROADCASTS_PER_ENTRY);
      // A failed append is logged by the publisher (publisherFor); nothing waits for its entry id.
      append({ uid: streams.uid, nsp: streams.nsp.name, type: BROADCASTS, data: { broadcasts } }).catch(() => undefined);
    }
  };
  streams.doPublish = (message) => {
    const data = message.data as BroadcastData | undefined;
    if (message.type === MessageType.BROADCAST && data?.requestId === undefined) {
      if (pending.length === 0) setImmediate(appendPending);
      pending.push(data as BroadcastData);
      // The entry id is used only by connection state recovery, which this server does not enable.
      return Promise.resolve('');
    }
    appendPending();
    return append(message);
  };
  const handle = streams.onMessage.bind(adapter);
  streams.onMessage = (message, offset) => {
    if (message.type !== BROADCASTS) return handle(message, offset);
    for (const data of (message.data as { broadcasts: BroadcastData[] }).broadcasts) handle({ ...message, type: MessageType.BROADCAST, data }, offset);
  };
  return { adapter, appendPending };
}

/**
 * Every process reads the whole stream, its own appends included, and the adapter parses each entry's JSON before it
 * sees whose it is, only to drop its own: about one parse per message this process stored. Dropped here unparsed.
 */
function skippingOwnEntries(adapter: ClusterAdapter): ClusterAdapter {
  const reader = adapter as unknown as ClusterInternals;
  const handle = reader.onRawMessage.bind(adapter);
  reader.onRawMessage = (entry, offset) => {
    if (entry.uid !== reader.uid) handle(entry, offset);
  };
  return adapter;
}

/** Makes the Redis Streams adapter the adapter of `io`, on connections of its own that connect whenever Redis is there. */
export function attachRedisAdapter(
  io: ChatServer,
  redis: RedisClientType,
  /** maxLength: about how many broadcasts the stream keeps. */
  options: { streamName: string; maxLength: number; logger: Logger },
): AdapterConnections {
  const { logger } = options;
  // No command time-out (node-redis's default is 5 s for every command): the reader's XREAD blocks for as long as
  // that by design, and an append that waits is late, not lost. Without it, each command also arms a timer.
  const publisher = redis.duplicate({ disableOfflineQueue: false, commandOptions: { timeout: 0 } });
  const duplicates: RedisClientType[] = [];
  logOutages(publisher, logger, 'publisher');
  // Not awaited: the process serves without Redis (sessions answer 503) and this connects when it is there.
  publisher.connect().catch((error: unknown) => logger.debug({ err: error }, 'socket.io adapter connection abandoned'));
  const streamsAdapter = createAdapter(publisherFor(publisher, logger, duplicates), {
    streamName: options.streamName,
    channelPrefix: options.streamName,
    // MAXLEN counts entries, each of up to BROADCASTS_PER_ENTRY broadcasts (appendingOncePerTurn).
    maxLen: Math.ceil(options.maxLength / BROADCASTS_PER_ENTRY),
    // Every packet is JSON: no search for binary data in each one.
    onlyPlaintext: true,
  });
  const appendsPending: (() => void)[] = [];
  // socket.io calls it with `new`: a function, not an arrow.
  io.adapter(function (nsp: unknown) {
    const { adapter, appendPending } = appendingOncePerTurn(streamsAdapter(nsp));
    appendsPending.push(appendPending);
    return skippingOwnEntries(deliveringLocallyFirst(adapter));
  } as unknown as Parameters<ChatServer['adapter']>[0]);
  return {
    async close(waitAtMost) {
      for (const appendPending of appendsPending) appendPending();
      // The reader's blocking read and the subscriber have nothing to finish.
      for (const client of duplicates) client.destroy();
      await waitAtMost(publisher.close());
      publisher.destroy();
    },
  };
}
