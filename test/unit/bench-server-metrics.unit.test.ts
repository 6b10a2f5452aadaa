import { internalsBetween, sampleOf } from '../../bench/server-metrics';

/** Two scrapes of the chat's /metrics, 2 s apart, as prom-client prints them (the lines that matter, and neighbours). */
const before = `# HELP chat_message_batch_size Messages per batch INSERT.
chat_message_batch_size_bucket{le="500"} 10
chat_message_batch_size_sum 100
chat_message_batch_size_count 10
chat_message_batch_seconds_sum 0.05
chat_message_batch_seconds_count 10
chat_message_ack_seconds_sum{result="stored"} 1.5
chat_message_ack_seconds_count{result="stored"} 100
chat_message_ack_seconds_sum{result="busy"} 9
chat_message_ack_seconds_count{result="busy"} 3
nodejs_eventloop_lag_p99_seconds 0.5
`;
const after = `chat_message_batch_size_sum 2100
chat_message_batch_size_count 110
chat_message_batch_seconds_sum 0.55
chat_message_batch_seconds_count 110
chat_message_ack_seconds_sum{result="stored"} 21.5
chat_message_ack_seconds_count{result="stored"} 2100
chat_message_ack_seconds_sum{result="busy"} 90
chat_message_ack_seconds_count{result="busy"} 30
nodejs_eventloop_lag_p99_seconds 0.0304
`;

it('reads a series by its name and labels, not a longer name that starts the same', () => {
  expect(sampleOf(before, 'chat_message_batch_size_count')).toBe(10);
  expect(sampleOf(before, 'chat_message_ack_seconds_count{result="busy"}')).toBe(3);
  expect(sampleOf(before, 'chat_message_batch')).toBeUndefined();
});

it("gives the window's batches, their size and time, the answer inside the server and the loop's delay", () => {
  const internals = internalsBetween(before, after, 2000);
  expect(internals.batchesPerSecond).toBe(50);
  expect(internals.meanBatchSize).toBe(20);
  expect(internals.meanBatchMs).toBeCloseTo(5);
  expect(internals.writingShare).toBeCloseTo(0.25);
  // Stored sends only: the busy answers are left out.
  expect(internals.meanAckInServerMs).toBeCloseTo(10);
  // The scrape at the end holds the window only (prom-client resets it); its 10 ms sampling is taken off.
  expect(internals.loopDelayP99Ms).toBeCloseTo(20.4);
});

it('has no means for a window without batches, and no delay from a server that does not report it', () => {
  const internals = internalsBetween(before, before.replace('nodejs_eventloop_lag_p99_seconds 0.5\n', ''), 1000);
  expect(internals.batchesPerSecond).toBe(0);
  expect(internals.meanBatchSize).toBeNull();
  expect(internals.meanBatchMs).toBeNull();
  expect(internals.meanAckInServerMs).toBeNull();
  expect(internals.loopDelayP99Ms).toBeNull();
});
