/**
 * The benchmark's load driver against its bare socket.io baseline, in process and tiny: checks
 * that it counts what it should (every message reaches every other client of its room, never
 * counted at its sender), not how fast anything is.
 */
import os from 'node:os';
import { startBareServer, type BareServer } from '../../bench/bare-server';
import { driveLoad, sendOutcome, settled, stringField, type LoadResult } from '../../bench/load';
import { ProcessSampler } from '../../bench/proc';
import { formatReport } from '../../bench/report';

const options = { clients: 6, rooms: 2, durationSeconds: 1, rate: 4, warmupSeconds: 0.5, memoryLimitMiB: 0, sweep: false };
let bare: BareServer;
let result: LoadResult;

beforeAll(async () => {
  bare = await startBareServer();
  result = await driveLoad({ url: `http://127.0.0.1:${bare.port}`, sampler: new ProcessSampler(process.pid) }, options);
});

afterAll(() => bare.close());

it('sends from every client and gets every message acknowledged, counting only the measured second', () => {
  expect(result.sent).toBeGreaterThanOrEqual(options.clients);
  // At most one extra send per client at the window's edges; the warm-up's sends are not counted.
  expect(result.sent).toBeLessThanOrEqual(options.clients * (options.rate * options.durationSeconds + 1));
  expect(result.acked).toBe(result.sent);
  expect(result.ackErrors).toEqual({});
  expect(result.ackTimeouts).toBe(0);
  expect(result.disconnects).toBe(0);
});

it('delivers each message to the other two clients of its room, and times each delivery', () => {
  // 6 clients in 2 rooms: 3 per room, so 2 receivers per message (the sender's own copy does not count).
  expect(result.expectedDeliveries).toBe(result.acked * 2);
  expect(result.deliveredTotal).toBe(result.expectedDeliveries);
  expect(result.latency?.count).toBe(result.deliveredTotal);
  expect(result.latency?.min).toBeGreaterThan(0);
  expect(result.ackLatency?.count).toBe(result.acked);
});

it('reads the server process’s peak memory, over its life and under the load', () => {
  expect(result.serverPeakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
  expect(result.serverLoadPeakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
  expect(result.serverLoadPeakRssBytes).toBeLessThanOrEqual(result.serverPeakRssBytes);
});

it('reads its own CPU over the window, which it shares with the server on one machine', () => {
  // The driver and this bare server are one process here: it sent, received and broadcast for a second.
  expect(result.driverCpu).toBeGreaterThan(0);
  expect(result.driverCpu).toBeLessThanOrEqual(os.cpus().length);
  // The machine was at least as busy as this process, which is part of it (within /proc/stat's 10 ms ticks per core).
  expect(result.machineCpu).toBeGreaterThanOrEqual(result.driverCpu - 0.05);
  expect(result.machineCpu).toBeLessThanOrEqual(os.cpus().length * 1.05);
});

it('reads PostgreSQL’s and Redis’s CPU over the window, idle or not', () => {
  for (const cpu of [result.postgresCpu, result.redisCpu]) {
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(os.cpus().length);
  }
});

it('reads how long the server’s and its own event loop waited for a core, as shares of the window', () => {
  // Here the server is this process: both are its main thread's wait, read a moment apart.
  for (const wait of [result.serverLoopWait, result.driverLoopWait]) {
    expect(wait).toBeGreaterThanOrEqual(0);
    expect(wait).toBeLessThan(1);
  }
  expect(Math.abs((result.serverLoopWait as number) - (result.driverLoopWait as number))).toBeLessThan(0.05);
});

it('reads a string field of a delivery’s packet without parsing it, not fooled by the same text inside a string', () => {
  const packet = `42["message:new",${JSON.stringify({ id: 7, body: '123.456 says "clientId":"fake"', clientId: 'b1.2.3', user: { username: 'body' } })}]`;
  expect(stringField(packet, 'clientId')).toBe('b1.2.3');
  expect(Number.parseFloat(stringField(packet, 'body'))).toBe(123.456);
  expect(stringField(packet, 'room')).toBe('');
});

it('tells a stored send from a refused one by its answer’s text, parsing only the refusal', () => {
  expect(sendOutcome(JSON.stringify([{ data: { id: 1, body: 'says {"error":"no"}' } }]))).toEqual({ data: null });
  expect(sendOutcome(JSON.stringify([{ error: 'server busy: retry', code: 'busy' }]))).toEqual({ error: 'server busy: retry', code: 'busy' });
});

it('refuses a server that does not speak socket.io', async () => {
  await expect(
    driveLoad({ url: 'http://127.0.0.1:9', sampler: new ProcessSampler(process.pid) }, { ...options, clients: 2, rooms: 1 }),
  ).rejects.toThrow('socket.io connection refused');
});

it('prints both servers side by side with the ratio', () => {
  const report = formatReport(options, result, { ...result, deliveredPerSecond: result.deliveredPerSecond / 2 }, 'in a memory cgroup of 512 MiB');
  expect(report).toContain('6 clients in 2 rooms, 4 message(s)/s each for 1 s after 0.5 s of warm-up');
  expect(report).toMatch(/Node v[\d.]+; servers in a memory cgroup of 512 MiB\n/);
  expect(report).toMatch(/chat: latency p99 \(ms\) by second sent: \d+\n/);
  expect(report).toMatch(/delivered messages\/s\s+[\d.]+\s+[\d.]+\s+2\.00/);
  expect(report).toMatch(/latency p99 \(ms\)\s+[\d.]+\s+[\d.]+\s+1\.00/);
  expect(report).toMatch(/delivered\/expected \(%\)\s+100\.00\s+100\.00\s+1\.00/);
  expect(report).toMatch(/machine CPU busy \(of \d+\)\s+[\d.]+\s+[\d.]+\s+1\.00/);
  expect(report).toMatch(/driver event-loop delay p99 [\d.]+ ms, driver CPU [\d.]+ cores\n/);
  // Bare socket.io uses neither PostgreSQL nor Redis: those rows have no ratio.
  expect(report).toMatch(/PostgreSQL CPU \(cores\)\s+[\d.]+\s+[\d.]+\s+-\n/);
  expect(report).toMatch(/Redis CPU \(cores\)\s+[\d.]+\s+[\d.]+\s+-\n/);
  expect(report).toMatch(/server loop waiting for a core \(%\)\s+[\d.]+\s+[\d.]+\s+([\d.]+|-)\n/);
});

it("prints where the chat's time went when its /metrics were read, and nothing of the kind for bare", () => {
  expect(result.internals).toBeNull();
  expect(formatReport(options, result, result, 'without a memory limit')).not.toContain('inside');
  const internals = { batchesPerSecond: 212, meanBatchSize: 23.04, meanBatchMs: 3.14, writingShare: 0.66, meanAckInServerMs: 12.5, loopDelayP99Ms: null };
  expect(formatReport(options, { ...result, internals }, result, 'without a memory limit')).toContain(
    'chat inside (its /metrics over the window): 212 batches/s of 23.0 messages, each written in 3.1 ms (batches being written 66 % of the time, lanes added up), a send answered 12.5 ms after its handler began on average, event-loop delay p99 - ms\n',
  );
});

it('gives the server CPU for each acknowledged message, and none where nothing was acknowledged', () => {
  // Half a core for 1,000 sends a second over 2 s: 500 acknowledged a second cost 1,000 µs each, 1,000 cost 500 µs.
  const halfAcked = { ...result, serverCpu: 0.5, windowMs: 2000, sent: 2000, acked: 1000 };
  const allAcked = { ...halfAcked, acked: 2000 };
  expect(formatReport(options, halfAcked, allAcked, 'without a memory limit')).toMatch(/server CPU per acked message \(µs\)\s+1000\s+500\s+2\.00\n/);
  expect(formatReport(options, { ...halfAcked, acked: 0 }, allAcked, 'without a memory limit')).toMatch(/server CPU per acked message \(µs\)\s+-\s+500\s+-\n/);
});

it('checks the chat against the targets and the aim of twice bare\'s p95, and bare against the same targets', () => {
  // Figures of their own: the sampled process here is the test runner, whose RSS is not a server's.
  const figures = { serverLoadPeakRssBytes: 100 * 1024 * 1024 };
  const slow = { ...result, ...figures, latency: result.latency && { ...result.latency, p95: 120, p99: 140 } };
  const fast = { ...result, ...figures, latency: result.latency && { ...result.latency, p95: 40, p99: 60 } };
  const lines = formatReport(options, slow, fast, 'without a memory limit').split('\n');
  expect(lines).toContainEqual(expect.stringMatching(/^chat targets: .*p95 120\.0 ms <= 50 MISSED; p99 140\.0 ms <= 150 ok; .*; p95 \/ bare's 3\.00 <= 2 MISSED$/));
  expect(lines).toContainEqual(expect.stringMatching(/^bare, same targets: delivered 100\.00 % >= 99 % ok; internal errors 0 = 0 ok; p95 40\.0 ms <= 50 ok; p99 60\.0 ms <= 150 ok; RSS under load 100 MiB <= 300 ok$/));
  expect(formatReport(options, fast, slow, 'without a memory limit')).toMatch(/p95 \/ bare's 0\.33 <= 2 ok\n/);
});

describe('waiting for the setup to settle', () => {
  /** A socket that receives a frame every 10 ms until stopped. */
  function receiving(): { socket: { lastReceivedAt: number }; stop(): number } {
    const socket = { lastReceivedAt: performance.now() };
    const timer = setInterval(() => (socket.lastReceivedAt = performance.now()), 10);
    return {
      socket,
      stop: () => {
        clearInterval(timer);
        return socket.lastReceivedAt;
      },
    };
  }

  it('waits until no socket has received anything for the quiet time', async () => {
    const busy = receiving();
    const idle = { lastReceivedAt: performance.now() - 10_000 };
    setTimeout(() => busy.stop(), 300);
    await settled([idle, busy.socket], 200, 30_000);
    const lastFrame = busy.stop();
    // Frames came for 300 ms: returning before they stopped would leave the last one under 10 ms old.
    expect(performance.now() - lastFrame).toBeGreaterThanOrEqual(200);
  });

  it('gives up at its limit when frames never stop', async () => {
    const busy = receiving();
    const started = performance.now();
    await settled([busy.socket], 200, 400);
    const stillReceiving = performance.now() - busy.socket.lastReceivedAt < 200;
    busy.stop();
    expect(stillReceiving).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
  });
});
