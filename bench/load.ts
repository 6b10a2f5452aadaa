/**
 * The load: N socket.io clients spread over R rooms, each sending `rate` messages a second for a
 * fixed time. Every message carries its send time (performance.now() of this process, which is
 * also where it is received, so there is one clock) and is timed at every other client in its room.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { io, type Socket } from 'socket.io-client';
import type { ChatMessage, ClientToServerEvents, RoomJoined, ServerToClientEvents } from '../node/shared/protocol';
import type { BenchOptions } from './options';
import { CLOCK_TICKS_PER_SECOND, type ProcessSampler } from './proc';
import { cpuShare, perSecond, summarize, type Summary } from './stats';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface LoadTarget {
  url: string;
  /** Cookie header per client (a logged-in session), or none for the bare server. */
  cookies?: readonly string[];
  /** The server process, for its memory and CPU. */
  sampler: ProcessSampler;
  /** Ctrl-C: stops the load early (driveLoad then rejects). */
  signal?: AbortSignal;
}

export interface LoadResult {
  clients: number;
  rooms: number;
  windowMs: number;
  sent: number;
  acked: number;
  /** Acknowledgements with an { error }, by message. */
  ackErrors: Record<string, number>;
  ackTimeouts: number;
  /** Deliveries the acked messages should make: one per other client in the room. */
  expectedDeliveries: number;
  /** message:new received at the other clients while the clients were sending. */
  deliveredInWindow: number;
  /** The same, including what arrived while draining after the window. */
  deliveredTotal: number;
  deliveredPerSecond: number;
  sentPerSecond: number;
  /** Send to receipt of message:new at another client, in ms. */
  latency: Summary | null;
  /** Send to acknowledgement, in ms. */
  ackLatency: Summary | null;
  disconnects: number;
  /** Peak RSS over the server's whole life, set-up (password hashing at registration) included. */
  serverPeakRssBytes: number;
  /** Peak RSS sampled while the clients were sending. */
  serverLoadPeakRssBytes: number;
  /** Server CPU during the window, in cores (1 = one core busy). */
  serverCpu: number;
  /** 99th percentile of this driver's own event-loop delay: if high, the driver, not the server, was the limit. */
  driverLoopDelayP99Ms: number;
}

const ACK_TIMEOUT_MS = 10_000;
const DRAIN_LIMIT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 20_000;
/** Spreads connections and joins so that setup does not measure a thundering herd. */
const SETUP_CONCURRENCY = 20;
/** Sampling interval of the driver's event-loop delay histogram. */
const LOOP_DELAY_RESOLUTION_MS = 10;
/** Padding that makes a message the size of a short chat line. */
const FILLER = ' lorem ipsum dolor sit amet, consectetur adipiscing elit';

export function roomName(index: number): string {
  return `bench-${String(index).padStart(3, '0')}`;
}

async function inBatches<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

function connect(url: string, cookie: string | undefined): Promise<ClientSocket> {
  // WebSocket only: the long-polling handshake would measure something a browser does once.
  const socket: ClientSocket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    timeout: CONNECT_TIMEOUT_MS,
    // Node's WebSocket sends no Origin unless told; the server accepts its own origin only.
    extraHeaders: { origin: url, ...(cookie ? { cookie } : {}) },
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(new Error(`socket.io connection refused: ${error.message}`));
    });
  });
}

/** room:create or room:join, failing on an { error } acknowledgement or none within the timeout. */
function enterRoom(socket: ClientSocket, event: 'room:create' | 'room:join', name: string): Promise<RoomJoined> {
  return new Promise((resolve, reject) => {
    socket.timeout(ACK_TIMEOUT_MS).emit(event, { name }, (error, response) => {
      if (error) reject(new Error(`${event} ${name}: no acknowledgement within ${ACK_TIMEOUT_MS} ms`));
      else if ('error' in response) reject(new Error(`${event} ${name}: ${response.error}`));
      else resolve(response.data);
    });
  });
}

async function joinRooms(sockets: readonly ClientSocket[], rooms: number): Promise<void> {
  // Client i belongs to room i mod rooms, so clients 0..rooms-1 create the rooms.
  await inBatches(rooms, SETUP_CONCURRENCY, (index) => enterRoom(sockets[index] as ClientSocket, 'room:create', roomName(index)));
  await inBatches(sockets.length - rooms, SETUP_CONCURRENCY, (offset) => {
    const index = rooms + offset;
    return enterRoom(sockets[index] as ClientSocket, 'room:join', roomName(index % rooms));
  });
}

/** Runs the load against one server and measures it. */
export async function driveLoad(target: LoadTarget, options: BenchOptions): Promise<LoadResult> {
  const { clients, rooms, rate } = options;
  const windowMs = options.durationSeconds * 1000;
  const runTag = `b${Date.now().toString(36)}`;
  // Every socket that opened, so that a failure part-way still closes them all.
  const opened: ClientSocket[] = [];
  try {
    const sockets = await inBatches(clients, SETUP_CONCURRENCY, async (index) => {
      const socket = await connect(target.url, target.cookies?.[index]);
      opened.push(socket);
      return socket;
    });
    await joinRooms(sockets, rooms);
    const roomSize = Array.from({ length: rooms }, (_, room) => Math.floor(clients / rooms) + (room < clients % rooms ? 1 : 0));

    const latencies: number[] = [];
    const ackLatencies: number[] = [];
    const ackErrors: Record<string, number> = {};
    let sent = 0;
    let acked = 0;
    let ackTimeouts = 0;
    let pendingAcks = 0;
    let expectedDeliveries = 0;
    let delivered = 0;
    let disconnects = 0;

    sockets.forEach((socket, receiver) => {
      socket.on('disconnect', () => {
        disconnects += 1;
      });
      socket.on('message:new', (message: ChatMessage) => {
        const receivedAt = performance.now();
        // clientId is `${runTag}.${sender}.${seq}`, the body starts with the send time.
        const [tag, sender] = message.clientId.split('.');
        if (tag !== runTag || Number(sender) === receiver) return;
        delivered += 1;
        latencies.push(receivedAt - Number.parseFloat(message.body));
      });
    });

    // Let presence and join broadcasts of the setup settle before measuring.
    await sleep(1000, undefined, { signal: target.signal });
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    loopDelay.enable();
    target.sampler.resetSampledPeak();
    const cpuBefore = target.sampler.cpuTicks();
    const windowStart = performance.now();
    const periodMs = 1000 / rate;
    const timers: NodeJS.Timeout[] = [];

    sockets.forEach((socket, sender) => {
      let sequence = 0;
      const room = roomName(sender % rooms);
      const send = () => {
        const sentAt = performance.now();
        const clientId = `${runTag}.${sender}.${sequence++}`;
        sent += 1;
        pendingAcks += 1;
        socket.timeout(ACK_TIMEOUT_MS).emit('message:send', { room, clientId, body: `${sentAt.toFixed(3)}${FILLER}` }, (error, response) => {
          pendingAcks -= 1;
          if (error) {
            ackTimeouts += 1;
          } else if ('error' in response) {
            ackErrors[response.error] = (ackErrors[response.error] ?? 0) + 1;
          } else {
            acked += 1;
            expectedDeliveries += (roomSize[sender % rooms] as number) - 1;
            ackLatencies.push(performance.now() - sentAt);
          }
        });
      };
      // A random phase per client, so that sends are spread over each period rather than in bursts.
      const start = setTimeout(() => {
        send();
        timers.push(setInterval(send, periodMs));
      }, Math.random() * periodMs);
      timers.push(start);
    });

    try {
      await sleep(windowMs, undefined, { signal: target.signal });
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
    const actualWindowMs = performance.now() - windowStart;
    const deliveredInWindow = delivered;
    const cpuAfter = target.sampler.cpuTicks();
    const serverLoadPeakRssBytes = target.sampler.sampledPeakRssBytes();
    loopDelay.disable();

    // Drain: wait for outstanding acknowledgements and deliveries, within a limit.
    const drainDeadline = performance.now() + DRAIN_LIMIT_MS;
    while ((pendingAcks > 0 || delivered < expectedDeliveries) && performance.now() < drainDeadline) await sleep(50);

    return {
      clients,
      rooms,
      windowMs: actualWindowMs,
      sent,
      acked,
      ackErrors,
      ackTimeouts,
      expectedDeliveries,
      deliveredInWindow,
      deliveredTotal: delivered,
      deliveredPerSecond: perSecond(deliveredInWindow, actualWindowMs),
      sentPerSecond: perSecond(sent, actualWindowMs),
      latency: summarize(latencies),
      ackLatency: summarize(ackLatencies),
      disconnects,
      serverPeakRssBytes: target.sampler.peakRssBytes(),
      serverLoadPeakRssBytes,
      serverCpu: cpuBefore === null || cpuAfter === null ? 0 : cpuShare(cpuBefore, cpuAfter, CLOCK_TICKS_PER_SECOND, actualWindowMs),
      // The histogram holds whole sampling intervals: the delay is what exceeds the interval.
      driverLoopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    };
  } finally {
    for (const socket of opened) socket.close();
  }
}
