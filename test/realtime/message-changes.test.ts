/**
 * Editing and deleting messages over the real server, by socket.io and REST: who may change what, the live events,
 * history after a reload, sync for a client that was offline, and bad input that changes nothing stored.
 */
import type { ApiError, ChatMessage, HistoryResponse } from '../../node/shared/protocol';
import type { ChatSocket, LoggedIn } from '../support/client';
import { heardUpTo, newClientId, nextEvent, recordEvents, request, requestData, serverWithThreePeople } from './helpers';

const stage = serverWithThreePeople();
/** Alice owns alices-room; Bob is a member of it; Carol is not. */
let alice: LoggedIn;
let bob: LoggedIn;
let carol: LoggedIn;
const connect = (who: LoggedIn) => stage.connect(who);

beforeAll(async () => {
  [alice, bob, carol] = stage.people;
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  await requestData(a, 'room:create', { name: 'alices-room' });
  await requestData(b, 'room:join', { name: 'alices-room' });
  a.close();
  b.close();
}, 120_000);

async function post(socket: ChatSocket, body: string, room = 'alices-room'): Promise<ChatMessage> {
  return requestData(socket, 'message:send', { room, clientId: newClientId(), body });
}

/** Every stored message and room counter, with xmin: an UPDATE, even to the same values, changes it. */
async function everythingStored(): Promise<unknown[]> {
  const messages = await stage.server.db.query('SELECT xmin::text, * FROM messages ORDER BY id');
  const rooms = await stage.server.db.query('SELECT xmin::text, * FROM rooms ORDER BY id');
  return [messages.rows, rooms.rows];
}

async function history(who: LoggedIn, room = 'alices-room'): Promise<ChatMessage[]> {
  const response = await who.session.request<HistoryResponse>('GET', `/api/rooms/${room}/messages`);
  expect(response.status).toBe(200);
  return response.body.messages;
}

test('an author edits their message: everyone in the room hears message:updated, and a reload shows it edited', async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const sent = await post(a, 'helo world');
  expect(sent).toMatchObject({ editedAt: null, deletedAt: null, revision: 0 });

  const heard = nextEvent(b, 'message:updated', (message) => message.id === sent.id);
  const edited = await requestData(a, 'message:edit', { id: sent.id, body: '  hello world  ' });
  expect(edited).toEqual({ ...sent, body: 'hello world', editedAt: expect.any(String), revision: expect.any(Number) });
  expect(edited.revision).toBeGreaterThan(0);
  expect(await heard).toEqual(edited);

  const { rows } = await stage.server.db.query('SELECT body, edited_at IS NOT NULL AS edited, deleted_at FROM messages WHERE id = $1', [sent.id]);
  expect(rows).toEqual([{ body: 'hello world', edited: true, deleted_at: null }]);
  expect((await history(bob)).find((message) => message.id === sent.id)).toEqual(edited);

  // The same text again is not a change: nothing stored, nothing announced.
  const before = await everythingStored();
  const updates = recordEvents(b, 'message:updated');
  expect(await requestData(a, 'message:edit', { id: sent.id, body: 'hello world' })).toEqual(edited);
  expect(await everythingStored()).toEqual(before);
  await heardUpTo(a, b, 'alices-room');
  expect(updates).toEqual([]);
});

test('an author deletes their message: message:deleted carries the placeholder, the text is gone from the database', async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const sent = await post(b, 'a secret I regret');
  const heard = nextEvent(a, 'message:deleted', (message) => message.id === sent.id);
  const deleted = await requestData(b, 'message:delete', { id: sent.id });
  expect(deleted).toEqual({ ...sent, body: '', deletedAt: expect.any(String), revision: expect.any(Number) });
  expect(await heard).toEqual(deleted);

  const { rows } = await stage.server.db.query('SELECT body, deleted_at IS NOT NULL AS deleted FROM messages WHERE id = $1', [sent.id]);
  expect(rows).toEqual([{ body: null, deleted: true }]);
  const everyBody = await stage.server.db.query<{ body: string | null }>('SELECT body FROM messages');
  expect(everyBody.rows.map((row) => row.body)).not.toContain('a secret I regret');
  // The row stays where it was: the placeholder keeps its place in the history.
  expect((await history(alice)).find((message) => message.id === sent.id)).toEqual(deleted);

  // Deleting again changes nothing; a deleted message cannot be edited.
  const before = await everythingStored();
  expect(await requestData(b, 'message:delete', { id: sent.id })).toEqual(deleted);
  expect(await request(b, 'message:edit', { id: sent.id, body: 'back again' })).toEqual({ error: `message ${sent.id} was deleted`, code: 'not_found' });
  expect(await everythingStored()).toEqual(before);
});

test("the room's owner may delete anyone's message in it, but edit only their own", async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const bobs = await post(b, 'from bob in alices-room');
  expect(await request(a, 'message:edit', { id: bobs.id, body: 'alice rewrites it' })).toEqual({ error: 'you can only edit your own messages', code: 'forbidden' });
  const deleted = await requestData(a, 'message:delete', { id: bobs.id });
  expect(deleted.deletedAt).not.toBeNull();
  expect(deleted.user.id).toBe(bob.user.id);
});

test("a member who does not own the room may change neither someone else's message, and nobody owns general", async () => {
  const [a, b] = await Promise.all([connect(alice), connect(bob)]);
  const alices = await post(a, 'from alice in her room');
  const inGeneral = await post(b, 'from bob in general', 'general');
  const before = await everythingStored();
  expect(await request(b, 'message:edit', { id: alices.id, body: 'bob rewrites it' })).toEqual({ error: 'you can only edit your own messages', code: 'forbidden' });
  const notYours = { error: 'you can only delete your own messages, or any in a room you own', code: 'forbidden' };
  expect(await request(b, 'message:delete', { id: alices.id })).toEqual(notYours);
  expect(await request(a, 'message:delete', { id: inGeneral.id })).toEqual(notYours);
  expect(await everythingStored()).toEqual(before);
});

test('a message in a room the caller is not in is answered as if it did not exist, by socket and by REST', async () => {
  const a = await connect(alice);
  const c = await connect(carol);
  const alices = await post(a, 'carol cannot see this');
  const missing = alices.id + 1_000_000;
  const before = await everythingStored();
  for (const [id, event, payload] of [
    [alices.id, 'message:edit', { body: 'carol was here' }],
    [alices.id, 'message:delete', {}],
    [missing, 'message:edit', { body: 'carol was here' }],
    [missing, 'message:delete', {}],
  ] as const) {
    expect(await request(c, event, { id, ...payload })).toEqual({ error: `no message with id ${id}`, code: 'not_found' });
  }
  for (const id of [alices.id, missing]) {
    const edit = await carol.session.request<ApiError>('PATCH', `/api/messages/${id}`, { json: { body: 'carol was here' } });
    const remove = await carol.session.request<ApiError>('DELETE', `/api/messages/${id}`);
    for (const response of [edit, remove]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: `no message with id ${id}`, code: 'not_found' });
    }
  }
  expect(await everythingStored()).toEqual(before);
});

test('oversize, empty and malformed edits and ids get invalid, by socket and by REST, and change nothing', async () => {
  const a = await connect(alice);
  const sent = await post(a, 'the original text');
  const before = await everythingStored();
  const socketCases: [unknown, string][] = [
    [{ id: sent.id, body: 'x'.repeat(4001) }, 'message is longer than 4000 characters'],
    [{ id: sent.id, body: '   ' }, 'message is empty'],
    [{ id: sent.id, body: 42 }, 'body: expected the message text as a string'],
    [{ id: String(sent.id), body: 'text' }, 'id: expected a message id'],
    [{ id: 1.5, body: 'text' }, 'id: expected a whole message id'],
    [{ id: 0, body: 'text' }, 'id: expected a message id of 1 or more'],
    [{ id: 2 ** 60, body: 'text' }, 'id: expected a whole message id'],
    ['not an object', 'expected an object payload'],
  ];
  // A fresh socket every few events: the per-socket rate limit is not what this test is about.
  let socket = await connect(alice);
  for (const [index, [payload, error]] of socketCases.entries()) {
    if (index % 5 === 4) socket = await connect(alice);
    expect(await request(socket, 'message:edit', payload)).toEqual({ error, code: 'invalid' });
  }
  expect(await request(socket, 'message:delete', { id: -3 })).toEqual({ error: 'id: expected a message id of 1 or more', code: 'invalid' });

  const idProblem = 'expected the message id as a whole number of 1 or more';
  const restCases: [string, string, unknown, string][] = [
    ['PATCH', `/api/messages/${sent.id}`, { body: 'x'.repeat(4001) }, 'message is longer than 4000 characters'],
    ['PATCH', `/api/messages/${sent.id}`, { text: 'wrong field' }, 'body: expected the message text as a string'],
    ['PATCH', '/api/messages/abc', { body: 'text' }, idProblem],
    ['PATCH', '/api/messages/0', { body: 'text' }, idProblem],
    ['DELETE', '/api/messages/-1', undefined, idProblem],
    ['DELETE', '/api/messages/12345678901234567890', undefined, idProblem],
  ];
  for (const [method, path, json, error] of restCases) {
    const response = await alice.session.request<ApiError>(method, path, { json });
    expect({ path, status: response.status, body: response.body }).toEqual({ path, status: 400, body: { error, code: 'invalid' } });
  }
  expect(await everythingStored()).toEqual(before);
});

test('REST edits and deletes need the CSRF token and a session, and are announced like socket ones', async () => {
  const b = await connect(bob);
  const a = await connect(alice);
  const sent = await post(a, 'edited over REST');
  const before = await everythingStored();
  expect((await alice.session.request('PATCH', `/api/messages/${sent.id}`, { json: { body: 'no token' }, csrf: false })).status).toBe(403);
  expect((await fetch(`${stage.server.url}/api/messages/${sent.id}`, { method: 'DELETE' })).status).toBe(403);
  expect(await everythingStored()).toEqual(before);

  const updated = nextEvent(b, 'message:updated', (message) => message.id === sent.id);
  const edit = await alice.session.request<ChatMessage>('PATCH', `/api/messages/${sent.id}`, { json: { body: 'edited over REST, really' } });
  expect(edit.status).toBe(200);
  expect(edit.body).toMatchObject({ id: sent.id, body: 'edited over REST, really', editedAt: expect.any(String) });
  expect(await updated).toEqual(edit.body);

  const deleted = nextEvent(b, 'message:deleted', (message) => message.id === sent.id);
  const remove = await alice.session.request<ChatMessage>('DELETE', `/api/messages/${sent.id}`);
  expect(remove.status).toBe(200);
  expect(remove.body).toMatchObject({ id: sent.id, body: '', deletedAt: expect.any(String) });
  expect(await deleted).toEqual(remove.body);
});

test('a client that was offline gets the edits and deletes of messages it holds through sync, as well as new messages', async () => {
  const a = await connect(alice);
  let b = await connect(bob);
  // What Bob's client holds: three messages, none changed.
  const [one, two, three] = [await post(a, 'held one'), await post(a, 'held two'), await post(b, 'held three')];
  b.close();

  const edited = await requestData(a, 'message:edit', { id: one.id, body: 'held one, edited while bob was away' });
  const deleted = await requestData(a, 'message:delete', { id: three.id });
  const fresh = await post(a, 'new while bob was away');

  b = await connect(bob);
  const cursor = { after: three.id, from: one.id, revision: 0 };
  expect(await requestData(b, 'sync', { rooms: { 'alices-room': cursor } })).toEqual([fresh, edited, deleted]);
  // Having seen those changes, nothing is left to sync.
  const seen = { after: fresh.id, from: one.id, revision: deleted.revision };
  expect(await requestData(b, 'sync', { rooms: { 'alices-room': seen } })).toEqual([]);
  // A later change comes alone, after the revision seen.
  const again = await requestData(a, 'message:edit', { id: two.id, body: 'held two, edited later' });
  expect(await requestData(b, 'sync', { rooms: { 'alices-room': seen } })).toEqual([again]);
  // The older form (a bare message id) still answers new messages only.
  expect(await requestData(b, 'sync', { rooms: { 'alices-room': three.id } })).toEqual([fresh]);
  // Changes are answered only for what the client holds (from..after), and only in rooms the caller is in.
  expect(await requestData(b, 'sync', { rooms: { 'alices-room': { after: three.id, from: two.id, revision: 0 } } })).toEqual([fresh, deleted, again]);
  const c = await connect(carol);
  expect(await requestData(c, 'sync', { rooms: { 'alices-room': cursor } })).toEqual([]);
});

test('revisions of a room count its changes in order, so the newest one seen is a safe cursor', async () => {
  const [poster, changer] = await Promise.all([connect(alice), connect(alice)]);
  const messages = await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((body) => post(poster, body)));
  // Concurrent changes in one room still get distinct, consecutive revisions.
  const changes = await Promise.all(messages.map((message, index) => requestData(changer, index % 2 ? 'message:delete' : 'message:edit', { id: message.id, body: `${message.body} edited` })));
  const revisions = changes.map((change) => change.revision).sort((x, y) => x - y);
  const first = Math.min(...revisions);
  expect(revisions).toEqual([0, 1, 2, 3, 4, 5].map((step) => first + step));
  const { rows } = await stage.server.db.query<{ message_revision: string }>("SELECT message_revision FROM rooms WHERE name = 'alices-room'");
  expect(Number(rows[0]?.message_revision)).toBe(first + 5);
});
