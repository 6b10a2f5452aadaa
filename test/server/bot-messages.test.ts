import { randomUUID } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { ChatMessage } from '../../node/shared/protocol';
import { connectSocket, register, type ChatSocket } from '../support/client';
import { requestData } from '../realtime/helpers';
import { startTestServer, type TestServer } from '../support/server';
import { waitFor } from '../support/wait';

let server: TestServer;
let connection: ChannelModel;
let channel: ConfirmChannel;
let socket: ChatSocket;
const received: ChatMessage[] = [];

beforeAll(async () => {
  server = await startTestServer();
  connection = await amqp.connect(server.vhost.uri);
  channel = await connection.createConfirmChannel();
  // The server declares its queue once it has connected.
  await waitFor(queueExists);
  const alice = await register(server.url);
  socket = await connectSocket(server.url, alice.cookie);
  socket.on('message:new', (message) => received.push(message));
});
afterAll(async () => {
  socket.close();
  await connection.close();
  await server.stop();
});

/** On a channel of its own: checkQueue of a missing queue closes the channel. */
async function queueExists(): Promise<boolean> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    await probe.checkQueue(server.config.AMQP_BOT_QUEUE);
    await probe.close();
    return true;
  } catch {
    return false;
  }
}

async function publish(body: unknown): Promise<void> {
  const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  channel.publish(server.config.AMQP_EXCHANGE, 'bot.message', content, { persistent: true, contentType: 'application/json' });
  await channel.waitForConfirms();
}

async function queueIsEmpty(): Promise<boolean> {
  const { messageCount } = await channel.checkQueue(server.config.AMQP_BOT_QUEUE);
  return messageCount === 0;
}

async function storedBodies(): Promise<string[]> {
  const { rows } = await server.db.query<{ body: string }>(
    "SELECT m.body FROM messages m JOIN users u ON u.id = m.user_id WHERE u.username = 'greeter' ORDER BY m.id",
  );
  return rows.map((row) => row.body);
}

test('a bot message is stored and broadcast as the bot; a redelivery of the same id posts nothing new', async () => {
  const id = randomUUID();
  const message = { type: 'bot.message', id, bot: 'greeter', room: 'general', text: 'Welcome, alice!' };
  await publish(message);
  await waitFor(() => received.some((item) => item.clientId === id));
  const live = received.find((item) => item.clientId === id);
  expect(live).toMatchObject({ room: 'general', body: 'Welcome, alice!', user: { username: 'greeter' } });

  await publish(message);
  await waitFor(queueIsEmpty);
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await storedBodies()).filter((body) => body === 'Welcome, alice!')).toHaveLength(1);
});

test('invalid bot messages are rejected without requeue, logged, and post nothing', async () => {
  const before = await storedBodies();
  await publish('{"type": "bot.mess');
  await publish({ type: 'bot.message', id: randomUUID(), bot: 'greeter', room: 'general', text: '' });
  // A real user is not a bot: nobody may post in their name through the queue.
  const human = await register(server.url);
  await publish({ type: 'bot.message', id: randomUUID(), bot: human.user.username, room: 'general', text: 'I am not a bot' });
  // A bot posts in public rooms only: a DM's key is no room name to it (invalid), and a private room is answered as
  // a room that does not exist.
  const owner = await register(server.url);
  const socket = await connectSocket(server.url, owner.cookie);
  try {
    const { room: dm } = await requestData(socket, 'dm:start', { userIds: [human.user.id] });
    await requestData(socket, 'room:create', { name: 'bots-keep-out', private: true });
    for (const room of [dm.name, 'bots-keep-out']) await publish({ type: 'bot.message', id: randomUUID(), bot: 'greeter', room, text: 'let me in' });
  } finally {
    socket.close();
  }
  await waitFor(async () => (await queueIsEmpty()) && server.logs.filter((line) => /bot message/.test(String(line.msg))).length >= 5);
  expect(await storedBodies()).toEqual(before);
  expect(server.logs.filter((line) => line.msg === 'invalid bot message rejected')).toHaveLength(3);
  const notPosted = server.logs.filter((line) => line.msg === 'bot message not posted');
  expect(notPosted.map((line) => [line.requeue, (line.err as { message?: unknown } | undefined)?.message])).toEqual([
    [false, `no bot user named ${human.user.username}`],
    [false, 'no room named bots-keep-out'],
  ]);
});
