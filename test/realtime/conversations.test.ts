/**
 * Direct conversations and private rooms over socket.io and REST: started live on the other side, one per pair,
 * invited and removed at once; and bad input on every new event and route, which changes nothing stored.
 */
import { MEMBER_COUNT_INTERVAL_MS } from '../../node/server/rooms';
import type { PublicUser, RoomSummary } from '../../node/shared/protocol';
import { register, type LoggedIn } from '../support/client';
import type { TestServer } from '../support/server';
import { waitFor } from '../support/wait';
import { heardUpTo, newClientId, nextEvent, recordEvents, request, requestData, restAnswer, serverWithThreePeople } from './helpers';

const stage = serverWithThreePeople();
let server: TestServer;
let ann: LoggedIn;
let ben: LoggedIn;
let cat: LoggedIn;
const connect = (who: LoggedIn) => stage.connect(who);

beforeAll(() => {
  server = stage.server;
  [ann, ben, cat] = stage.people;
});

async function storedState(): Promise<unknown[]> {
  const { rows } = await server.db.query(
    `SELECT r.name, r.kind, r.created_by, (SELECT array_agg(user_id ORDER BY user_id) FROM room_members WHERE room_id = r.id) AS members,
            (SELECT count(*)::int FROM messages WHERE room_id = r.id) AS messages
       FROM rooms r ORDER BY r.name`,
  );
  return rows;
}

const ids = (users: PublicUser[] | undefined) => (users ?? []).map((user) => user.id).sort((a, b) => a - b);

test('a DM started on one side appears live on the other, and both talk in it without joining', async () => {
  const [a, b] = await Promise.all([connect(ann), connect(ben)]);
  const added = nextEvent(b, 'conversation:added');
  const started = await requestData(a, 'dm:start', { userIds: [ben.user.id] });
  expect(started.room).toEqual(expect.objectContaining({ kind: 'direct', memberCount: 2, joined: true, ownerId: null }));
  expect(ids(started.room.members)).toEqual(ids([ann.user, ben.user]));
  expect(await added).toEqual(started.room);

  const heard = nextEvent(a, 'message:new', (message) => message.room === started.room.name);
  const sent = await requestData(b, 'message:send', { room: started.room.name, clientId: newClientId(), body: 'hi ann' });
  expect(await heard).toEqual(sent);
  // History and the room list carry it like any room.
  // Ben's message is unread for Ann until her client marks it read.
  expect((await requestData(a, 'room:list')).find((room) => room.name === started.room.name)).toEqual({ ...started.room, unreadCount: 1 });
  const history = await ann.session.request<{ messages: { body: string }[] }>('GET', `/api/rooms/${encodeURIComponent(started.room.name)}/messages`);
  expect(history.body.messages.map((message) => message.body)).toEqual(['hi ann']);

  // Started again, from the other side and over REST: the same conversation.
  const again = await ben.session.request<RoomSummary>('POST', '/api/dms', { json: { userIds: [ann.user.id] } });
  expect(again.status).toBe(200);
  expect(again.body.name).toBe(started.room.name);
  expect(await request(a, 'room:leave', { name: started.room.name })).toEqual({ error: 'a one-to-one conversation cannot be left', code: 'invalid' });
});

test('a group DM started over REST reaches every member live; a member may leave it', async () => {
  const [b, c, otherTabOfC] = await Promise.all([connect(ben), connect(cat), connect(cat)]);
  const [addedB, addedC] = [nextEvent(b, 'conversation:added'), nextEvent(c, 'conversation:added')];
  const started = await ann.session.request<RoomSummary>('POST', '/api/dms', { json: { userIds: [ben.user.id, cat.user.id] } });
  expect(started.status).toBe(201);
  expect(ids(started.body.members)).toEqual(ids([ann.user, ben.user, cat.user]));
  expect(await addedB).toEqual(started.body);
  expect(await addedC).toEqual(started.body);
  const heard = nextEvent(c, 'message:new', (message) => message.room === started.body.name);
  await requestData(b, 'message:send', { room: started.body.name, clientId: newClientId(), body: 'group hello' });
  expect((await heard).body).toBe('group hello');
  const left = nextEvent(b, 'room:updated', (room) => room.name === started.body.name && room.memberCount === 2);
  const droppedInOtherTab = nextEvent(otherTabOfC, 'conversation:removed');
  expect(await request(c, 'room:leave', { name: started.body.name })).toEqual({ data: true });
  // The others retitle it by who is left; the leaver's other tab drops it.
  expect(ids((await left).members)).toEqual(ids([ann.user, ben.user]));
  expect(await droppedInOtherTab).toEqual({ name: started.body.name });
});

test('members leaving a group DM at once: the others hear its count and members as they end, not once a leave', async () => {
  const leavers = await Promise.all(Array.from({ length: 4 }, () => register(server.url)));
  const a = await connect(ann);
  const started = await ann.session.request<RoomSummary>('POST', '/api/dms', { json: { userIds: [ben.user.id, cat.user.id, ...leavers.map((who) => who.user.id)] } });
  expect(started.body.memberCount).toBe(7);
  const name = started.body.name;
  const sockets = await Promise.all(leavers.map(connect));
  const updates = recordEvents(a, 'room:updated');
  const begun = Date.now();

  await Promise.all(sockets.map((socket) => requestData(socket, 'room:leave', { name })));
  const burstMs = Date.now() - begun;
  await waitFor(() => updates.at(-1)?.memberCount === 3, { timeoutMs: 5000 });
  // Long enough for a count told out of order to arrive after the newest.
  await new Promise((resolve) => setTimeout(resolve, MEMBER_COUNT_INTERVAL_MS * 1.5));
  expect(updates.at(-1)?.memberCount).toBe(3);
  expect(ids(updates.at(-1)?.members)).toEqual(ids([ann.user, ben.user, cat.user]));
  // Told at once, then what changed since once the conversation's second is over: not four times.
  expect(updates.length).toBeLessThanOrEqual(Math.ceil(burstMs / MEMBER_COUNT_INTERVAL_MS) + 1);
});

test("the owner invites into a private room and removes again: the removed member's sockets leave at once", async () => {
  const [a, b, b2] = await Promise.all([connect(ann), connect(ben), connect(ben)]);
  const counts = recordEvents(a, 'room:updated');
  await requestData(a, 'room:create', { name: 'inner-circle', private: true });
  const added = nextEvent(b2, 'conversation:added', (room) => room.name === 'inner-circle');
  const invitedCount = nextEvent(a, 'room:updated', (room) => room.name === 'inner-circle');
  expect(await requestData(a, 'room:invite', { name: 'inner-circle', userId: ben.user.id })).toEqual({
    name: 'inner-circle',
    kind: 'private',
    memberCount: 2,
    joined: true,
    ownerId: ann.user.id,
    lastReadId: 0,
    unreadCount: 0,
    mentionCount: 0,
  });
  await added;
  // The owner hears the count the invitation made; the creation alone told nobody (the owner has it in the answer).
  expect(await invitedCount).toEqual({ name: 'inner-circle', memberCount: 2 });
  expect(counts).toEqual([{ name: 'inner-circle', memberCount: 2 }]);
  expect(ids(await requestData(b, 'room:members', { name: 'inner-circle' }))).toEqual(ids([ann.user, ben.user]));
  // Both of Ben's sockets hear it: after this, nothing more of the room is on its way to either.
  const heard = [b, b2].map((socket) => nextEvent(socket, 'message:new', (message) => message.room === 'inner-circle'));
  await requestData(a, 'message:send', { room: 'inner-circle', clientId: newClientId(), body: 'welcome in' });
  await Promise.all(heard);

  const removed = nextEvent(b, 'conversation:removed');
  const stillHeard: string[] = [];
  b.on('message:new', (message) => stillHeard.push(message.room));
  const answer = await ann.session.request<RoomSummary>('DELETE', `/api/rooms/inner-circle/members/${ben.user.id}`);
  expect(answer).toEqual(expect.objectContaining({ status: 200, body: expect.objectContaining({ memberCount: 1 }) }));
  expect(await removed).toEqual({ name: 'inner-circle' });
  await requestData(a, 'message:send', { room: 'inner-circle', clientId: newClientId(), body: 'after you left' });
  // The same stream carries the leave, then these: once ben hears the general one, the other is not coming.
  await heardUpTo(a, b);
  expect(stillHeard).toEqual(['general']);
  expect(await request(b2, 'message:send', { room: 'inner-circle', clientId: newClientId(), body: 'still here?' })).toEqual({
    error: 'no room named inner-circle',
    code: 'not_found',
  });
});

test('the people picker finds people by name prefix: public profiles, not oneself, no bots, limited', async () => {
  const a = await connect(ann);
  const prefix = ben.user.username.slice(0, -2);
  const found = await requestData(a, 'users:find', { prefix: prefix.toUpperCase() });
  expect(found).toContainEqual({ id: ben.user.id, username: ben.user.username, avatarUrl: ben.user.avatarUrl });
  expect(found.every((user) => Object.keys(user).sort().join() === 'avatarUrl,id,username')).toBe(true);
  expect(found.some((user) => user.id === ann.user.id)).toBe(false);
  expect(await requestData(a, 'users:find', { prefix: 'greeter' })).toEqual([]);
  const rest = await ann.session.request<PublicUser[]>('GET', `/api/users?prefix=${ben.user.username}`);
  expect(rest.body).toEqual([expect.objectContaining({ id: ben.user.id })]);
  // Every test user's name starts with "user_": more than the limit of them exist.
  await Promise.all(Array.from({ length: 8 }, () => register(server.url)));
  expect(await requestData(a, 'users:find', { prefix: 'user_' })).toHaveLength(10);
});

test('bad input on every new event gets a clear error and stores nothing', async () => {
  const [a, b] = await Promise.all([connect(ann), connect(ben)]);
  await requestData(a, 'room:create', { name: 'ann-private', private: true });
  await requestData(a, 'room:invite', { name: 'ann-private', userId: ben.user.id });
  const before = await storedState();
  // A fresh socket for every few questions: they would soon empty one socket's rate limits.
  const ask = async (event: Parameters<typeof request>[1], payload: unknown) => request(await connect(ann), event, payload);
  const invalid = (error: string) => ({ error, code: 'invalid' });

  expect(await ask('dm:start', { userIds: [] })).toEqual(invalid('userIds: expected at least one user id'));
  expect(await ask('dm:start', { userIds: 'ben' })).toEqual(invalid('userIds: expected userIds as a list of user ids'));
  expect(await ask('dm:start', { userIds: [1.5] })).toEqual(invalid('userIds.0: expected a whole user id'));
  expect(await ask('dm:start', { userIds: [-3] })).toEqual(invalid('userIds.0: expected a user id of 1 or more'));
  expect(await ask('dm:start', { userIds: ['7'] })).toEqual(invalid('userIds.0: expected a user id'));
  expect(await ask('dm:start', { userIds: Array.from({ length: 17 }, (_, i) => i + 1) })).toEqual(invalid('userIds: expected at most 16 user ids'));
  expect(await ask('dm:start', { userIds: Array.from({ length: 8 }, (_, i) => ann.user.id + 100 + i) })).toEqual(invalid('a direct conversation has at most 8 people'));
  expect(await ask('dm:start', { userIds: [ann.user.id] })).toEqual(invalid('pick at least one person other than yourself'));
  expect(await ask('dm:start', { userIds: [987_654_321] })).toEqual({ error: 'no user with id 987654321', code: 'not_found' });
  expect(await ask('dm:start', null)).toEqual(invalid('expected an object payload'));

  expect(await ask('users:find', { prefix: '' })).toEqual(invalid('prefix: expected a name prefix of 1-32 characters a-z 0-9 _ -'));
  expect(await ask('users:find', { prefix: 'a%' })).toEqual(invalid('prefix: expected a name prefix of 1-32 characters a-z 0-9 _ -'));
  expect(await ask('users:find', { prefix: 5 })).toEqual(invalid('prefix: expected a name prefix'));

  expect(await ask('room:create', { name: 'x-room', private: 'yes' })).toEqual(invalid('private: expected private to be true or false'));
  expect(await ask('room:create', { name: '@0123456789abcdef0123' })).toEqual(invalid('name: expected a room name of 2-32 characters a-z 0-9 _ -'));
  expect(await ask('room:invite', { name: 'ann-private', userId: 'ben' })).toEqual(invalid('userId: expected a user id'));
  expect(await ask('room:invite', { name: 'ann-private', userId: 0 })).toEqual(invalid('userId: expected a user id of 1 or more'));
  expect(await ask('room:invite', { name: 'ann-private', userId: 987_654_321 })).toEqual({ error: 'no user with id 987654321', code: 'not_found' });
  expect(await ask('room:invite', { name: 'no-such-room', userId: ben.user.id })).toEqual({ error: 'no room named no-such-room', code: 'not_found' });
  expect(await ask('room:invite', { name: 'general', userId: ben.user.id })).toEqual(invalid('general is public: anyone may join it, nobody is invited or removed'));
  expect(await ask('room:remove', { name: 'ann-private', userId: ann.user.id })).toEqual(invalid('the owner cannot be removed: leave the room instead'));
  expect(await ask('room:members', { name: 'Bad Name' })).toEqual(invalid('name: expected a room name of 2-32 characters a-z 0-9 _ -, or a direct conversation key'));
  // A member who is not the owner.
  expect(await request(b, 'room:invite', { name: 'ann-private', userId: cat.user.id })).toEqual({ error: 'only the owner of ann-private invites and removes members', code: 'forbidden' });
  expect(await request(b, 'room:remove', { name: 'ann-private', userId: ann.user.id })).toEqual({ error: 'only the owner of ann-private invites and removes members', code: 'forbidden' });
  expect(await storedState()).toEqual(before);
});

test('bad input on every new route gets a clear error and stores nothing', async () => {
  const before = await storedState();
  const call = (method: string, path: string, json?: unknown) => restAnswer(ann.session, method, path, json);
  const invalid = (error: string) => ({ status: 400, body: { error, code: 'invalid' } });
  expect(await call('POST', '/api/dms', { userIds: [] })).toEqual(invalid('userIds: expected at least one user id'));
  expect(await call('POST', '/api/dms', { userIds: [ann.user.id] })).toEqual(invalid('pick at least one person other than yourself'));
  expect(await call('POST', '/api/dms', [ben.user.id])).toEqual(invalid('expected an object payload'));
  expect(await call('GET', '/api/users')).toEqual(invalid('expected a name prefix'));
  expect(await call('GET', '/api/users?prefix=a_%25')).toEqual(invalid('expected a name prefix of 1-32 characters a-z 0-9 _ -'));
  expect(await call('POST', '/api/rooms', { name: 'Bad Name' })).toEqual(invalid('name: expected a room name of 2-32 characters a-z 0-9 _ -'));
  expect(await call('POST', '/api/rooms/ann-private/members', { userId: -1 })).toEqual(invalid('userId: expected a user id of 1 or more'));
  expect(await call('POST', '/api/rooms/general/members', { userId: ben.user.id })).toEqual(invalid('general is public: anyone may join it, nobody is invited or removed'));
  expect(await call('DELETE', '/api/rooms/ann-private/members/abc')).toEqual(invalid('expected the user id as a whole number of 1 or more'));
  expect(await call('GET', '/api/rooms/Bad%20Name/members')).toEqual({ status: 404, body: { error: 'no such room', code: 'not_found' } });
  const bens = await ben.session.request('POST', '/api/rooms/ann-private/members', { json: { userId: cat.user.id } });
  expect(bens).toEqual(expect.objectContaining({ status: 403, body: { error: 'only the owner of ann-private invites and removes members', code: 'forbidden' } }));
  // Not logged in.
  const anonymous = await fetch(`${server.url}/api/users?prefix=a`);
  expect(anonymous.status).toBe(401);
  expect(await storedState()).toEqual(before);

  // And a private room made over REST is the owner's alone.
  const created = await call('POST', '/api/rooms', { name: 'rest-private', private: true });
  expect(created).toEqual({ status: 201, body: { name: 'rest-private', kind: 'private', memberCount: 1, joined: true, ownerId: ann.user.id, lastReadId: 0, unreadCount: 0, mentionCount: 0 } });
});
