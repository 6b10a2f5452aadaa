import type { z } from 'zod';
import type { Ack, ClientToServerEvents } from '../../shared/protocol';
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
}

/**
 * Registers an acknowledged event: rate limit, parse, handle, and answer exactly once with `{ data }` or
 * `{ error, code }`. Without an ack callback the event is dropped: its result could not be told.
 * A DomainError (or an outage) is the answer itself; anything else is a bug, logged and answered as `internal`.
 */
export function onAcked<P, R>(socket: ChatServerSocket, logger: Logger, event: AckedEvent, handler: AckedHandler<P, R>): void {
  socket.on(event, (...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') {
      logger.debug({ event }, 'event without acknowledgement callback ignored');
      return;
    }
    const reply = (response: Ack<R>) => (ack as (response: Ack<R>) => void)(response);
    void (async () => {
      try {
        if (handler.bucket && !handler.bucket.take()) throw new DomainError('rate_limited', 'too many requests: slow down');
        // The payload precedes the ack; an event sent with only an ack has none.
        const payload = handler.schema ? parseInput(handler.schema, args.length > 1 ? args[0] : undefined) : (undefined as P);
        reply({ data: await handler.handle(payload) });
      } catch (error) {
        const domain = asDomainError(error);
        if (domain) {
          if (!(error instanceof DomainError)) logger.warn({ err: error, event }, 'socket event failed: dependency unavailable');
          reply({ error: domain.message, code: domain.code });
        } else {
          logger.error({ err: error, event }, 'socket event failed');
          reply({ error: 'internal error', code: 'internal' });
        }
      }
    })();
  });
}
