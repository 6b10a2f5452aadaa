/**
 * Where the chat's time goes during the measured window, from its own /metrics read at the window's start and end:
 * how often and how long its batches are written, how long a send waits for its answer inside the server, and how
 * late its event loop ran. Beside the end-to-end latency, it tells the server's share from the transport's.
 */

/** The value of one series of a Prometheus text exposition (`name` with its labels, as printed); undefined if absent. */
export function sampleOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export interface ServerInternals {
  batchesPerSecond: number;
  /** Messages per batch, on average over the window. */
  meanBatchSize: number | null;
  /** From a batch's INSERT sent to its commit, on average (ms). */
  meanBatchMs: number | null;
  /**
   * The time batches were being written over the window's, lanes added up (MESSAGE_WRITERS): near the number of
   * lanes, the writer sets the pace.
   */
  writingShare: number;
  /** From a stored send's arrival in its handler to its answer, on average (ms): the queue and the batch. */
  meanAckInServerMs: number | null;
  /** How late the server's event loop ran, p99 over the window (ms), past prom-client's 10 ms sampling interval. */
  loopDelayP99Ms: number | null;
}

/** prom-client samples the event loop's delay every 10 ms, and the samples hold that interval. */
const LOOP_SAMPLING_MS = 10;

/** The figures of the window between two scrapes; prom-client resets its event-loop histogram at each scrape. */
export function internalsBetween(before: string, after: string, windowMs: number): ServerInternals {
  const delta = (series: string) => (sampleOf(after, series) ?? 0) - (sampleOf(before, series) ?? 0);
  const mean = (total: number, count: number) => (count > 0 ? total / count : null);
  const batches = delta('chat_message_batch_size_count');
  const batchSeconds = delta('chat_message_batch_seconds_sum');
  const ackSeconds = delta('chat_message_ack_seconds_sum{result="stored"}');
  const loopP99 = sampleOf(after, 'nodejs_eventloop_lag_p99_seconds');
  return {
    batchesPerSecond: (batches * 1000) / windowMs,
    meanBatchSize: mean(delta('chat_message_batch_size_sum'), batches),
    meanBatchMs: mean(batchSeconds * 1000, batches),
    writingShare: (batchSeconds * 1000) / windowMs,
    meanAckInServerMs: mean(ackSeconds * 1000, delta('chat_message_ack_seconds_count{result="stored"}')),
    loopDelayP99Ms: loopP99 === undefined ? null : Math.max(0, loopP99 * 1000 - LOOP_SAMPLING_MS),
  };
}

/** The chat server's /metrics. */
export async function scrapeMetrics(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  if (!response.ok) throw new Error(`GET ${url}/metrics answered ${response.status}`);
  return response.text();
}
