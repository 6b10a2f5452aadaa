import type { PublicUser } from '../../shared/protocol';
import type { Logger } from '../logger';
import { KeyedThrottles } from './throttle';
import { roomChannel, type ChatServer } from './types';

/**
 * A room's list is sent at most once in this time. The list goes to every member's socket, so a burst of n connects
 * to a room of n (a team's #general in the morning) sent one after another would cost n² entries: with 1,000 members,
 * gigabytes. Sent at most once a second, the same burst costs a list a second, and a lone change is still sent at once.
 */
export const PRESENCE_INTERVAL_MS = 1000;

/**
 * Who is online in a room, derived from the connected sockets themselves: fetchSockets() asks every server
 * process through the Redis adapter, so nothing is stored that could go stale when a process dies. A user with
 * several tabs is listed once.
 */
export class Presence {
  /** The rooms whose list was sent less than PRESENCE_INTERVAL_MS ago, or is being computed. */
  private readonly recent = new KeyedThrottles((room) => this.send(room), PRESENCE_INTERVAL_MS);

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
    this.recent.ask(room);
  }

  private async send(room: string): Promise<void> {
    try {
      const online = await this.online(room);
      this.io.to(roomChannel(room)).emit('presence', { room, online });
    } catch (error) {
      this.logger.warn({ err: error, room }, 'presence not announced');
    }
  }

  /**
   * At shutdown: sends every list still due at once (the other processes' clients must see this one's users go), and
   * waits for them.
   */
  settled(): Promise<void> {
    return this.recent.close();
  }
}
