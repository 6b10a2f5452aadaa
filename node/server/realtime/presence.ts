import type { PublicUser } from '../../shared/protocol';
import type { Logger } from '../logger';
import { roomChannel, type ChatServer } from './types';

/**
 * A room's list is sent at most once in this time. The list goes to every member's socket, so a burst of n connects
 * to a room of n (a team's #general in the morning) sent one after another would cost n² entries: with 1,000 members,
 * gigabytes. Sent at most once a second, the same burst costs a list a second, and a lone change is still sent at once.
 */
export const PRESENCE_INTERVAL_MS = 1000;

/**
 * A room whose list is being computed or was sent less than PRESENCE_INTERVAL_MS ago. `changed` when it changed again
 * since, so another list is due once the interval is over (`timer`, set when the list has gone out).
 */
interface Recent {
  changed: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * Who is online in a room, derived from the connected sockets themselves: fetchSockets() asks every server
 * process through the Redis adapter, so nothing is stored that could go stale when a process dies. A user with
 * several tabs is listed once.
 */
export class Presence {
  private readonly running = new Map<string, Promise<void>>();
  private readonly recent = new Map<string, Recent>();
  /** Once the process is closing, every change is sent at once: there is no later for it. */
  private closing = false;

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
   * Sends the room its current list: at once, unless one was sent in the last PRESENCE_INTERVAL_MS; then once that
   * time is over, with every change made meanwhile in it.
   */
  announce(room: string): void {
    const recent = this.recent.get(room);
    if (recent) {
      recent.changed = true;
      return;
    }
    const entry: Recent = { changed: false };
    this.recent.set(room, entry);
    const run = (async () => {
      const online = await this.online(room);
      this.io.to(roomChannel(room)).emit('presence', { room, online });
    })()
      .catch((error: unknown) => this.logger.warn({ err: error, room }, 'presence not announced'))
      .finally(() => {
        this.running.delete(room);
        if (this.closing) {
          this.release(room, entry);
          return;
        }
        entry.timer = setTimeout(() => this.release(room, entry), PRESENCE_INTERVAL_MS);
        // Nothing to wait for at exit: close() sends what is due through settled().
        entry.timer.unref();
      });
    this.running.set(room, run);
  }

  /** The room's interval is over: the list is sent again if it changed meanwhile. */
  private release(room: string, entry: Recent): void {
    this.recent.delete(room);
    if (entry.changed) this.announce(room);
  }

  /**
   * At shutdown: sends every list still due at once (the other processes' clients must see this one's users go), and
   * waits for them.
   */
  async settled(): Promise<void> {
    this.closing = true;
    // Rooms whose list is still being computed are released when it is done; the others now.
    for (const [room, entry] of this.recent) {
      if (entry.timer === undefined) continue;
      clearTimeout(entry.timer);
      this.release(room, entry);
    }
    while (this.running.size > 0) await Promise.all(this.running.values());
  }
}
