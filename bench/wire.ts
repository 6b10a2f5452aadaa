/**
 * The benchmark's socket.io client: the wire protocol alone (Engine.IO 4 over a WebSocket, Socket.IO 5 packets in
 * text frames), without socket.io-client. The driver shares the machine's cores with the server it measures, and
 * socket.io-client's layers (its parser, emitters, Engine.IO client and manager) took about a third of the driver's
 * CPU at 1,000 clients: CPU taken from the server. A browser uses socket.io-client; what the server receives is the same.
 *
 * Only what the load needs: one namespace (`/`), JSON events with at most one acknowledgement each, the server's pings
 * answered, no reconnection. Protocol: https://socket.io/docs/v4/socket-io-protocol/ and
 * https://socket.io/docs/v4/engine-io-protocol/.
 */
import WebSocket from 'ws';

/** Engine.IO packet types (first character of a frame) and Socket.IO packet types (the character after a `4`). */
const ENGINE_OPEN = '0';
const ENGINE_CLOSE = '1';
const ENGINE_PING = '2';
const ENGINE_PONG = '3';
const ENGINE_MESSAGE = '4';
const SOCKET_CONNECT = '0';
const SOCKET_DISCONNECT = '1';
const SOCKET_EVENT = '2';
const SOCKET_ACK = '3';
const SOCKET_CONNECT_ERROR = '4';

/** Told an acknowledgement's answer, or `timeout` when none came in time. */
export type AckCallback = (answer: unknown) => void;

interface PendingAck {
  deadline: number;
  callback: AckCallback;
  /** The answer is handed over as its JSON text (the acknowledgement's arguments, `[…]`), unparsed. */
  asText: boolean;
}

/** How often each socket looks for acknowledgements past their deadline (one timer a socket, not one a send). */
const ACK_SWEEP_MS = 500;

export class WireSocket {
  private readonly handlers = new Map<string, (payload: unknown) => void>();
  private readonly rawHandlers = new Map<string, (packet: string) => void>();
  private readonly pendingAcks = new Map<number, PendingAck>();
  private nextAckId = 0;
  private readonly sweep: NodeJS.Timeout;
  private disconnected = false;
  /** Told once the namespace answered the connect, or refused it (set by connect). */
  private connected: () => void = () => undefined;
  private refused: (reason: string) => void = () => undefined;
  onDisconnect: (() => void) | undefined;
  /** When this socket last received a frame (performance.now()): the driver waits for the setup's frames to stop. */
  lastReceivedAt = performance.now();

  private constructor(private readonly ws: WebSocket) {
    this.sweep = setInterval(() => this.expireAcks(), ACK_SWEEP_MS);
    this.sweep.unref();
  }

  /**
   * Opens the WebSocket and connects to the namespace `/`; fails with the server's reason (a refused session, say),
   * or when nothing answers within `timeoutMs`.
   */
  static connect(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WireSocket> {
    const address = new URL('/socket.io/?EIO=4&transport=websocket', url.replace(/^http/, 'ws'));
    // The server is trusted to send UTF-8: checking each of the load's frames is CPU taken from the server measured.
    const ws = new WebSocket(address, { headers, handshakeTimeout: timeoutMs, perMessageDeflate: false, skipUTF8Validation: true });
    const socket = new WireSocket(ws);
    return new Promise((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        socket.close();
        reject(new Error(`socket.io connection refused: ${reason}`));
      };
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      ws.once('error', (error) => fail(error.message));
      ws.once('close', () => fail('closed before it was connected'));
      socket.connected = () => {
        clearTimeout(timer);
        ws.removeAllListeners('error');
        ws.removeAllListeners('close');
        ws.on('error', () => socket.lost());
        ws.on('close', () => socket.lost());
        resolve(socket);
      };
      socket.refused = fail;
      ws.on('message', (data) => {
        socket.lastReceivedAt = performance.now();
        socket.receive((data as Buffer).toString());
      });
    });
  }

  on(event: string, handler: (payload: unknown) => void): void {
    this.handlers.set(event, handler);
  }

  /**
   * Hands each of `event`'s packets to `handler` as its text, unparsed (`42["event",…]`), instead of a parsed
   * payload: for what is received too often to parse whole (the load's deliveries, 25,000 a second, whose parsing
   * took a fifth of the driver's CPU, taken from the server it measures on the same cores).
   */
  onRaw(event: string, handler: (packet: string) => void): void {
    this.rawHandlers.set(event, handler);
  }

  /**
   * Emits `[event, payload]`, with an acknowledgement when `onAck` is given (called with `timeout` after `timeoutMs`):
   * its first argument parsed, or with `answer: 'text'` the JSON text of all of them (`[…]`), for an answer received
   * too often to parse whole (the load's 5,000 a second, each holding the stored message).
   */
  emit(event: string, payload: unknown, onAck?: AckCallback, timeoutMs = 10_000, answer: 'parsed' | 'text' = 'parsed'): void {
    let id = '';
    if (onAck) {
      const ackId = this.nextAckId++;
      this.pendingAcks.set(ackId, { deadline: performance.now() + timeoutMs, callback: onAck, asText: answer === 'text' });
      id = String(ackId);
    }
    this.send(`${ENGINE_MESSAGE}${SOCKET_EVENT}${id}${JSON.stringify([event, payload])}`);
  }

  close(): void {
    clearInterval(this.sweep);
    this.disconnected = true;
    this.ws.terminate();
  }

  private send(frame: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  private receive(frame: string): void {
    const engineType = frame[0];
    if (engineType === ENGINE_PING) return this.send(ENGINE_PONG);
    if (engineType === ENGINE_OPEN) return this.send(`${ENGINE_MESSAGE}${SOCKET_CONNECT}`);
    if (engineType === ENGINE_CLOSE) return this.lost();
    if (engineType !== ENGINE_MESSAGE) return;
    const socketType = frame[1];
    if (socketType === SOCKET_EVENT) {
      // `42["name",…`: an event name holds no quote.
      const raw = this.rawHandlers.get(frame.slice(4, frame.indexOf('"', 4)));
      if (raw) return raw(frame);
      const [event, payload] = JSON.parse(frame.slice(2)) as [string, unknown];
      this.handlers.get(event)?.(payload);
    } else if (socketType === SOCKET_ACK) {
      const bracket = frame.indexOf('[');
      const ackId = Number(frame.slice(2, bracket));
      const pending = this.pendingAcks.get(ackId);
      if (!pending) return;
      this.pendingAcks.delete(ackId);
      const answer = frame.slice(bracket);
      pending.callback(pending.asText ? answer : (JSON.parse(answer) as [unknown])[0]);
    } else if (socketType === SOCKET_CONNECT) {
      this.connected();
    } else if (socketType === SOCKET_CONNECT_ERROR) {
      const { message } = JSON.parse(frame.slice(2)) as { message?: string };
      this.refused(message ?? 'connect error');
    } else if (socketType === SOCKET_DISCONNECT) {
      this.lost();
    }
  }

  /** The connection ended without close(): told once; its acknowledgements will not come. */
  private lost(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    clearInterval(this.sweep);
    for (const pending of this.pendingAcks.values()) pending.callback('timeout');
    this.pendingAcks.clear();
    this.onDisconnect?.();
  }

  private expireAcks(): void {
    const now = performance.now();
    for (const [ackId, pending] of this.pendingAcks) {
      if (pending.deadline > now) continue;
      this.pendingAcks.delete(ackId);
      pending.callback('timeout');
    }
  }
}
