/**
 * How far V8 lets the old generation grow past what its last full collection left alive before it collects it again.
 *
 * V8 picks that factor itself, from 1.1 to 4, out of how fast it collects against how fast the program allocates,
 * and caps it by the heap's size limit, which Node derives from the memory it sees: up to 4 on a machine without a
 * memory limit, about 1.3 in the chart's 512 MiB container. The chat promotes short-lived garbage at several MiB a
 * second under load, so the first let RSS swing between 300 and 380 MiB, the second made full collections four to
 * five times as frequent (docs/benchmark.md). A fixed factor of 2 gives both places the same middle course.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation is collected once it has grown by this share of what was alive after the last collection. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Applies the policy to this process. Set from the code, not the command line: Node refuses the flag in NODE_OPTIONS,
 * and this way every start of the server (image, chart, `npm start`, benchmark, tests) runs with it. V8 reads the flag
 * at each full collection, so setting it once the process runs takes effect from the next one.
 */
export function applyHeapPolicy(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
