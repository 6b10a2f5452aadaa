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

/** A port number that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
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
