import { SEND_RETRY, sendRetryDelay } from '../../../node/client/lib/retry';

describe('sendRetryDelay', () => {
  it('retries busy and unavailable with a doubling wait, capped', () => {
    const highest = () => 1;
    const waits = Array.from({ length: SEND_RETRY.maxRetries }, (_, i) => sendRetryDelay('busy', i + 1, highest));
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000, 8000]);
    expect(sendRetryDelay('unavailable', 3, highest)).toBe(1000);
  });

  it('spreads clients over the upper half of the wait', () => {
    expect(sendRetryDelay('busy', 3, () => 0)).toBe(500);
    expect(sendRetryDelay('busy', 3, () => 0.5)).toBe(750);
  });

  it('gives up after the last retry', () => {
    expect(sendRetryDelay('busy', SEND_RETRY.maxRetries + 1)).toBeUndefined();
  });

  it.each(['invalid', 'forbidden', 'not_found', 'rate_limited', 'unauthorized', 'conflict', 'internal'] as const)('does not retry %s', (code) => {
    expect(sendRetryDelay(code, 1)).toBeUndefined();
  });
});
