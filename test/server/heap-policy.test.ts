/**
 * The server's heap policy (node/server/heap-policy.ts), in child processes that make the same allocations: with it
 * V8 collects the old generation more often than it would let itself on a machine without a memory limit (a growing
 * factor of 4) and less often than it does in the chart's 512 MiB container (1.3).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/resources';

const run = promisify(execFile);

/**
 * Objects that live long enough to be promoted and then die, as a busy server's do, and a count of the full
 * collections they cause. GC entries reach the observer after the collection, so the count is printed a moment later.
 * The count is not a pure function of the allocations (V8 also schedules by time: concurrent marking, allocation
 * rate), so a run may make one more or one fewer. With 5 million objects the three settings made 3, 4 and 5 to 6, and
 * one CI run counted the policy's 5 against the small container's 5; with 20 million they make 11 to 13, 16 to 17 and
 * 22 to 24, on a machine at rest and with both cores busy.
 */
const WORKLOAD = `
const { PerformanceObserver, constants } = require('node:perf_hooks');
let fullCollections = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullCollections++;
}).observe({ entryTypes: ['gc'] });
const kept = Array.from({ length: 200000 }, (_, i) => ({ i, name: 'kept' + i }));
const recent = new Array(200000);
for (let i = 0; i < 2e7; i++) recent[i % recent.length] = { i, pair: [i, i + 1], name: 'recent' + i };
// kept.length: what is alive stays alive to the end.
setTimeout(() => process.stdout.write(String(fullCollections) + ' ' + kept.length), 200);
`;

/** Full collections of the workload in a fresh `node` with these command-line flags, after `setup` ran. */
async function fullCollections(flags: string[], setup = ''): Promise<number> {
  const { stdout } = await run(process.execPath, [...flags, '-e', `${setup}\n${WORKLOAD}`], { env: { PATH: process.env.PATH } });
  return Number(stdout.split(' ')[0]);
}

test('the old generation grows to twice what is alive: more full collections than V8 allows itself, fewer than in a small container', async () => {
  const policy = path.join(ROOT, 'node/server/heap-policy.ts');
  // One after another: the counts depend on allocations, not time, but three at once would crowd two cores.
  const withPolicy = await fullCollections([], `require(${JSON.stringify(policy)}).applyHeapPolicy();`);
  const unlimited = await fullCollections(['--heap-growing-percent=300']);
  const smallContainer = await fullCollections(['--heap-growing-percent=30']);
  expect(unlimited).toBeGreaterThan(0);
  expect(withPolicy).toBeGreaterThan(unlimited);
  expect(withPolicy).toBeLessThan(smallContainer);
});
