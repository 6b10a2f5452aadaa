/**
 * A TCP port that is closed until opened, then forwards to a real service: "the broker is unreachable,
 * then it is back", without touching the shared RabbitMQ.
 */
import net from 'node:net';

export interface TcpGate {
  port: number;
  /** Starts accepting and forwarding to the target. */
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Ports for the tests' own servers: below Linux's ephemeral range (32768-60999). A port the kernel hands out for
 * listen(0) lies in that range, where it also picks the local ports of outgoing connections, so a connection made
 * between the probe's close and the real server's listen (by any test file) could take it.
 */
const PRIVATE_PORTS = { first: 20000, count: 12768 };

function canListen(port: number): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** A port number below the ephemeral range that nothing listens on right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = PRIVATE_PORTS.first + Math.floor(Math.random() * PRIVATE_PORTS.count);
    if (await canListen(port)) return port;
  }
}

export async function createTcpGate(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpGate> {
  // Connections to this port are refused until open().
  const port = await freePort();

  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return {
    port,
    open: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
