/**
 * The load: N socket.io clients spread over R rooms, each sending `rate` messages a second for a
 * fixed time. Every message carries its send time (performance.now() of this process, which is
 * also where it is received, so there is one clock) and is timed at every other client in its room.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ack, RoomJoined } from '../node/shared/protocol';
import type { BenchOptions } from './options';
import { CLOCK_TICKS_PER_SECOND, commandTicksBetween, ProcessSampler, readCommandCpuTicks, readMachineBusyTicks } from './proc';
import { internalsBetween, scrapeMetrics, type ServerInternals } from './server-metrics';
import { cpuShare, perSecond, summarize, type Summary } from './stats';
import { WireSocket } from './wire';

export interface LoadTarget {
  url: string;
  /** Cookie header per client (a logged-in session), or none for the bare server. */
  cookies?: readonly string[];
  /** The server process, for its memory and CPU. */
  sampler: ProcessSampler;
  /** Ctrl-C: stops the load early (driveLoad then rejects). */
  signal?: AbortSignal;
  /** The rooms are there from an earlier load on this server (a sweep's later steps): every client joins. */
  roomsExist?: boolean;
  /** The server serves /metrics (the chat): read at the window's start and end for `internals`. */
  servesMetrics?: boolean;
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
  /** Deliveries every sent message should make, acked or not: what the workload asked for. */
  offeredDeliveries: number;
  /** message:new received at the other clients while the clients were sending. */
  deliveredInWindow: number;
  /** The same, including what arrived while draining after the window. */
  deliveredTotal: number;
  deliveredPerSecond: number;
  sentPerSecond: number;
  /** Send to receipt of message:new at another client, in ms. */
  latency: Summary | null;
  /** p99 latency of the messages sent in each second of the window: shows warm-up and stalls. */
  latencyP99BySecond: (number | null)[];
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
  /** This driver's CPU during the window, in cores: it shares the machine's cores with the server. */
  driverCpu: number;
  /** Where the server's time went during the window, from its /metrics; null for a server without them. */
  internals: ServerInternals | null;
  /** Share of the window the server's event loop was ready to run but waited for a core; null if unreadable. */
  serverLoopWait: number | null;
  /** The same for this driver's event loop. */
  driverLoopWait: number | null;
  /**
   * PostgreSQL's and Redis's CPU during the window, in cores: every process of theirs on this machine (PostgreSQL's
   * backends, its WAL writer and checkpointer; redis-server), whoever asked for the work.
   */
  postgresCpu: number;
  redisCpu: number;
  /** The whole machine's busy CPU during the window, in cores (server, driver, PostgreSQL, Redis, kernel); null if unreadable. */
  machineCpu: number | null;
}

const ACK_TIMEOUT_MS = 10_000;
const DRAIN_LIMIT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 20_000;
/** Spreads connections and joins so that setup does not measure a thundering herd. */
const SETUP_CONCURRENCY = 20;
/**
 * The setup's own broadcasts (presence, member counts) must all have arrived before the first send, or the server is
 * measured still writing them: when the chat told every client of each join of a public room, the 1,000 joins
 * were a million frames and took it about 20 s, well past a fixed second of waiting.
 */
const SETTLED_QUIET_MS = 500;
const SETTLE_LIMIT_MS = 120_000;
/** Sampling interval of the driver's event-loop delay histogram. */
const LOOP_DELAY_RESOLUTION_MS = 10;
/** The command names of PostgreSQL's and Redis's processes, whose CPU the window counts. */
const POSTGRES_COMMAND = 'postgres';
const REDIS_COMMAND = 'redis-server';
const SERVICE_COMMANDS = [POSTGRES_COMMAND, REDIS_COMMAND];
/** Padding that makes a message the size of a short chat line. */
const FILLER = ' lorem ipsum dolor sit amet, consectetur adipiscing elit';

/** Resolves once none of the sockets has received a frame for `quietMs`, or after `limitMs` at most. */
export async function settled(sockets: readonly { lastReceivedAt: number }[], quietMs: number, limitMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + limitMs;
  for (;;) {
    const last = sockets.reduce((latest, socket) => Math.max(latest, socket.lastReceivedAt), Number.NEGATIVE_INFINITY);
    const quietFor = performance.now() - last;
    if (quietFor >= quietMs || performance.now() >= deadline) return;
    await sleep(Math.min(quietMs - quietFor, deadline - performance.now()), undefined, { signal });
  }
}

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

/**
 * The value of the string field `key` of a message in a packet's JSON text, without parsing the rest; '' if it has
 * none. The first `"key":"` is the field: inside a JSON string a quote is escaped, so it cannot be one's text. The
 * value is cut at its first quote (the load's client ids and send times hold none).
 */
export function stringField(packet: string, key: string): string {
  const marker = `"${key}":"`;
  const start = packet.indexOf(marker);
  if (start === -1) return '';
  const from = start + marker.length;
  return packet.slice(from, packet.indexOf('"', from));
}

const STORED = { data: null };

/**
 * A send's answer from its JSON text: `{ data }` (stored) told by its first key, without parsing the stored message
 * it holds; an `{ error }` parsed.
 */
export function sendOutcome(answerText: string): Ack<unknown> {
  return answerText.startsWith('[{"data":') ? STORED : (JSON.parse(answerText) as [Ack<unknown>])[0];
}

function connect(url: string, cookie: string | undefined): Promise<WireSocket> {
  // WebSocket only, as the browser ends up: the long-polling handshake would measure something a browser does once.
  // Node's WebSocket sends no Origin unless told; the server accepts its own origin only.
  return WireSocket.connect(url, { origin: url, ...(cookie ? { cookie } : {}) }, CONNECT_TIMEOUT_MS);
}

/** room:create or room:join, failing on an { error } acknowledgement or none within the timeout. */
function enterRoom(socket: WireSocket, event: 'room:create' | 'room:join', name: string): Promise<RoomJoined> {
  return new Promise((resolve, reject) => {
    socket.emit(
      event,
      { name },
      (answer) => {
        const response = answer as Ack<RoomJoined> | 'timeout';
        if (response === 'timeout') reject(new Error(`${event} ${name}: no acknowledgement within ${ACK_TIMEOUT_MS} ms`));
        else if ('error' in response) reject(new Error(`${event} ${name}: ${response.error}`));
        else resolve(response.data);
      },
      ACK_TIMEOUT_MS,
    );
  });
}

async function joinRooms(sockets: readonly WireSocket[], rooms: number, roomsExist: boolean): Promise<void> {
  // Client i belongs to room i mod rooms, so clients 0..rooms-1 create the rooms.
  await inBatches(rooms, SETUP_CONCURRENCY, (index) => enterRoom(sockets[index] as WireSocket, roomsExist ? 'room:join' : 'room:create', roomName(index)));
  await inBatches(sockets.length - rooms, SETUP_CONCURRENCY, (offset) => {
    const index = rooms + offset;
    return enterRoom(sockets[index] as WireSocket, 'room:join', roomName(index % rooms));
  });
}

/**
 * Counts and timings of the measured window. Messages sent before the window (warm-up) or after it
 * are neither counted nor timed, but their acknowledgements are still awaited while draining.
 */
class Tally {
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;
  private readonly latencies: number[] = [];
  private readonly latenciesBySecond: number[][];
  private readonly ackLatencies: number[] = [];
  private readonly ackErrors: Record<string, number> = {};
  private sentCount = 0;
  private acked = 0;
  private ackTimeouts = 0;
  private pendingAcks = 0;
  private expectedDeliveries = 0;
  private offeredDeliveries = 0;
  private deliveredCount = 0;
  private deliveredInWindow = 0;
  disconnects = 0;

  constructor(seconds: number) {
    this.latenciesBySecond = Array.from({ length: seconds }, () => []);
  }

  startWindow(): number {
    this.windowStart = performance.now();
    return this.windowStart;
  }

  endWindow(): void {
    this.windowEnd = performance.now();
    this.deliveredInWindow = this.deliveredCount;
  }

  private measured(sentAt: number): boolean {
    return sentAt >= this.windowStart && sentAt < this.windowEnd;
  }

  /** Records a send; the returned function records its acknowledgement. */
  sent(sentAt: number, receivers: number): (response: Ack<unknown> | 'timeout') => void {
    const measured = this.measured(sentAt);
    if (measured) {
      this.sentCount += 1;
      this.offeredDeliveries += receivers;
    }
    this.pendingAcks += 1;
    return (response) => {
      this.pendingAcks -= 1;
      if (!measured) return;
      if (response === 'timeout') {
        this.ackTimeouts += 1;
      } else if ('error' in response) {
        this.ackErrors[response.error] = (this.ackErrors[response.error] ?? 0) + 1;
      } else {
        this.acked += 1;
        this.expectedDeliveries += receivers;
        this.ackLatencies.push(performance.now() - sentAt);
      }
    };
  }

  delivered(sentAt: number, receivedAt: number): void {
    if (!this.measured(sentAt)) return;
    this.deliveredCount += 1;
    this.latencies.push(receivedAt - sentAt);
    this.latenciesBySecond[Math.floor((sentAt - this.windowStart) / 1000)]?.push(receivedAt - sentAt);
  }

  drained(): boolean {
    return this.pendingAcks === 0 && this.deliveredCount >= this.expectedDeliveries;
  }

  figures(windowMs: number) {
    return {
      sent: this.sentCount,
      acked: this.acked,
      ackErrors: this.ackErrors,
      ackTimeouts: this.ackTimeouts,
      expectedDeliveries: this.expectedDeliveries,
      offeredDeliveries: this.offeredDeliveries,
      deliveredInWindow: this.deliveredInWindow,
      deliveredTotal: this.deliveredCount,
      deliveredPerSecond: perSecond(this.deliveredInWindow, windowMs),
      sentPerSecond: perSecond(this.sentCount, windowMs),
      latency: summarize(this.latencies),
      latencyP99BySecond: this.latenciesBySecond.map((second) => summarize(second)?.p99 ?? null),
      ackLatency: summarize(this.ackLatencies),
      disconnects: this.disconnects,
    };
  }
}

/** The share of the window a loop waited for a core, from its total waits (ms) at the window's ends; null if unreadable. */
function waitedShare(before: number | null, after: number | null, windowMs: number): number | null {
  return before === null || after === null ? null : (after - before) / windowMs;
}

/** Runs the load against one server and measures it. */
export async function driveLoad(target: LoadTarget, options: BenchOptions): Promise<LoadResult> {
  const { clients, rooms, rate } = options;
  const runTag = `b${Date.now().toString(36)}`;
  // Every socket that opened, so that a failure part-way still closes them all.
  const opened: WireSocket[] = [];
  try {
    const sockets = await inBatches(clients, SETUP_CONCURRENCY, async (index) => {
      const socket = await connect(target.url, target.cookies?.[index]);
      opened.push(socket);
      return socket;
    });
    await joinRooms(sockets, rooms, target.roomsExist ?? false);
    const roomSize = Array.from({ length: rooms }, (_, room) => Math.floor(clients / rooms) + (room < clients % rooms ? 1 : 0));

    const tally = new Tally(Math.ceil(options.durationSeconds));
    sockets.forEach((socket, receiver) => {
      socket.onDisconnect = () => {
        tally.disconnects += 1;
      };
      socket.onRaw('message:new', (packet) => {
        const receivedAt = performance.now();
        // clientId is `${runTag}.${sender}.${seq}`, the body starts with the send time.
        const [tag, sender] = stringField(packet, 'clientId').split('.');
        if (tag === runTag && Number(sender) !== receiver) tally.delivered(Number.parseFloat(stringField(packet, 'body')), receivedAt);
      });
    });

    await settled(sockets, SETTLED_QUIET_MS, SETTLE_LIMIT_MS, target.signal);
    const periodMs = 1000 / rate;
    const timers: NodeJS.Timeout[] = [];
    sockets.forEach((socket, sender) => {
      let sequence = 0;
      const room = roomName(sender % rooms);
      const receivers = (roomSize[sender % rooms] as number) - 1;
      const send = () => {
        const sentAt = performance.now();
        const clientId = `${runTag}.${sender}.${sequence++}`;
        const acknowledged = tally.sent(sentAt, receivers);
        socket.emit(
          'message:send',
          { room, clientId, body: `${sentAt.toFixed(3)}${FILLER}` },
          (answer) => acknowledged(answer === 'timeout' ? 'timeout' : sendOutcome(answer as string)),
          ACK_TIMEOUT_MS,
          'text',
        );
      };
      // A random phase per client, so that sends are spread over each period rather than in bursts.
      const start = setTimeout(() => {
        send();
        timers.push(setInterval(send, periodMs));
      }, Math.random() * periodMs);
      timers.push(start);
    });

    let windowMs: number;
    let cpuBefore: number | null;
    let cpuAfter: number | null;
    let serverLoadPeakRssBytes: number;
    let driverCpuMicros: NodeJS.CpuUsage;
    let machineBefore: number | null;
    let servicesBefore: ReturnType<typeof readCommandCpuTicks>;
    let servicesAfter: ReturnType<typeof readCommandCpuTicks>;
    let serverLoopWait: number | null;
    let driverLoopWait: number | null;
    const driver = new ProcessSampler(process.pid);
    let machineAfter: number | null;
    let internals: ServerInternals | null = null;
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    try {
      // Warm-up: the same load, not measured (JIT compilation, first queries, connection pools filling).
      await sleep(options.warmupSeconds * 1000, undefined, { signal: target.signal });
      loopDelay.enable();
      target.sampler.resetSampledPeak();
      cpuBefore = target.sampler.cpuTicks();
      const driverCpuBefore = process.cpuUsage();
      machineBefore = readMachineBusyTicks();
      servicesBefore = readCommandCpuTicks(SERVICE_COMMANDS);
      const serverLoopWaitBefore = target.sampler.loopWaitMs();
      const driverLoopWaitBefore = driver.loopWaitMs();
      const metricsBefore = target.servesMetrics ? await scrapeMetrics(target.url) : null;
      const windowStart = tally.startWindow();
      await sleep(options.durationSeconds * 1000, undefined, { signal: target.signal });
      tally.endWindow();
      windowMs = performance.now() - windowStart;
      if (metricsBefore !== null) internals = internalsBetween(metricsBefore, await scrapeMetrics(target.url), windowMs);
      cpuAfter = target.sampler.cpuTicks();
      driverCpuMicros = process.cpuUsage(driverCpuBefore);
      machineAfter = readMachineBusyTicks();
      servicesAfter = readCommandCpuTicks(SERVICE_COMMANDS);
      serverLoopWait = waitedShare(serverLoopWaitBefore, target.sampler.loopWaitMs(), windowMs);
      driverLoopWait = waitedShare(driverLoopWaitBefore, driver.loopWaitMs(), windowMs);
      serverLoadPeakRssBytes = target.sampler.sampledPeakRssBytes();
      loopDelay.disable();
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }

    // Drain: wait for outstanding acknowledgements and deliveries, within a limit.
    const drainDeadline = performance.now() + DRAIN_LIMIT_MS;
    while (!tally.drained() && performance.now() < drainDeadline) await sleep(50);

    const servicesSpent = commandTicksBetween(servicesBefore, servicesAfter);
    const servicesCpu = (command: string) => cpuShare(0, servicesSpent.get(command) ?? 0, CLOCK_TICKS_PER_SECOND, windowMs);
    return {
      clients,
      rooms,
      windowMs,
      ...tally.figures(windowMs),
      serverPeakRssBytes: target.sampler.peakRssBytes(),
      serverLoadPeakRssBytes,
      serverCpu: cpuBefore === null || cpuAfter === null ? 0 : cpuShare(cpuBefore, cpuAfter, CLOCK_TICKS_PER_SECOND, windowMs),
      // The histogram holds whole sampling intervals: the delay is what exceeds the interval.
      driverLoopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
      driverCpu: (driverCpuMicros.user + driverCpuMicros.system) / 1000 / windowMs,
      internals,
      postgresCpu: servicesCpu(POSTGRES_COMMAND),
      redisCpu: servicesCpu(REDIS_COMMAND),
      serverLoopWait,
      driverLoopWait,
      machineCpu: machineBefore === null || machineAfter === null ? null : cpuShare(machineBefore, machineAfter, CLOCK_TICKS_PER_SECOND, windowMs),
    };
  } finally {
    for (const socket of opened) socket.close();
  }
}
