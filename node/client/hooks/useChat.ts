/**
 * The live side of the chat screen: one socket.io connection per logged-in mount, its events
 * turned into reducer actions, and the commands the components call (send, join, page back…).
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef } from 'react';
import { DEFAULT_ROOM, type PublicUser, type ReadState, type RoomSummary, type RoomUpdate } from '../../shared/protocol';
import { ApiError, type Api } from '../lib/api';
import { newClientId } from '../lib/clientId';
import { sendRetryDelay } from '../lib/retry';
import { ReadMarks } from '../lib/read-marks';
import { syncUntilCaughtUp } from '../lib/sync';
import {
  AckError,
  connectChatSocket,
  handshakeErrorCode,
  createRoom,
  deleteMessage,
  editMessage,
  findUsers,
  inviteMember,
  joinRoom,
  leaveRoom,
  listMembers,
  listRooms,
  markRead,
  messagesAround,
  removeMember,
  sendMessage,
  startDirect,
  syncRooms,
  type ChatSocket,
} from '../lib/socket';
import { notifies, showNotification } from '../lib/notifications';
import { chatReducer, initialChatState, olderPageCursor, readable, syncCursor, unconfirmed, viewOf, type ChatAction, type ChatState } from '../state/chat';
import { pendingMessage, type ListedMessage } from '../state/messages';
import { nextExpiry, shouldSendTyping } from '../state/typing';

/** Messages per history request: enough to fill a tall screen, small enough to answer fast. */
export const HISTORY_PAGE_SIZE = 50;
/** At most one room:read this often (ms): in a busy room, one request a second rather than one a message. */
const MARK_READ_INTERVAL_MS = 1000;

export interface ChatController {
  state: ChatState;
  selectRoom(name: string): void;
  /** Resolves when the server accepted; rejects with the server's reason. */
  createRoom(name: string, isPrivate: boolean): Promise<void>;
  /** Opens the direct conversation with these people (1 to 7 others), starting it if needed. */
  startDirect(userIds: number[]): Promise<void>;
  /** The people picker: users whose name starts with the prefix. */
  findUsers(prefix: string): Promise<PublicUser[]>;
  /**
   * A conversation's members (only its members may ask), for the members panel and `@name` completion: asked once
   * a conversation, again after its member count changed.
   */
  members(name: string): Promise<PublicUser[]>;
  /** The owner of a private room adds someone to it. */
  invite(name: string, userId: number): Promise<void>;
  /** The owner of a private room removes a member. */
  removeMember(name: string, userId: number): Promise<void>;
  joinRoom(name: string): Promise<void>;
  leaveRoom(name: string): Promise<void>;
  send(body: string): void;
  retry(message: ListedMessage): void;
  discard(message: ListedMessage): void;
  /** Replaces the text of one of the user's messages; rejects with the server's reason. */
  editMessage(message: ListedMessage, body: string): Promise<void>;
  /** Deletes a message (the user's own, or any in a room they own); rejects with the server's reason. */
  deleteMessage(message: ListedMessage): Promise<void>;
  notifyTyping(): void;
  loadOlder(room: string): void;
  /** Shows a message (a search result) in its room with the messages around it. */
  openMessage(room: string, id: number): Promise<void>;
  /** Back from an opened message to the room's latest messages. */
  closeFocus(): void;
  /** The user's own profile changed here (avatar upload), before the server's broadcast arrives. */
  profileUpdated(user: PublicUser): void;
  /** Tells the user something in the notice line. */
  notify(notice: string): void;
  dismissNotice(): void;
}

function describe(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong';
}

export function useChat(api: Api, self: PublicUser, onUnauthorized: () => void): ChatController {
  const [state, dispatch] = useReducer(chatReducer, self, initialChatState);
  // Socket handlers outlive renders: they read the newest state through this ref.
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  const socketRef = useRef<ChatSocket | null>(null);
  const historyInFlight = useRef(new Set<string>());
  const lastTypingSentAt = useRef<number | null>(null);
  /** Member lists by room, kept until the room's member count changes. */
  const membersCache = useRef(new Map<string, Promise<PublicUser[]>>());
  /** A conversation's summary after a membership change (its answer or the server's event): its members are asked anew. */
  const summaryArrived = useCallback((room: RoomSummary) => {
    membersCache.current.delete(room.name);
    dispatch({ type: 'room:summary', room });
  }, []);
  const readMarksRef = useRef<ReadMarks<ReadState> | null>(null);
  const unauthorizedRef = useRef(onUnauthorized);
  useLayoutEffect(() => {
    unauthorizedRef.current = onUnauthorized;
  });

  const loadHistory = useCallback(
    async (room: string, before: number | null) => {
      if (historyInFlight.current.has(room)) return;
      historyInFlight.current.add(room);
      dispatch({ type: 'history:loading', room });
      try {
        dispatch({ type: 'history:page', room, page: await api.history(room, before, HISTORY_PAGE_SIZE) });
      } catch (error) {
        // The session ended (logout elsewhere, expiry): back to the login form.
        if (error instanceof ApiError && error.code === 'unauthorized') unauthorizedRef.current();
        dispatch({ type: 'history:failed', room, error: describe(error) });
      } finally {
        historyInFlight.current.delete(room);
      }
    },
    [api],
  );

  const loadFirstPageIfNeeded = useCallback(
    (room: string) => {
      if (!viewOf(stateRef.current, room).history.loaded) void loadHistory(room, null);
    },
    [loadHistory],
  );

  /**
   * Sends one of the user's messages. A lost answer leaves it pending, to be resent after the reconnect; `busy` and
   * `unavailable` keep it pending and send it again after a while (lib/retry.ts); other refusals mark it failed.
   */
  const deliver = useCallback(async (message: ListedMessage) => {
    for (let retry = 1; ; retry += 1) {
      const socket = socketRef.current;
      // Disconnected: the reconnect's catch-up resends what is still pending.
      if (!socket?.connected) return;
      // Before a retry, the user may have discarded it. (Not before the first try: the state that stateRef holds
      // is the last rendered one, which does not have the message yet.)
      if (retry > 1 && !unconfirmed(stateRef.current).some((listed) => listed.key === message.key)) return;
      try {
        const stored = await sendMessage(socket, { room: message.room, clientId: message.clientId, body: message.body });
        dispatch({ type: 'messages', messages: [stored] });
        return;
      } catch (error) {
        if (!(error instanceof AckError)) {
          if (socket.connected) dispatch({ type: 'message:failed', room: message.room, key: message.key, error: 'No answer from the server' });
          return;
        }
        const wait = sendRetryDelay(error.code, retry);
        if (wait === undefined) {
          dispatch({ type: 'message:failed', room: message.room, key: message.key, error: error.message });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }, []);

  useEffect(() => {
    const socket = connectChatSocket();
    socketRef.current = socket;
    let connectedBefore = false;
    const act = (action: ChatAction) => dispatch(action);
    const readMarks = new ReadMarks((mark) => markRead(socket, mark), (read: ReadState) => act({ type: 'room:read', state: read }), MARK_READ_INTERVAL_MS);
    readMarksRef.current = readMarks;

    /**
     * After every (re)connect: rooms, what was missed, then the resends. Who is online needs no request:
     * the server announces `presence` in each of the user's rooms when a socket connects.
     */
    async function catchUp(reconnect: boolean): Promise<void> {
      try {
        const rooms = await listRooms(socket);
        act({ type: 'rooms', rooms });
        const current = stateRef.current.activeRoom;
        const active = rooms.some((room) => room.name === current && room.joined) ? current : DEFAULT_ROOM;
        if (reconnect) {
          const cursor = syncCursor(stateRef.current);
          if (Object.keys(cursor).length > 0) act({ type: 'synced', ...(await syncUntilCaughtUp((asking) => syncRooms(socket, asking), cursor)) });
          const focus = stateRef.current.focus;
          if (focus) act({ type: 'focus:refresh', room: focus.room, messageId: focus.messageId, window: await messagesAround(socket, { room: focus.room, id: focus.messageId }) });
          for (const message of unconfirmed(stateRef.current)) void deliver(message);
        }
        loadFirstPageIfNeeded(active);
      } catch (error) {
        act({ type: 'notice', notice: describe(error) });
      }
    }

    socket.on('connect', () => {
      act({ type: 'connection', state: 'online' });
      void catchUp(connectedBefore);
      connectedBefore = true;
    });
    socket.on('disconnect', (reason) => {
      act({ type: 'connection', state: 'reconnecting' });
      // socket.io retries by itself except when the server closed the connection on purpose.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect_error', (error) => {
      if (handshakeErrorCode(error) === 'unauthorized') {
        unauthorizedRef.current();
        return;
      }
      act({ type: 'connection', state: connectedBefore ? 'reconnecting' : 'connecting' });
      // A refusal by the server's middleware is not retried by socket.io: try again later ourselves.
      if (!socket.active) setTimeout(() => socket.connect(), 3000);
    });
    socket.on('message:new', (message) => {
      act({ type: 'messages', messages: [message], live: true });
      const reader = stateRef.current.users[stateRef.current.selfId] ?? self;
      const conversation = stateRef.current.rooms.find((room) => room.name === message.room);
      if (document.visibilityState === 'hidden' && notifies(message, reader, conversation)) showNotification(message, conversation);
    });
    socket.on('room:read', (read) => act({ type: 'room:read', state: read }));
    socket.on('message:updated', (message) => act({ type: 'message:changed', message }));
    socket.on('message:deleted', (message) => act({ type: 'message:changed', message }));
    socket.on('presence', ({ room, online }) => act({ type: 'presence', room, online }));
    socket.on('typing', ({ room, user }) => act({ type: 'typing', room, user, now: Date.now() }));
    const roomUpdated = (room: RoomUpdate) => {
      membersCache.current.delete(room.name);
      act({ type: 'room:updated', room });
    };
    socket.on('room:updated', roomUpdated);
    socket.on('rooms:updated', (rooms) => rooms.forEach(roomUpdated));
    socket.on('conversation:added', summaryArrived);
    socket.on('conversation:removed', ({ name }) => act({ type: 'conversation:removed', name }));
    socket.on('user:updated', (user) => act({ type: 'user:updated', user }));
    socket.connect();
    return () => {
      readMarks.close();
      readMarksRef.current = null;
      socket.removeAllListeners();
      socket.disconnect();
      socketRef.current = null;
    };
  }, [deliver, loadFirstPageIfNeeded, self, summaryArrived]);

  useEffect(() => {
    const report = () => dispatch({ type: 'visibility', visible: document.visibilityState === 'visible' });
    report();
    document.addEventListener('visibilitychange', report);
    return () => document.removeEventListener('visibilitychange', report);
  }, []);

  // The reader reads the open room: its newest message is marked read on the server (and so on their other devices).
  const toMark = readable(state);
  const markRoom = toMark?.room ?? null;
  const markId = toMark?.messageId ?? null;
  useEffect(() => {
    if (markRoom === null || markId === null || state.connection !== 'online') return;
    readMarksRef.current?.mark({ room: markRoom, messageId: markId });
  }, [markRoom, markId, state.connection]);

  // One timer for the earliest typing indicator to expire.
  useEffect(() => {
    const expiries = Object.values(state.views).flatMap((view) => {
      const at = nextExpiry(view.typing);
      return at === null ? [] : [at];
    });
    if (expiries.length === 0) return;
    const timer = setTimeout(() => dispatch({ type: 'typing:prune', now: Date.now() }), Math.max(Math.min(...expiries) - Date.now(), 0) + 20);
    return () => clearTimeout(timer);
  }, [state.views]);

  const requireSocket = useCallback((): ChatSocket => {
    const socket = socketRef.current;
    if (!socket?.connected) throw new Error('Not connected: wait until the connection is back');
    return socket;
  }, []);
  // Stable across renders: components that read with them (people picker, members panel) ask again only when what
  // they ask about changes.
  const findPeople = useCallback(async (prefix: string) => findUsers(requireSocket(), prefix), [requireSocket]);
  const members = useCallback(
    (name: string) => {
      let answer = membersCache.current.get(name);
      if (!answer) {
        // Not connected: a rejected promise, like any failed answer, rather than a throw in the caller's handler.
        answer = Promise.resolve().then(() => listMembers(requireSocket(), name));
        membersCache.current.set(name, answer);
        // A failed answer is not kept: the next request asks again.
        answer.catch(() => membersCache.current.delete(name));
      }
      return answer;
    },
    [requireSocket],
  );

  return useMemo<ChatController>(() => {
    const openRoom = async (name: string, join: (socket: ChatSocket) => ReturnType<typeof joinRoom>) => {
      dispatch({ type: 'room:joined', joined: await join(requireSocket()), activate: true });
      loadFirstPageIfNeeded(name);
    };
    return {
      state,
      selectRoom(name) {
        dispatch({ type: 'room:select', name });
        loadFirstPageIfNeeded(name);
      },
      createRoom: (name, isPrivate) => openRoom(name, (socket) => createRoom(socket, name, isPrivate)),
      async startDirect(userIds) {
        const joined = await startDirect(requireSocket(), userIds);
        dispatch({ type: 'room:joined', joined, activate: true });
        loadFirstPageIfNeeded(joined.room.name);
      },
      findUsers: findPeople,
      members,
      async invite(name, userId) {
        summaryArrived(await inviteMember(requireSocket(), name, userId));
      },
      async removeMember(name, userId) {
        summaryArrived(await removeMember(requireSocket(), name, userId));
      },
      joinRoom: (name) => openRoom(name, (socket) => joinRoom(socket, name)),
      async leaveRoom(name) {
        await leaveRoom(requireSocket(), name);
        dispatch({ type: 'room:left', name });
      },
      send(body) {
        const user = state.users[state.selfId] ?? self;
        const message = pendingMessage({ room: state.activeRoom, clientId: newClientId(), body, user, now: new Date() });
        dispatch({ type: 'message:pending', message });
        // The message clears the typing line on the other side: typing on now must announce itself again at once.
        lastTypingSentAt.current = null;
        void deliver(message);
      },
      retry(message) {
        dispatch({ type: 'message:retry', room: message.room, key: message.key });
        void deliver(message);
      },
      discard: (message) => dispatch({ type: 'message:discard', room: message.room, key: message.key }),
      async editMessage(message, body) {
        if (message.id === null) return;
        dispatch({ type: 'message:changed', message: await editMessage(requireSocket(), { id: message.id, body }) });
      },
      async deleteMessage(message) {
        if (message.id === null) return;
        dispatch({ type: 'message:changed', message: await deleteMessage(requireSocket(), message.id) });
      },
      notifyTyping() {
        const socket = socketRef.current;
        const now = Date.now();
        if (!socket?.connected || !shouldSendTyping(lastTypingSentAt.current, now)) return;
        lastTypingSentAt.current = now;
        socket.volatile.emit('typing', { room: state.activeRoom });
      },
      loadOlder(room) {
        const before = olderPageCursor(viewOf(stateRef.current, room));
        if (before !== null) void loadHistory(room, before);
      },
      async openMessage(room, id) {
        try {
          dispatch({ type: 'focus:open', room, messageId: id, window: await api.around(room, id) });
          // The room's latest messages are there when the reader goes back to them.
          loadFirstPageIfNeeded(room);
        } catch (error) {
          if (error instanceof ApiError && error.code === 'unauthorized') unauthorizedRef.current();
          dispatch({ type: 'notice', notice: describe(error) });
        }
      },
      closeFocus: () => dispatch({ type: 'focus:close' }),
      profileUpdated: (user) => dispatch({ type: 'user:updated', user }),
      notify: (notice) => dispatch({ type: 'notice', notice }),
      dismissNotice: () => dispatch({ type: 'notice', notice: null }),
    };
  }, [api, state, self, deliver, loadHistory, loadFirstPageIfNeeded, requireSocket, findPeople, members, summaryArrived]);
}
