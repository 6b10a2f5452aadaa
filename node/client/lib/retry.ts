/**
 * When a refused send is tried again. `busy` (the server's queue is full) and `unavailable` (its database cannot be
 * reached) say nothing against the message itself, so it stays pending and goes again, under the same clientId (a
 * resend of a message that did get stored is answered with it, never stored twice). Every other refusal is final.
 */
import type { ErrorCode } from '../../shared/protocol';

export const SEND_RETRY = {
  /** Wait before the first retry; doubled for each next one... */
  firstDelayMs: 250,
  /** ...up to this. */
  maxDelayMs: 8_000,
  /** Retries before the message is shown as failed (about a minute in all). */
  maxRetries: 10,
} as const;

const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['busy', 'unavailable']);

/**
 * The wait before retry number `retry` (1 for the first) after a refusal with `code`; undefined when it is not
 * retried. The wait is drawn from its upper half at random, so that clients refused together do not return together.
 */
export function sendRetryDelay(code: ErrorCode, retry: number, random: () => number = Math.random): number | undefined {
  if (!RETRYABLE.has(code) || retry < 1 || retry > SEND_RETRY.maxRetries) return undefined;
  const ceiling = Math.min(SEND_RETRY.maxDelayMs, SEND_RETRY.firstDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
