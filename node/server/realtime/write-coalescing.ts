/**
 * What a connection is sent during one turn of the event loop leaves in one system call.
 *
 * engine.io hands each packet to the transport as it comes, and ws writes each frame on its own (cork, header,
 * payload, uncork): a writev per frame, and on loopback the kernel's whole send and receive path with it. A message
 * to a room of six is five frames and an acknowledgement. Here engine.io's flush of a connection runs once a turn, in
 * its check phase (setImmediate), with everything the turn gave it; and the WebSocket's socket is corked through
 * each synchronous run of writes, so those frames share one writev. Under load a socket gets several frames a turn
 * (a batch's messages, its acknowledgements); at a low rate a frame waits only for the rest of its turn. uWebSockets
 * corks the same way, once per iteration of its loop.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket as EngineSocket } from 'engine.io';
import type { ChatServer } from './types';

export function coalesceWrites(io: ChatServer, httpServer: http.Server): void {
  // socket.io's WebSocket transport is the server's only upgrade.
  httpServer.prependListener('upgrade', (_request: http.IncomingMessage, socket: Duplex) => corkEachRun(socket));
  const turnFlushes = new TurnFlushes();
  io.engine.on('connection', (connection: EngineSocket) => flushOncePerTurn(connection, turnFlushes));
}

/**
 * The socket's writes made in one synchronous run leave together: corked at the first, uncorked once the run is over.
 * A socket destroyed in the run that wrote to it is uncorked first (end() uncorks by itself): engine.io writes its
 * refusal of an upgrade and destroys the socket at once, and corked, that answer was dropped.
 */
function corkEachRun(socket: Duplex): void {
  const write = socket.write;
  const destroy = socket.destroy.bind(socket);
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    socket.uncork();
  };
  socket.destroy = (error?: Error) => {
    uncork();
    return destroy(error);
  };
  socket.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Duplex['write'];
}

/**
 * engine.io flushes a connection's buffer to its transport at every packet, and the transport, once it has started a
 * send, takes no more until that send is written: a turn's packets would leave as the first and then the rest. Here
 * the turn's flushes become one, after the turn's I/O. (flush is private in engine.io's types; every packet and
 * every transport drain goes through it.) One check-phase callback flushes every connection the turn wrote to: an
 * Immediate each would be thousands a second to allocate and run.
 */
function flushOncePerTurn(connection: EngineSocket, turnFlushes: TurnFlushes): void {
  const internals = connection as unknown as { flush(): void; writeBuffer: unknown[] };
  const flush = internals.flush.bind(connection);
  internals.flush = () => {
    // The transport asks after every send it finishes, mostly with nothing waiting: engine.io's flush of an empty
    // buffer does nothing, and a packet added later asks again.
    if (internals.writeBuffer.length > 0) turnFlushes.ask(flush);
  };
}

/**
 * A check phase flushes connections for at most this long (ms) before it lets the loop poll again. A batch's
 * announcements reach hundreds of connections, and their frames and system calls took 10 to 20 ms in one go; the
 * PostgreSQL answer to the next batch, ready after about 5, waited behind them, so batches grew and each took longer
 * again (docs/benchmark-history.md, 2026-12-03, 22:08 to 23:01 UTC). Slicing by connection keeps each one's frames
 * in one write.
 */
export const FLUSH_SLICE_MS = 1;

/**
 * The flushes asked for, each connection's once, run in the check phase: those of one turn together, up to
 * FLUSH_SLICE_MS, the rest in the next turn's check phase, before any asked for later.
 */
class TurnFlushes {
  private due = new Set<() => void>();
  private scheduled = false;

  ask(flush: () => void): void {
    this.due.add(flush);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const started = performance.now();
    // Only the flushes due when this slice began, in the order asked: one asked for while these run (a transport's
    // drain, say) comes after them, and one asked for again before its turn keeps its place.
    let left = this.due.size;
    for (const flush of this.due) {
      this.due.delete(flush);
      flush();
      left -= 1;
      if (left === 0) return;
      if (performance.now() - started >= FLUSH_SLICE_MS) {
        this.schedule();
        return;
      }
    }
  }
}
