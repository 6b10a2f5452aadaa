/**
 * /metrics in Prometheus text format (prom-client): the message path (stored, batch sizes and times, queue depth, ack latency,
 * busy refusals), PostgreSQL pool clients waiting, connected sockets, and Node's own process metrics (RSS, event loop
 * lag, GC). One registry per server, so that several servers in one test process do not share counters. Served on
 * Node's port only: the nginx sidecar does not pass /metrics on, and Prometheus scrapes the pod (chart annotations).
 */
import { Router } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Where the gauges read their values when Prometheus scrapes. */
export interface MetricSources {
  queueDepth(): number;
  poolWaiting(): number;
  connectedSockets(): number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly stored = new Counter({ name: 'chat_messages_stored_total', help: 'Messages stored (repeats of a client id not counted).', registers: [this.registry] });
  private readonly batchSizes = new Histogram({
    name: 'chat_message_batch_size',
    help: 'Messages per batch INSERT.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [this.registry],
  });
  private readonly batchSeconds = new Histogram({
    name: 'chat_message_batch_seconds',
    help: "From a batch's INSERT sent to its commit answered.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly busy = new Counter({ name: 'chat_message_busy_total', help: 'Sends refused with busy: the write queue was full.', registers: [this.registry] });
  private readonly ackSeconds = new Histogram({
    name: 'chat_message_ack_seconds',
    help: 'From a message:send arriving to its answer, by result (stored, or the error code).',
    labelNames: ['result'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** The gauges, once what they read exists. */
  watch(sources: MetricSources): void {
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    gauge('chat_message_queue_depth', 'Messages waiting to be stored or in a batch being written.', sources.queueDepth);
    gauge('chat_pg_pool_waiting', 'Queries waiting for a PostgreSQL pool connection.', sources.poolWaiting);
    gauge('chat_connected_sockets', 'socket.io connections to this process.', sources.connectedSockets);
  }

  batchWritten(size: number, created: number, seconds: number): void {
    this.batchSizes.observe(size);
    this.batchSeconds.observe(seconds);
    this.stored.inc(created);
  }

  refusedBusy(): void {
    this.busy.inc();
  }

  messageAnswered(seconds: number, result: string): void {
    this.ackSeconds.observe({ result }, seconds);
  }
}

export function createMetricsRouter(metrics: Metrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(await metrics.registry.metrics());
  });
  return router;
}
