import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { startServer } from '../../node/server/app';
import { closeClients, createClients } from '../../node/server/clients';
import { withTransaction } from '../../node/server/db';
import { enqueueEvent, userEvent } from '../../node/server/events/outbox';
import { createLogger } from '../../node/server/logger';
import { ApiSession, login, newUser, register } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { createTcpGate, type TcpGate } from '../support/tcp-gate';
import { waitFor } from '../support/wait';

/** A queue of the test's own, bound to every user event on the server's exchange, collecting what arrives. */
async function listen(uri: string, exchange: string): Promise<{ messages: ConsumeMessage[]; connection: ChannelModel; channel: Channel }> {
  const connection = await amqp.connect(uri);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, 'user.*');
  const messages: ConsumeMessage[] = [];
  await channel.consume(queue, (message) => message && messages.push(message), { noAck: true });
  return { messages, connection, channel };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function bodyOf(message: ConsumeMessage): Record<string, unknown> {
  return JSON.parse(message.content.toString()) as Record<string, unknown>;
}

describe('with RabbitMQ up', () => {
  let server: TestServer;
  let listener: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await startTestServer();
    listener = await listen(server.vhost.uri, server.config.AMQP_EXCHANGE);
  });
  afterAll(async () => {
    await listener.connection.close();
    await server.stop();
  });

  test('registration (which logs the user in) and a later login publish persistent JSON events with the agreed shape', async () => {
    const user = newUser('events');
    const registered = await register(server.url, user);
    await login(server.url, user.username, user.password);
    await waitFor(() => listener.messages.length >= 3);
    expect(listener.messages.map((message) => message.fields.routingKey)).toEqual(['user.registered', 'user.login', 'user.login']);
    const [first, second, third] = listener.messages;
    for (const [message, type] of [[first, 'user.registered'], [second, 'user.login'], [third, 'user.login']] as const) {
      if (!message) throw new Error('missing message');
      const body = bodyOf(message);
      expect(body).toEqual({ type, id: expect.any(String), userId: registered.user.id, username: user.username, email: user.email, at: expect.any(String) });
      expect(message.fields.routingKey).toBe(type);
      expect(message.properties.messageId).toBe(body.id);
      expect(message.properties.contentType).toBe('application/json');
      expect(message.properties.deliveryMode).toBe(2);
      expect(Number.isNaN(Date.parse(String(body.at)))).toBe(false);
    }
    // A row is marked published once the broker has confirmed it, which may come after the queue delivered it here.
    await waitFor(async () => (await server.db.query('SELECT 1 FROM event_outbox WHERE published_at IS NULL')).rows.length === 0, {
      context: () => 'events still unpublished in the outbox',
    });
  });

  test('two replicas sweeping one outbox publish every event exactly once', async () => {
    const logger = createLogger('silent');
    const clients = await createClients(server.config, logger);
    const replica = await startServer(server.config, clients, logger);
    try {
      const before = listener.messages.length;
      const events = Array.from({ length: 300 }, (_, index) => userEvent('user.login', { id: index + 1, username: `replica${index}`, email: `r${index}@example.com` }));
      // Committed in one go, then both replicas' sweeps race for the rows. (One connection, not 300 queries queued
      // on the server's pool: waiting there counts against its short connection time-out.)
      await withTransaction(server.db, async (client) => {
        for (const event of events) await enqueueEvent(client, event);
      });
      await waitFor(() => listener.messages.length >= before + events.length);
      await sleep(3 * server.config.OUTBOX_POLL_INTERVAL * 1000);
      const ids = listener.messages.slice(before).map((message) => message.properties.messageId as string);
      expect(ids).toHaveLength(events.length);
      expect(new Set(ids)).toEqual(new Set(events.map((event) => event.id)));
    } finally {
      await replica.stop();
      await closeClients(clients);
    }
  });

  test('a failed login publishes nothing', async () => {
    const before = listener.messages.length;
    const { user } = await register(server.url);
    await waitFor(() => listener.messages.length === before + 2);
    expect((await new ApiSession(server.url).login(user.username, 'wrong password')).status).toBe(401);
    await sleep(1500);
    expect(listener.messages.length).toBe(before + 2);
  });
});

test('a login while RabbitMQ is unreachable publishes its event once RabbitMQ is reachable again, exactly once', async () => {
  const gate: TcpGate = await createTcpGate(5672);
  // The server's broker address is a port that refuses connections until the gate opens.
  const server = await startTestServer(({ vhost }) => ({ AMQP_URI: vhost.uri.replace('127.0.0.1:5672', `127.0.0.1:${gate.port}`) }));
  let listener: Awaited<ReturnType<typeof listen>> | undefined;
  try {
    const user = newUser('outage');
    const registered = await register(server.url, user);
    const loggedIn = await login(server.url, user.username, user.password);
    expect(loggedIn.user.id).toBe(registered.user.id);
    const waiting = await server.db.query<{ routing_key: string }>('SELECT routing_key FROM event_outbox WHERE published_at IS NULL ORDER BY created_at');
    expect(waiting.rows.map((row) => row.routing_key)).toEqual(['user.registered', 'user.login', 'user.login']);

    // The test's own queue exists before the broker becomes reachable for the server.
    const { messages } = (listener = await listen(server.vhost.uri, server.config.AMQP_EXCHANGE));
    await gate.open();
    await waitFor(() => messages.length >= 3);
    // Several outbox sweeps later, still exactly one of each.
    await sleep(3 * server.config.OUTBOX_POLL_INTERVAL * 1000);
    expect(listener.messages.map((message) => message.fields.routingKey)).toEqual(['user.registered', 'user.login', 'user.login']);
    expect(new Set(listener.messages.map((message) => message.properties.messageId)).size).toBe(3);
    expect(listener.messages.every((message) => !message.fields.redelivered)).toBe(true);
    const after = await server.db.query('SELECT 1 FROM event_outbox WHERE published_at IS NULL');
    expect(after.rowCount).toBe(0);
  } finally {
    await listener?.connection.close();
    await server.stop();
    await gate.close();
  }
});
