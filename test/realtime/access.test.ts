/**
 * Who may read what: an outsider tries every path into a private room and a direct conversation they are not in,
 * over REST and over the socket. Each answer is exactly the one for a conversation that does not exist (the name
 * aside), and no broadcast of either conversation reaches the outsider's socket.
 */
import { randomBytes } from 'node:crypto';
import type { ChatMessage } from '../../node/shared/protocol';
import { register, type ChatSocket, type LoggedIn } from '../support/client';
import type { TestServer } from '../support/server';
import { newClientId, nextEvent, request, requestData, restAnswer, serverWithThreePeople } from './helpers';

const stage = serverWithThreePeople();
let server: TestServer;
let owner: LoggedIn;
let member: LoggedIn;
let outsider: LoggedIn;
let ownerSocket: ChatSocket;
let memberSocket: ChatSocket;
let outsiderSocket: ChatSocket;
/** Every event the outsider's socket received, as JSON. */
const outsiderHeard: string[] = [];

/** A conversation the outsider is not in, a message in it, and a well-formed name of the same kind that exists nowhere. */
interface Target {
  label: string;
  name: string;
  ghost: string;
  message: ChatMessage;
}
const targets: Target[] = [];
/** A message id no message has. */
const ghostMessageId = 987_654_321;

beforeAll(() => {
  server = stage.server;
  [owner, member, outsider] = stage.people;
});

beforeEach(async () => {
  // Fresh sockets per test (the rate limits are per socket); the conversations are made once.
  [ownerSocket, memberSocket, outsiderSocket] = await Promise.all([stage.connect(owner), stage.connect(member), stage.connect(outsider)]);
  outsiderHeard.length = 0;
  outsiderSocket.onAny((event: string, payload: unknown) => outsiderHeard.push(JSON.stringify({ event, payload })));
  if (targets.length > 0) return;
  await requestData(ownerSocket, 'room:create', { name: 'hidden-room', private: true });
  await requestData(ownerSocket, 'room:invite', { name: 'hidden-room', userId: member.user.id });
  const direct = await requestData(ownerSocket, 'dm:start', { userIds: [member.user.id] });
  for (const [label, name, ghost] of [
    ['private room', 'hidden-room', 'absent-room'],
    ['direct conversation', direct.room.name, `@${randomBytes(10).toString('hex')}`],
  ] as const) {
    const message = await requestData(memberSocket, 'message:send', { room: name, clientId: newClientId(), body: `classified ${label} zebra` });
    targets.push({ label, name, ghost, message });
  }
});

/** An answer to the ghost, written as if it were about the target: what the outsider must see for the target. */
function asTarget(answer: unknown, target: Target): unknown {
  return JSON.parse(JSON.stringify(answer).replaceAll(target.ghost, target.name).replaceAll(String(ghostMessageId), String(target.message.id))) as unknown;
}

/** The outsider's answer for the target equals the one for the ghost, and is a refusal (or empty) as `expected` says. */
async function expectLikeMissing(target: Target, attempt: (name: string, messageId: number) => Promise<unknown>, expected: unknown): Promise<void> {
  const [forTarget, forGhost] = [await attempt(target.name, target.message.id), await attempt(target.ghost, ghostMessageId)];
  expect(forTarget).toEqual(asTarget(forGhost, target));
  expect(forTarget).toEqual(expected);
}

async function storedState(): Promise<unknown[]> {
  const { rows } = await server.db.query(
    `SELECT r.name, r.kind, m.id, m.body, m.revision, (SELECT array_agg(user_id ORDER BY user_id) FROM room_members WHERE room_id = r.id) AS members
       FROM rooms r LEFT JOIN messages m ON m.room_id = r.id ORDER BY r.name, m.id`,
  );
  return rows;
}

test('over the socket, every path answers an outsider as for a conversation that does not exist', async () => {
  const before = await storedState();
  for (const target of targets) {
    const missing = { error: `no room named ${target.name}`, code: 'not_found' };
    const noMessage = { error: `no message with id ${target.message.id}`, code: 'not_found' };
    // A fresh socket for each pair of questions: they would soon empty one socket's rate limits.
    const ask = async (event: Parameters<typeof request>[1], payload: unknown) => request(await stage.connect(outsider), event, payload);
    await expectLikeMissing(target, (name) => ask('room:join', { name }), missing);
    await expectLikeMissing(target, (name) => ask('room:leave', { name }), missing);
    await expectLikeMissing(target, (name) => ask('room:members', { name }), missing);
    await expectLikeMissing(target, (name) => ask('room:invite', { name, userId: outsider.user.id }), missing);
    await expectLikeMissing(target, (name) => ask('room:remove', { name, userId: member.user.id }), missing);
    await expectLikeMissing(target, (name) => ask('message:send', { room: name, clientId: newClientId(), body: 'let me in' }), missing);
    await expectLikeMissing(target, (name, id) => ask('message:around', { room: name, id }), { error: 'no such message', code: 'not_found' });
    await expectLikeMissing(target, (_name, id) => ask('message:edit', { id, body: 'mine now' }), noMessage);
    await expectLikeMissing(target, (_name, id) => ask('message:delete', { id }), noMessage);
    await expectLikeMissing(target, (name) => ask('sync', { rooms: { [name]: 0 } }), { data: [] });
    await expectLikeMissing(target, (name) => ask('sync', { rooms: { [name]: { after: 0, from: 0, revision: 0 } } }), { data: [] });
  }
  expect(await requestData(outsiderSocket, 'search', { q: 'classified zebra' })).toEqual({ hits: [], hasMore: false });
  // The members themselves find both: the search itself works.
  expect((await requestData(memberSocket, 'search', { q: 'classified zebra' })).hits).toHaveLength(2);
  const listed = (await requestData(outsiderSocket, 'room:list')).map((room) => room.name);
  expect(listed).toContain('general');
  for (const target of targets) expect(listed).not.toContain(target.name);
  expect(await storedState()).toEqual(before);
});

test('over REST, every path answers an outsider as for a conversation that does not exist', async () => {
  const before = await storedState();
  const answer = (method: string, path: string, json?: unknown) => restAnswer(outsider.session, method, path, json);
  for (const target of targets) {
    const missing = { status: 404, body: { error: `no room named ${target.name}`, code: 'not_found' } };
    const noMessage = { status: 404, body: { error: `no message with id ${target.message.id}`, code: 'not_found' } };
    const path = (name: string) => `/api/rooms/${encodeURIComponent(name)}`;
    await expectLikeMissing(target, (name) => answer('GET', `${path(name)}/messages`), missing);
    await expectLikeMissing(target, (name, id) => answer('GET', `${path(name)}/messages?around=${id}`), { status: 404, body: { error: 'no such message', code: 'not_found' } });
    await expectLikeMissing(target, (name) => answer('GET', `${path(name)}/members`), missing);
    await expectLikeMissing(target, (name) => answer('POST', `${path(name)}/members`, { userId: outsider.user.id }), missing);
    await expectLikeMissing(target, (name) => answer('DELETE', `${path(name)}/members/${member.user.id}`), missing);
    await expectLikeMissing(target, (_name, id) => answer('PATCH', `/api/messages/${id}`, { body: 'mine now' }), noMessage);
    await expectLikeMissing(target, (_name, id) => answer('DELETE', `/api/messages/${id}`), noMessage);
  }
  expect(await answer('GET', '/api/search?q=classified%20zebra')).toEqual({ status: 200, body: { hits: [], hasMore: false } });
  const listed = (await outsider.session.request<{ name: string }[]>('GET', '/api/rooms')).body.map((room) => room.name);
  for (const target of targets) expect(listed).not.toContain(target.name);
  expect(await storedState()).toEqual(before);
});

test("no broadcast of the conversations reaches an outsider's socket: messages, changes, typing, presence, members", async () => {
  for (const target of targets) {
    const heard = nextEvent(ownerSocket, 'message:new', (message) => message.room === target.name);
    const sent = await requestData(memberSocket, 'message:send', { room: target.name, clientId: newClientId(), body: `more ${target.label}` });
    await heard;
    await requestData(memberSocket, 'message:edit', { id: sent.id, body: 'edited' });
    await requestData(memberSocket, 'message:delete', { id: sent.id });
    memberSocket.emit('typing', { room: target.name });
    // Presence: another socket of a member joins the conversation's socket.io room.
    await stage.connect(member);
  }
  // Membership of the private room changes: someone is invited and removed again, which changes its member count.
  const invitee = await register(server.url);
  await requestData(ownerSocket, 'room:invite', { name: 'hidden-room', userId: invitee.user.id });
  await requestData(ownerSocket, 'room:remove', { name: 'hidden-room', userId: invitee.user.id });
  // The outsider typing into them reaches nobody either.
  const memberHeardTyping: string[] = [];
  memberSocket.on('typing', ({ room, user }) => memberHeardTyping.push(`${user.username} in ${room}`));
  for (const target of targets) outsiderSocket.emit('typing', { room: target.name });

  // Broadcasts keep their order through the adapter's one stream: once the outsider and the member hear these,
  // everything before them would have arrived too.
  const barrier = nextEvent(outsiderSocket, 'message:new', (message) => message.body === 'barrier');
  const outsiderTyping = nextEvent(memberSocket, 'typing', ({ room, user }) => room === 'general' && user.id === outsider.user.id);
  await requestData(ownerSocket, 'message:send', { room: 'general', clientId: newClientId(), body: 'barrier' });
  outsiderSocket.emit('typing', { room: 'general' });
  await Promise.all([barrier, outsiderTyping]);

  for (const target of targets) {
    expect(outsiderHeard.filter((line) => line.includes(target.name))).toEqual([]);
    expect(memberHeardTyping).not.toContain(`${outsider.user.username} in ${target.name}`);
  }
  expect(outsiderHeard.some((line) => line.includes('barrier'))).toBe(true);
});
