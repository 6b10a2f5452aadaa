/**
 * End to end: the real chat server and the real greeter process (`python3 -m chat_workers.greeter`) on one
 * RabbitMQ vhost and database. Registering (which logs the newcomer in) makes the bot's greeting appear live in a
 * connected socket.io client and in the room's history; a login later the same day adds nothing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ChatMessage, HistoryResponse } from '../../node/shared/protocol';
import { ROOT } from '../support/resources';
import { connectSocket, login, newUser, register, type ChatSocket, type LoggedIn } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { waitFor } from '../support/wait';

type LogLine = Record<string, unknown> & { msg?: string };

let server: TestServer;
let greeter: ChildProcessWithoutNullStreams;
const greeterLogs: LogLine[] = [];
let watcher: LoggedIn;
let observer: ChatSocket;
const live: ChatMessage[] = [];

/** What the greeter logged, for the message of a test that timed out. */
const greeterSaid = () => `greeter said:\n${greeterLogs.map((line) => JSON.stringify(line)).join('\n')}`;

function startGreeter(): ChildProcessWithoutNullStreams {
  const child = spawn('/usr/bin/python3', ['-m', 'chat_workers.greeter'], {
    cwd: path.join(ROOT, 'python'),
    env: {
      PATH: process.env.PATH,
      PYTHONDONTWRITEBYTECODE: '1',
      AMQP_URI: server.vhost.uri,
      AMQP_EXCHANGE: server.config.AMQP_EXCHANGE,
      DATABASE_URL: server.config.DATABASE_URL,
      WORKER_MAX_BACKOFF: '1',
    },
  });
  // Every stdout line must be a JSON object: the worker logs nothing else.
  createInterface({ input: child.stdout }).on('line', (line) => greeterLogs.push(JSON.parse(line) as LogLine));
  createInterface({ input: child.stderr }).on('line', (line) => greeterLogs.push({ msg: `stderr: ${line}` }));
  return child;
}

/** The greeter's messages to one person in the room's history, as the observer (a member of general) reads it. */
async function greetingsInHistory(username: string): Promise<ChatMessage[]> {
  const response = await watcher.session.request<HistoryResponse>('GET', '/api/rooms/general/messages?limit=100');
  expect(response.status).toBe(200);
  return response.body.messages.filter((message) => message.user.username === 'greeter' && message.body.includes(username));
}

beforeAll(async () => {
  server = await startTestServer();
  greeter = startGreeter();
  await waitFor(() => greeterLogs.find((line) => line.msg === 'consuming'), { context: greeterSaid });
  watcher = await register(server.url, newUser('obs'));
  observer = await connectSocket(server.url, watcher.cookie);
  observer.on('message:new', (message) => live.push(message));
});

afterAll(async () => {
  observer?.close();
  if (greeter && greeter.exitCode === null) {
    const exited = new Promise<number | null>((resolve) => greeter.once('exit', (code) => resolve(code)));
    greeter.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
  await server?.stop();
});

test('registering (the first login) makes the greeter welcome the person live and in history, once a day', async () => {
  const carol = newUser('carol');
  await register(server.url, carol);

  const greeting = await waitFor(() => live.find((message) => message.body === `Welcome, ${carol.username}!`), { context: greeterSaid });
  expect(greeting.room).toBe('general');
  expect(greeting.user.username).toBe('greeter');
  expect((await greetingsInHistory(carol.username)).map((message) => message.body)).toEqual([`Welcome, ${carol.username}!`]);

  // A reload the same day: the greeter sees the login and stays quiet.
  const seenBefore = greeterLogs.filter((line) => line.msg === 'already greeted today').length;
  await login(server.url, carol.username, carol.password);
  await waitFor(() => greeterLogs.filter((line) => line.msg === 'already greeted today').length > seenBefore, {
    context: greeterSaid,
  });
  expect(live.filter((message) => message.user.username === 'greeter' && message.body.includes(carol.username)).map((message) => message.body)).toEqual([
    `Welcome, ${carol.username}!`,
  ]);
  expect(await greetingsInHistory(carol.username)).toHaveLength(1);
});
