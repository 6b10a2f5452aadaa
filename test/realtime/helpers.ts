/** Conversation helpers for socket.io tests: acknowledged emits and waiting for the next matching event. */
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '../../node/shared/protocol';
import type { ChatSocket } from '../support/client';

type AckResult<E extends keyof ClientToServerEvents> =
  Parameters<ClientToServerEvents[E]> extends [...unknown[], (response: Ack<infer T>) => void] ? Ack<T> : never;

/** Emits with an acknowledgement; rejects if the server does not answer in time. */
export function request<E extends keyof ClientToServerEvents>(socket: ChatSocket, event: E, ...payload: unknown[]): Promise<AckResult<E>> {
  const untyped = socket as unknown as { timeout(ms: number): { emit(event: string, ...args: unknown[]): void } };
  return new Promise((resolve, reject) => {
    untyped.timeout(10_000).emit(event, ...payload, (error: Error | null, response: AckResult<E>) => (error ? reject(error) : resolve(response)));
  });
}

/** The data of a successful acknowledgement; fails the test with the server's error otherwise. */
export async function requestData<E extends keyof ClientToServerEvents>(socket: ChatSocket, event: E, ...payload: unknown[]) {
  const response = await request(socket, event, ...payload);
  if ('error' in response) throw new Error(`${event} failed: ${response.error}`);
  return (response as Extract<AckResult<E>, { data: unknown }>).data;
}

/** Resolves with the first `event` (from now on) whose payload satisfies `matches`. */
export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: ChatSocket,
  event: E,
  matches: (payload: Parameters<ServerToClientEvents[E]>[0]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>[0]> {
  const untyped = socket as unknown as { on(e: string, l: (p: unknown) => void): void; off(e: string, l: (p: unknown) => void): void };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      untyped.off(event, listener);
      reject(new Error(`no matching ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: unknown) => {
      const typed = payload as Parameters<ServerToClientEvents[E]>[0];
      if (!matches(typed)) return;
      clearTimeout(timer);
      untyped.off(event, listener);
      resolve(typed);
    };
    untyped.on(event, listener);
  });
}

/** Collects every `event` a socket receives, for "this did not happen" checks after a round trip. */
export function recordEvents<E extends keyof ServerToClientEvents>(socket: ChatSocket, event: E): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  (socket as unknown as { on(e: string, l: (p: unknown) => void): void }).on(event, (payload) => seen.push(payload as Parameters<ServerToClientEvents[E]>[0]));
  return seen;
}

/** Resolves when the socket is closed by either side. */
export function closed(socket: ChatSocket): Promise<void> {
  return socket.connected ? new Promise((resolve) => socket.once('disconnect', () => resolve())) : Promise.resolve();
}

export const onlineNames = (payload: { online: { username: string }[] }) => payload.online.map((user) => user.username);

let clientIds = 0;
export const newClientId = () => `test-${process.pid}-${Date.now()}-${(clientIds += 1)}`;
