import type { z } from 'zod';
import type { Ack, ApiError, ClientToServerEvents } from '../../shared/protocol';
import { asDomainError, DomainError } from '../errors';
import type { Logger } from '../logger';
import { parseInput } from '../validation';
import type { TokenBucket } from './token-bucket';
import type { ChatServerSocket } from './types';

export type AckedEvent = Exclude<keyof ClientToServerEvents, 'typing'>;

export interface AckedHandler<P, R> {
  /** Parses the payload; none for an event that carries only its ack. */
  schema?: z.ZodType<P>;
  /** Taken once per event; an empty bucket answers `rate_limited`. */
  bucket?: TokenBucket;
  handle(payload: P): Promise<R>;
  /** Told how long the event took from its arrival to its answer, and the answer's error code (none when it succeeded). */
  onAnswered?(seconds: number, code: string | undefined): void;
}

/**
 * Registers an acknowledged event: rate limit, parse, handle, and answer exactly once with `{ data }` or
 * `{ error, code }`. Without an ack callback the event is dropped: its result could not be told.
 * A DomainError (or an outage) is the answer itself; anything else is a bug, logged and answered as `internal`.
 *
 * The handler's promise is answered through `then` rather than awaited in an async function: a send waits for its
 * batch through several turns of garbage collection, and a suspended async function's frame is among the largest
 * things each waiting send keeps alive (and so copies at every collection).
 */
export function onAcked<P, R>(socket: ChatServerSocket, logger: Logger, event: AckedEvent, handler: AckedHandler<P, R>): void {
  socket.on(event, (...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      logger.debug({ event }, 'event without acknowledgement callback ignored');
      return;
    }
    const arrived = handler.onAnswered ? performance.now() : 0;
    const reply = (response: Ack<R>) => {
      handler.onAnswered?.((performance.now() - arrived) / 1000, 'code' in response ? response.code : undefined);
      try {
        (ack as (response: Ack<R>) => void)(response);
      } catch (error) {
        // An answer that cannot be sent (not serializable) is a bug; it must not become an unhandled rejection.
        logger.error({ err: error, event }, 'socket event answer could not be sent');
      }
    };
    const fail = (error: unknown) => reply(failure(error, event, logger));
    let answer: Promise<R>;
    try {
      if (handler.bucket && !handler.bucket.take()) throw new DomainError('rate_limited', 'too many requests: slow down');
      // The payload precedes the ack; an event sent with only an ack has none.
      answer = handler.handle(handler.schema ? parseInput(handler.schema, args.length > 1 ? args[0] : undefined) : (undefined as P));
    } catch (error) {
      fail(error);
      return;
    }
    answer.then((data) => reply({ data }), fail);
  });
}

function failure(error: unknown, event: AckedEvent, logger: Logger): ApiError {
  const domain = asDomainError(error);
  if (domain) {
    if (!(error instanceof DomainError)) logger.warn({ err: error, event }, 'socket event failed: dependency unavailable');
    return { error: domain.message, code: domain.code };
  }
  logger.error({ err: error, event }, 'socket event failed');
  return { error: 'internal error', code: 'internal' };
}
