/**
 * The benchmark's load driver against its bare socket.io baseline, in process and tiny: checks
 * that it counts what it should (every message reaches every other client of its room, never
 * counted at its sender), not how fast anything is.
 */
import { startBareServer, type BareServer } from '../../bench/bare-server';
import { driveLoad, type LoadResult } from '../../bench/load';
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
});
