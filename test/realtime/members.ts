/**
 * Chat members that keep talking, for tests that break something in the middle of a conversation: each sends to
 * its room at a steady pace, records every acknowledgement and every message it receives, and resends and syncs
 * as the web client does after a reconnect.
 */
import { syncUntilCaughtUp } from '../../node/client/lib/sync';
import { heldThrough } from '../../node/client/state/messages';
import type { ChatMessage } from '../../node/shared/protocol';
import { connectSocket, type ChatSocket, type LoggedIn } from '../support/client';
import { newClientId, request, requestData } from './helpers';

type SendAnswer = { data: ChatMessage } | { error: string; code: string };

export class Member {
  private socket: ChatSocket | undefined;
  private disconnected: Promise<void> = Promise.resolve();
  private sending: Promise<void> = Promise.resolve();
  private keepSending = false;
  /** Every message held, by id: received live (message:new) or through sync, or its own from the acknowledgement. */
  readonly received = new Map<number, ChatMessage>();
  /** The stored message of every acknowledged send, by clientId. */
  readonly acked = new Map<string, ChatMessage>();
  /** Sends without an acknowledgement (cut by a disconnect, timed out or refused), clientId → body. */
  readonly unacked = new Map<string, string>();
  /** The codes of refused sends. */
  readonly refusals: string[] = [];

  constructor(
    readonly who: LoggedIn,
    readonly room: string,
  ) {}

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /**
   * The room number up to which it holds every message of its room, as the web client tells it in `sync`: a member
   * joins its room before anything is said there, so it holds the room from its first message on.
   */
  get heldThrough(): number {
    return heldThrough([...this.received.values()], 0);
  }

  /** Connects (again) to a server process; messages it sends are then recorded. */
  async connect(url: string): Promise<ChatSocket> {
    const socket = await connectSocket(url, this.who.cookie);
    socket.on('message:new', (message) => this.received.set(message.id, message));
    this.disconnected = new Promise((resolve) => socket.once('disconnect', () => resolve()));
    this.socket = socket;
    return socket;
  }

  /** The socket the member is connected with. */
  get current(): ChatSocket {
    if (!this.socket) throw new Error(`${this.who.user.username} is not connected`);
    return this.socket;
  }

  /** Sends one message; an answer that never comes because the socket closed leaves it unacknowledged. */
  async send(clientId: string, body: string): Promise<void> {
    this.unacked.set(clientId, body);
    const answer = await Promise.race([
      (request(this.current, 'message:send', { room: this.room, clientId, body }) as Promise<SendAnswer>).catch(() => undefined),
      this.disconnected.then(() => undefined),
    ]);
    if (answer && 'data' in answer) {
      this.unacked.delete(clientId);
      this.acked.set(clientId, answer.data);
      // The sending socket has its message from the answer (the broadcast leaves it out), as the web client does.
      this.received.set(answer.data.id, answer.data);
    } else if (answer) {
      this.refusals.push(answer.code);
    }
  }

  /** Sends a new message every `pauseMs` (within the per-socket rate limit) until stopSending() or a disconnect. */
  startSending(pauseMs: number): void {
    this.keepSending = true;
    this.sending = (async () => {
      for (let count = 1; this.keepSending && this.connected; count += 1) {
        await this.send(newClientId(), `${this.who.user.username} #${count}`);
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })();
  }

  async stopSending(): Promise<void> {
    this.keepSending = false;
    await this.sending;
  }

  /** Resends every unacknowledged message under its clientId, as the web client does after a reconnect. */
  async resendUnacked(): Promise<void> {
    for (const [clientId, body] of [...this.unacked]) await this.send(clientId, body);
  }

  /** What was stored in its room after number `through`, as a reconnecting web client asks for it (lib/sync.ts). */
  async sync(through: number): Promise<void> {
    const after = Math.max(0, ...this.received.keys());
    const { messages } = await syncUntilCaughtUp((cursors) => requestData(this.current, 'sync', { rooms: cursors }), {
      [this.room]: { after, from: Math.min(after, ...this.received.keys()), through, revision: 0 },
    });
    for (const message of messages) this.received.set(message.id, message);
  }

  close(): void {
    this.socket?.close();
  }
}

/** The ids among `expected` that `member` has not received. */
export const missingAt = (member: Member, expected: Iterable<number>): number[] => [...expected].filter((id) => !member.received.has(id));
