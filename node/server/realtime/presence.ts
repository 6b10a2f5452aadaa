import type { PublicUser } from '../../shared/protocol';
import type { Logger } from '../logger';
import { roomChannel, type ChatServer } from './types';

/**
 * Who is online in a room, derived from the connected sockets themselves: fetchSockets() asks every server
 * process through the Redis adapter, so nothing is stored that could go stale when a process dies. A user with
 * several tabs is listed once.
 */
export class Presence {
  private readonly running = new Map<string, Promise<void>>();
  /** Rooms that changed again while their broadcast was being computed. */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly io: ChatServer,
    private readonly logger: Logger,
  ) {}

  async online(room: string): Promise<PublicUser[]> {
    const sockets = await this.io.in(roomChannel(room)).fetchSockets();
    const users = new Map<number, PublicUser>();
    for (const socket of sockets) users.set(socket.data.user.id, socket.data.user);
    return [...users.values()].sort((a, b) => a.username.localeCompare(b.username));
  }

  /**
   * Sends the room its current list. Changes that arrive while a list is being computed are folded into one more
   * round, so a burst of connects costs a couple of lookups rather than one each.
   */
  announce(room: string): void {
    if (this.running.has(room)) {
      this.dirty.add(room);
      return;
    }
    const run = (async () => {
      do {
        this.dirty.delete(room);
        const online = await this.online(room);
        this.io.to(roomChannel(room)).emit('presence', { room, online });
      } while (this.dirty.has(room));
    })()
      .catch((error: unknown) => this.logger.warn({ err: error, room }, 'presence not announced'))
      .finally(() => this.running.delete(room));
    this.running.set(room, run);
  }

  /** Waits for the announcements under way (at shutdown, before the Redis clients close). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }
}
