/**
 * Polls `probe` until it gives a truthy value and returns that value: a bound on waiting for something that
 * happens in the background, not a speed check. `context` adds what helps to understand a time-out (e.g. logs).
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: { timeoutMs?: number; context?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`condition not met in time${options.context ? `; ${options.context()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
