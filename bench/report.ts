/**
 * The printed result: one table, the chat server next to the bare socket.io server and the ratio.
 */
import os from 'node:os';
import type { LoadResult } from './load';
import type { BenchOptions } from './options';
import { perSecond, ratio } from './stats';
import { deliveredPercent, knee, type SweepStep } from './sweep';

interface Row {
  label: string;
  ours: number | null;
  bare: number | null;
  digits: number;
  /** No chat/bare ratio: bare socket.io does not use what the row measures, so its figure is the machine's noise. */
  unpaired?: boolean;
}

function format(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

/**
 * The server's CPU time for each message it acknowledged (one core-second is 1,000,000 µs): what a message costs it,
 * comparable between loads and between the two servers. Refused sends cost a little too and are in it.
 */
function cpuPerAcked(result: LoadResult): number | null {
  const ackedPerSecond = perSecond(result.acked, result.windowMs);
  return ackedPerSecond > 0 ? (result.serverCpu * 1_000_000) / ackedPerSecond : null;
}

const percent = (share: number | null) => (share === null ? null : share * 100);

function rows(ours: LoadResult, bare: LoadResult): Row[] {
  const mib = (bytes: number) => bytes / 1024 / 1024;
  const share = (result: LoadResult) => (result.offeredDeliveries > 0 ? deliveredPercent(result) : null);
  return [
    { label: 'sent messages/s', ours: ours.sentPerSecond, bare: bare.sentPerSecond, digits: 1 },
    { label: 'delivered messages/s', ours: ours.deliveredPerSecond, bare: bare.deliveredPerSecond, digits: 1 },
    { label: 'latency p50 (ms)', ours: ours.latency?.p50 ?? null, bare: bare.latency?.p50 ?? null, digits: 2 },
    { label: 'latency p95 (ms)', ours: ours.latency?.p95 ?? null, bare: bare.latency?.p95 ?? null, digits: 2 },
    { label: 'latency p99 (ms)', ours: ours.latency?.p99 ?? null, bare: bare.latency?.p99 ?? null, digits: 2 },
    { label: 'latency max (ms)', ours: ours.latency?.max ?? null, bare: bare.latency?.max ?? null, digits: 2 },
    { label: 'ack p50 (ms)', ours: ours.ackLatency?.p50 ?? null, bare: bare.ackLatency?.p50 ?? null, digits: 2 },
    { label: 'ack p99 (ms)', ours: ours.ackLatency?.p99 ?? null, bare: bare.ackLatency?.p99 ?? null, digits: 2 },
    { label: 'server peak RSS (MiB)', ours: mib(ours.serverPeakRssBytes), bare: mib(bare.serverPeakRssBytes), digits: 1 },
    { label: 'server RSS under load (MiB)', ours: mib(ours.serverLoadPeakRssBytes), bare: mib(bare.serverLoadPeakRssBytes), digits: 1 },
    { label: 'server CPU (cores)', ours: ours.serverCpu, bare: bare.serverCpu, digits: 2 },
    { label: 'server CPU per acked message (µs)', ours: cpuPerAcked(ours), bare: cpuPerAcked(bare), digits: 0 },
    { label: 'PostgreSQL CPU (cores)', ours: ours.postgresCpu, bare: bare.postgresCpu, digits: 2, unpaired: true },
    { label: 'Redis CPU (cores)', ours: ours.redisCpu, bare: bare.redisCpu, digits: 2, unpaired: true },
    { label: `machine CPU busy (of ${os.cpus().length})`, ours: ours.machineCpu, bare: bare.machineCpu, digits: 2 },
    { label: 'server loop waiting for a core (%)', ours: percent(ours.serverLoopWait), bare: percent(bare.serverLoopWait), digits: 1 },
    { label: 'driver loop waiting for a core (%)', ours: percent(ours.driverLoopWait), bare: percent(bare.driverLoopWait), digits: 1 },
    { label: 'delivered/expected (%)', ours: share(ours), bare: share(bare), digits: 2 },
  ];
}

function timelineLine(name: string, result: LoadResult): string {
  return `${name}: latency p99 (ms) by second sent: ${result.latencyP99BySecond.map((p99) => (p99 === null ? '-' : p99.toFixed(0))).join(' ')}`;
}

/** Where the chat's time went (server-metrics.ts): its writer, its answer inside the server, its event loop. */
function internalsLine(name: string, result: LoadResult): string[] {
  const figures = result.internals;
  if (!figures) return [];
  return [
    `${name} inside (its /metrics over the window): ${figures.batchesPerSecond.toFixed(0)} batches/s of ${format(figures.meanBatchSize, 1)} messages, ` +
      `each written in ${format(figures.meanBatchMs, 1)} ms (batches being written ${(figures.writingShare * 100).toFixed(0)} % of the time, lanes added up), ` +
      `a send answered ${format(figures.meanAckInServerMs, 1)} ms after its handler began on average, event-loop delay p99 ${format(figures.loopDelayP99Ms, 1)} ms`,
  ];
}

function errorsLine(name: string, result: LoadResult): string {
  const errors = Object.entries(result.ackErrors).map(([message, count]) => `${count}x "${message}"`);
  return `${name}: ${result.acked}/${result.sent} acked, ack errors: ${errors.length ? errors.join(', ') : 'none'}, ack timeouts: ${result.ackTimeouts}, disconnects: ${result.disconnects}, driver event-loop delay p99 ${result.driverLoopDelayP99Ms.toFixed(1)} ms, driver CPU ${result.driverCpu.toFixed(2)} cores`;
}

/** When and where, and how the servers ran (memory-limit.ts). */
export function machineLine(servers: string, now = new Date()): string {
  const cpus = os.cpus();
  return `${now.toISOString()} on ${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}; servers ${servers}`;
}

/** What the chat must reach on the README's workload (issue 9): each check with its figure. */
export const TARGETS = { deliveredPercent: 99, p95Ms: 50, p99Ms: 150, rssMiB: 300, p95OverBare: 2 } as const;

type Check = readonly [text: string, met: boolean];

const checked = (checks: readonly Check[]) => checks.map(([text, met]) => `${text} ${met ? 'ok' : 'MISSED'}`).join('; ');

function absoluteChecks(result: LoadResult): Check[] {
  const internal = Object.entries(result.ackErrors)
    .filter(([message]) => message === 'internal error')
    .reduce((total, [, count]) => total + count, 0);
  const rssMiB = result.serverLoadPeakRssBytes / 1024 / 1024;
  return [
    [`delivered ${deliveredPercent(result).toFixed(2)} % >= ${TARGETS.deliveredPercent} %`, deliveredPercent(result) >= TARGETS.deliveredPercent],
    [`internal errors ${internal} = 0`, internal === 0],
    [`p95 ${format(result.latency?.p95 ?? null, 1)} ms <= ${TARGETS.p95Ms}`, (result.latency?.p95 ?? Infinity) <= TARGETS.p95Ms],
    [`p99 ${format(result.latency?.p99 ?? null, 1)} ms <= ${TARGETS.p99Ms}`, (result.latency?.p99 ?? Infinity) <= TARGETS.p99Ms],
    [`RSS under load ${rssMiB.toFixed(0)} MiB <= ${TARGETS.rssMiB}`, rssMiB <= TARGETS.rssMiB],
  ];
}

/**
 * The chat's checks, then the aim of a p95 within twice bare's, then bare socket.io against the same absolute checks:
 * where bare misses one too, this machine (shared with the driver) cannot show it, whatever the chat does.
 */
export function targetsLines(ours: LoadResult, bare: LoadResult): string[] {
  const p95Ratio = ratio(ours.latency?.p95, bare.latency?.p95);
  const aim: Check = [`p95 / bare's ${format(p95Ratio, 2)} <= ${TARGETS.p95OverBare}`, p95Ratio !== null && p95Ratio <= TARGETS.p95OverBare];
  return [`chat targets: ${checked([...absoluteChecks(ours), aim])}`, `bare, same targets: ${checked(absoluteChecks(bare))}`];
}

export function formatReport(options: BenchOptions, ours: LoadResult, bare: LoadResult, servers: string, now = new Date()): string {
  const header = ['', 'chat', 'bare', 'chat/bare'];
  const table = rows(ours, bare).map((row) => [row.label, format(row.ours, row.digits), format(row.bare, row.digits), format(row.unpaired ? null : ratio(row.ours, row.bare), 2)]);
  const widths = header.map((_, column) => Math.max(...[header, ...table].map((cells) => (cells[column] as string).length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] as number) : cell.padStart(widths[column] as number))).join('  ');
  return [
    `chat benchmark: ${options.clients} clients in ${options.rooms} rooms, ${options.rate} message(s)/s each for ${options.durationSeconds} s after ${options.warmupSeconds} s of warm-up`,
    machineLine(servers, now),
    '',
    line(header),
    ...table.map(line),
    '',
    errorsLine('chat', ours),
    errorsLine('bare', bare),
    ...internalsLine('chat', ours),
    timelineLine('chat', ours),
    timelineLine('bare', bare),
    ...targetsLines(ours, bare),
  ].join('\n');
}

function sweepLines(name: string, steps: readonly SweepStep[]): string[] {
  return steps.map(
    (step) =>
      `${name}  ${String(step.rate).padStart(4)}/s  ${step.sentPerSecond.toFixed(0).padStart(7)}  ${format(step.p95Ms, 1).padStart(8)}  ${format(step.p99Ms, 1).padStart(8)}  ${step.deliveredPercent.toFixed(2).padStart(7)}  ${step.held ? 'held' : 'not held'}`,
  );
}

export function formatSweep(options: BenchOptions, chat: readonly SweepStep[], bare: readonly SweepStep[], servers: string, now = new Date()): string {
  const chatKnee = knee(chat);
  const bareKnee = knee(bare);
  const described = (step: SweepStep | undefined) => (step ? `${step.rate}/s per client (${step.sentPerSecond.toFixed(0)} messages/s sent)` : 'not even the first step');
  const kneeRatio = ratio(chatKnee?.rate, bareKnee?.rate);
  return [
    `chat sweep: ${options.clients} clients in ${options.rooms} rooms, ${options.durationSeconds} s a step after ${options.warmupSeconds} s of warm-up; held = p95 <= 50 ms and >= 99 % delivered`,
    machineLine(servers, now),
    '',
    'server  rate      sent/s   p95 ms    p99 ms  deliv. %',
    ...sweepLines('chat', chat),
    ...sweepLines('bare', bare),
    '',
    `chat held up to ${described(chatKnee)}; bare up to ${described(bareKnee)}; chat knee / bare knee = ${format(kneeRatio, 2)}`,
  ].join('\n');
}
