/** Conversation helpers for socket.io tests: acknowledged emits and waiting for the next matching event. */
import type { ClientToServerEvents, RoomUpdate, ServerToClientEvents } from '../../node/shared/protocol';
import { connectSocket, register, type ApiSession, type ChatSocket, type LoggedIn } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';

/** The acknowledgement callback is the last parameter of every acknowledged event. */
type AckCallbackOf<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]> extends [...unknown[], infer Last] ? Last : never;
type AckResult<E extends keyof ClientToServerEvents> = AckCallbackOf<E> extends (response: infer R) => void ? R : never;

/** Emits with an acknowledgement; rejects if the server does not answer in time. */
export function request<E extends keyof ClientToServerEvents>(socket: ChatSocket, event: E, ...payload: unknown[]): Promise<AckResult<E>> {
  const untyped = socket as unknown as { timeout(ms: number): { emit(event: string, ...args: unknown[]): void } };
  return new Promise((resolve, reject) => {
    untyped.timeout(10_000).emit(event, ...payload, (error: Error | null, response: AckResult<E>) => (error ? reject(error) : resolve(response)));
  });
}

type AckData<E extends keyof ClientToServerEvents> = AckResult<E> extends infer R ? (R extends { data: infer T } ? T : never) : never;

/** The data of a successful acknowledgement; fails the test with the server's error otherwise. */
export async function requestData<E extends keyof ClientToServerEvents>(socket: ChatSocket, event: E, ...payload: unknown[]): Promise<AckData<E>> {
  const response = (await request(socket, event, ...payload)) as { data: AckData<E> } | { error: string; code: string };
  if ('error' in response) throw new Error(`${event} failed: ${response.error}`);
  return response.data;
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

/** The next public member count of `room` told to this socket (rooms:updated), one with `memberCount` if given. */
export async function nextCount(socket: ChatSocket, room: string, memberCount?: number, timeoutMs?: number): Promise<RoomUpdate> {
  const told = (rooms: RoomUpdate[]) => rooms.find((update) => update.name === room && (memberCount === undefined || update.memberCount === memberCount));
  return told(await nextEvent(socket, 'rooms:updated', (rooms) => told(rooms) !== undefined, timeoutMs)) as RoomUpdate;
}

/** Collects every `event` a socket receives, for "this did not happen" checks after a round trip. */
export function recordEvents<E extends keyof ServerToClientEvents>(socket: ChatSocket, event: E): Parameters<ServerToClientEvents[E]>[0][] {
  const seen: Parameters<ServerToClientEvents[E]>[0][] = [];
  (socket as unknown as { on(e: string, l: (p: unknown) => void): void }).on(event, (payload) => seen.push(payload as Parameters<ServerToClientEvents[E]>[0]));
  return seen;
}

/**
 * Sends a marker message and resolves once `listener` has heard it: everything broadcast to that socket before the
 * marker has arrived by then (one socket, one ordered stream), so a "nothing else came" check can follow.
 */
export async function heardUpTo(sender: ChatSocket, listener: ChatSocket, room = 'general'): Promise<void> {
  const body = `marker ${newClientId()}`;
  const heard = nextEvent(listener, 'message:new', (message) => message.body === body);
  await requestData(sender, 'message:send', { room, clientId: newClientId(), body });
  await heard;
}

/** Resolves when the socket is closed by either side. */
export function closed(socket: ChatSocket): Promise<void> {
  return socket.connected ? new Promise((resolve) => socket.once('disconnect', () => resolve())) : Promise.resolve();
}

export const onlineNames = (payload: { online: { username: string }[] }) => payload.online.map((user) => user.username);

let clientIds = 0;
export const newClientId = () => `test-${process.pid}-${Date.now()}-${(clientIds += 1)}`;

/** Connects logged-in users' sockets for a test file and closes every one of them after each test. */
export function socketsClosedAfterEach(): (url: string, who: LoggedIn) => Promise<ChatSocket> {
  const open: ChatSocket[] = [];
  afterEach(() => {
    for (const socket of open.splice(0)) socket.close();
  });
  return async (url, who) => {
    const socket = await connectSocket(url, who.cookie);
    open.push(socket);
    return socket;
  };
}

/** A REST call's status and body alone, for comparing whole answers. */
export async function restAnswer(session: ApiSession, method: string, path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
  const { status, body } = await session.request(method, path, json === undefined ? {} : { json });
  return { status, body };
}

/**
 * A test file's server and three people registered on it, made before its tests (the server is stopped after them);
 * sockets opened with connect() are closed after each test. Read them inside tests and hooks.
 */
export function serverWithThreePeople(): { readonly server: TestServer; readonly people: [LoggedIn, LoggedIn, LoggedIn]; connect(who: LoggedIn): Promise<ChatSocket> } {
  let started: { server: TestServer; people: [LoggedIn, LoggedIn, LoggedIn] } | undefined;
  let server: TestServer | undefined;
  const connectTo = socketsClosedAfterEach();
  beforeAll(async () => {
    server = await startTestServer();
    const url = server.url;
    started = { server, people: await Promise.all([register(url), register(url), register(url)]) };
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  const current = () => {
    if (!started) throw new Error('the server is not started yet: read it inside tests and hooks');
    return started;
  };
  return {
    get server() {
      return current().server;
    },
    get people() {
      return current().people;
    },
    connect: (who) => connectTo(current().server.url, who),
  };
}
