/**
 * A token bucket: up to `capacity` actions at once, then `refillPerSecond` on average.
 * The clock is injectable so the arithmetic can be tested without waiting.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly capacity: number,
    private readonly refillPerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.refillPerSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A bucket's size and refill; the message rate is configuration (SOCKET_MESSAGE_BURST, SOCKET_MESSAGE_RATE). */
export interface Rate {
  capacity: number;
  refillPerSecond: number;
}

/** Per socket: creating, joining and leaving rooms. */
export const ROOM_CHANGE_RATE = { capacity: 5, refillPerSecond: 0.5 } as const;
/** Per socket: room lists and syncs (each is a database query). */
export const READ_RATE = { capacity: 10, refillPerSecond: 2 } as const;
/**
 * Per socket: typing notices. A client sends one every two seconds while typing and, since a message clears the
 * typing line, one more at once after each message it sends: as often as messages, so the same bucket size. A
 * smaller one refused the first notice after a few quick messages, and the client, which cannot tell, stayed quiet
 * for its whole interval.
 */
export const TYPING_RATE = { capacity: 10, refillPerSecond: 5 } as const;

export interface SocketBuckets {
  /** Messages, so one client cannot flood a room. */
  message: TokenBucket;
  roomChange: TokenBucket;
  /** Lists and syncs: one bucket for every read a socket makes. */
  read: TokenBucket;
  typing: TokenBucket;
}

const bucketsBySocket = new WeakMap<object, SocketBuckets>();

/** Gives a connected socket its rate limits, before any feature registers its handlers; gone with the socket. */
export function attachBuckets(socket: object, messageRate: Rate): void {
  bucketsBySocket.set(socket, {
    message: new TokenBucket(messageRate.capacity, messageRate.refillPerSecond),
    roomChange: new TokenBucket(ROOM_CHANGE_RATE.capacity, ROOM_CHANGE_RATE.refillPerSecond),
    read: new TokenBucket(READ_RATE.capacity, READ_RATE.refillPerSecond),
    typing: new TokenBucket(TYPING_RATE.capacity, TYPING_RATE.refillPerSecond),
  });
}

/** The rate limits of one socket, shared by every feature's handlers on it. */
export function bucketsOf(socket: object): SocketBuckets {
  const buckets = bucketsBySocket.get(socket);
  if (!buckets) throw new Error('socket has no rate limits: attachBuckets runs at connection');
  return buckets;
}
