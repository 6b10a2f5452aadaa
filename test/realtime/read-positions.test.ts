/**
 * Read positions over the real server, by socket.io and REST: counts in the room list, positions that only move
 * forward, the user's other devices told live, the member list for `@name` completion, and bad input that changes
 * nothing stored.
 */
import type { ApiError, ChatMessage, PublicUser, ReadState, RoomSummary } from '../../node/shared/protocol';
import type { ChatSocket, LoggedIn } from '../support/client';
import { newClientId, nextEvent, recordEvents, request, requestData, serverWithThreePeople } from './helpers';

const stage = serverWithThreePeople();
/** Alice owns the rooms; Bob is a member of them; Carol is not. */
let alice: LoggedIn;
let bob: LoggedIn;
let carol: LoggedIn;
const connect = (who: LoggedIn) => stage.connect(who);

/** A new room of Alice's that Bob joined, so that each test counts from zero. */
async function newRoom(name: string): Promise<{ a: ChatSocket; b: ChatSocket }> {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  await requestData(a, 'room:create', { name });
  await requestData(b, 'room:join', { name });
  return { a, b };
}

beforeAll(() => {
  [alice, bob, carol] = stage.people;
});

const post = (socket: ChatSocket, room: string, body: string): Promise<ChatMessage> => requestData(socket, 'message:send', { room, clientId: newClientId(), body });

async function listed(socket: ChatSocket, room: string): Promise<RoomSummary | undefined> {
  return (await requestData(socket, 'room:list')).find((summary) => summary.name === room);
}

/** Every membership row with xmin: an UPDATE, even to the same values, changes it. */
async function positionsStored(): Promise<unknown[]> {
  return (await stage.server.db.query('SELECT xmin::text, * FROM room_members ORDER BY room_id, user_id')).rows;
}

test('a joiner has read the history; others’ messages after the position count as unread, those mentioning them as mentions', async () => {
  const a = await connect(alice);
  await requestData(a, 'room:create', { name: 'counted' });
  const old = await post(a, 'counted', 'before bob joined');
  const b = await connect(bob);
  expect((await requestData(b, 'room:join', { name: 'counted' })).room).toMatchObject({ lastReadId: old.id, unreadCount: 0, mentionCount: 0 });

  const first = await post(a, 'counted', 'hello @' + bob.user.username.toUpperCase());
  await post(a, 'counted', `@${carol.user.username} is not here, @${bob.user.username} is`);
  const own = await post(b, 'counted', `my own message, @${alice.user.username}`);
  expect(first.mentions).toEqual([bob.user.username]);
  expect(own.mentions).toEqual([alice.user.username]);

  expect(await listed(b, 'counted')).toEqual({ name: 'counted', kind: 'public', memberCount: 2, joined: true, ownerId: alice.user.id, lastReadId: old.id, unreadCount: 2, mentionCount: 2 });
  expect(await listed(a, 'counted')).toMatchObject({ lastReadId: 0, unreadCount: 1, mentionCount: 1 });
  // Carol is no member: nothing of hers is counted.
  expect(await listed(await connect(carol), 'counted')).toMatchObject({ joined: false, lastReadId: 0, unreadCount: 0, mentionCount: 0 });

  // GET /api/rooms says the same.
  const rest = await bob.session.request<RoomSummary[]>('GET', '/api/rooms');
  expect(rest.body.find((summary) => summary.name === 'counted')).toEqual(await listed(b, 'counted'));

  // A deleted message is no longer unread, nor a mention.
  await requestData(a, 'message:delete', { id: first.id });
  expect(await listed(b, 'counted')).toMatchObject({ unreadCount: 1, mentionCount: 1 });
});

test('a read position only moves forward, and the answer says where it is', async () => {
  const { a, b } = await newRoom('forward');
  const one = await post(a, 'forward', 'one');
  const two = await post(a, 'forward', `two @${bob.user.username}`);
  const three = await post(a, 'forward', 'three');

  expect(await requestData(b, 'room:read', { room: 'forward', messageId: two.id })).toEqual({ name: 'forward', lastReadId: two.id, unreadCount: 1, mentionCount: 0 });
  const before = await positionsStored();
  expect(await requestData(b, 'room:read', { room: 'forward', messageId: one.id })).toEqual({ name: 'forward', lastReadId: two.id, unreadCount: 1, mentionCount: 0 });
  expect(await positionsStored()).toEqual(before);
  expect(await requestData(b, 'room:read', { room: 'forward', messageId: three.id })).toMatchObject({ lastReadId: three.id, unreadCount: 0 });
  expect(await listed(b, 'forward')).toMatchObject({ lastReadId: three.id, unreadCount: 0, mentionCount: 0 });
});

test("the user's other devices hear a moved position, by socket and by REST; nobody else does, nor a position that did not move", async () => {
  const { a, b } = await newRoom('devices');
  const phone = await connect(bob);
  const aliceHears = recordEvents(a, 'room:read');
  const one = await post(a, 'devices', 'one');
  const two = await post(a, 'devices', 'two');

  let heard = nextEvent(phone, 'room:read', (state) => state.name === 'devices');
  const answer = await requestData(b, 'room:read', { room: 'devices', messageId: one.id });
  expect(await heard).toEqual(answer);

  heard = nextEvent(phone, 'room:read', (state) => state.name === 'devices');
  const response = await bob.session.request<ReadState>('POST', '/api/rooms/devices/read', { json: { messageId: two.id } });
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ name: 'devices', lastReadId: two.id, unreadCount: 0, mentionCount: 0 });
  expect(await heard).toEqual(response.body);

  // Marking the same message again moves nothing and announces nothing: the next event the phone hears is a later move.
  await requestData(b, 'room:read', { room: 'devices', messageId: two.id });
  const three = await post(a, 'devices', 'three');
  heard = nextEvent(phone, 'room:read', (state) => state.name === 'devices');
  await requestData(b, 'room:read', { room: 'devices', messageId: three.id });
  expect((await heard).lastReadId).toBe(three.id);
  expect(aliceHears).toEqual([]);
});

test('room:members lists public profiles to members only, by socket and by REST', async () => {
  const { b } = await newRoom('listed');
  const members = await requestData(b, 'room:members', { name: 'listed' });
  const expected = [alice.user, bob.user].map(({ id, username, avatarUrl }): PublicUser => ({ id, username, avatarUrl })).sort((x, y) => x.username.localeCompare(y.username));
  expect(members).toEqual(expected);
  expect((await bob.session.request('GET', '/api/rooms/listed/members')).body).toEqual(expected);

  const c = await connect(carol);
  // A public room may be joined, so it is no secret that it exists: a non-member is told to join first.
  const refusals = [
    { name: 'listed', status: 403, answer: { error: 'you are not a member of listed: join it first', code: 'forbidden' } },
    { name: 'no-such-room', status: 404, answer: { error: 'no room named no-such-room', code: 'not_found' } },
  ];
  for (const { name, status, answer } of refusals) {
    expect(await request(c, 'room:members', { name })).toEqual(answer);
    const response = await carol.session.request<ApiError>('GET', `/api/rooms/${name}/members`);
    expect([response.status, response.body]).toEqual([status, answer]);
  }
});

test('bad input is refused with a clear code and changes nothing stored: unknown room, non-member, malformed id, id of another room', async () => {
  const { a, b } = await newRoom('guarded');
  const mine = await post(a, 'guarded', 'in guarded');
  await requestData(a, 'room:create', { name: 'elsewhere' });
  const elsewhere = await post(a, 'elsewhere', 'in another room');
  const c = await connect(carol);
  const before = await positionsStored();

  // An outsider cannot tell an existing room from a missing one.
  expect(await request(c, 'room:read', { room: 'guarded', messageId: mine.id })).toEqual({ error: 'no room named guarded', code: 'not_found' });
  expect(await request(c, 'room:read', { room: 'no-such-room', messageId: mine.id })).toEqual({ error: 'no room named no-such-room', code: 'not_found' });
  expect(await request(b, 'room:read', { room: 'guarded', messageId: elsewhere.id })).toEqual({ error: `no message ${elsewhere.id} in guarded`, code: 'not_found' });
  expect(await request(b, 'room:read', { room: 'guarded', messageId: Number.MAX_SAFE_INTEGER })).toMatchObject({ code: 'not_found' });
  for (const payload of [{ room: 'guarded' }, { room: 'guarded', messageId: 0 }, { room: 'guarded', messageId: -1 }, { room: 'guarded', messageId: 1.5 }, { room: 'guarded', messageId: '7' }, { room: 'Not A Room', messageId: mine.id }, 'guarded']) {
    expect(await request(b, 'room:read', payload)).toMatchObject({ code: 'invalid', error: expect.any(String) });
  }

  const post404 = async (who: LoggedIn, path: string, json: unknown) => {
    const response = await who.session.request<ApiError>('POST', path, { json });
    return [response.status, response.body.code];
  };
  expect(await post404(carol, '/api/rooms/guarded/read', { messageId: mine.id })).toEqual([404, 'not_found']);
  expect(await post404(bob, '/api/rooms/no-such-room/read', { messageId: mine.id })).toEqual([404, 'not_found']);
  expect(await post404(bob, '/api/rooms/guarded/read', { messageId: elsewhere.id })).toEqual([404, 'not_found']);
  expect(await post404(bob, '/api/rooms/guarded/read', { messageId: 'x' })).toEqual([400, 'invalid']);
  expect(await post404(bob, '/api/rooms/guarded/read', {})).toEqual([400, 'invalid']);
  expect(await post404(bob, '/api/rooms/NOT%20A%20ROOM/read', { messageId: mine.id })).toEqual([404, 'not_found']);

  expect(await positionsStored()).toEqual(before);
});
