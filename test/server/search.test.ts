/**
 * Search and the window around a message, against the real PostgreSQL: the query language (words, phrases,
 * exclusions), newest-first keyset paging, safe highlighting, edited and deleted messages, bad input, and who may
 * read what: an outsider gets nothing from a room they are not in, over REST and over the socket.
 */
import type { AroundResponse, ApiError, SearchResponse } from '../../node/shared/protocol';
import { register, type LoggedIn } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { request, requestData, socketsClosedAfterEach } from '../realtime/helpers';

let server: TestServer;
let alice: LoggedIn;
let bob: LoggedIn;
/** Not a member of `ops`. */
let eve: LoggedIn;
const connect = socketsClosedAfterEach();

let storedCount = 0;
/** Stores a message as the message path would have; search reads what is stored, however it arrived. */
async function store(room: string, who: LoggedIn, body: string): Promise<number> {
  storedCount += 1;
  const { rows } = await server.db.query<{ id: string }>(
    `INSERT INTO messages (room_id, user_id, client_id, body) SELECT id, $2, $3, $4 FROM rooms WHERE name = $1 RETURNING id`,
    [room, who.user.id, `search-test-${storedCount}`, body],
  );
  return Number(rows[0]?.id);
}

function search(who: LoggedIn, query: Record<string, string>) {
  return who.session.request<SearchResponse & ApiError>('GET', `/api/search?${new URLSearchParams(query).toString()}`);
}

async function hitIds(who: LoggedIn, q: string): Promise<number[]> {
  const result = await search(who, { q });
  expect(result.status).toBe(200);
  return result.body.hits.map((hit) => hit.message.id);
}

const around = (who: LoggedIn, room: string, query: string) =>
  who.session.request<AroundResponse & ApiError>('GET', `/api/rooms/${encodeURIComponent(room)}/messages?${query}`);

beforeAll(async () => {
  server = await startTestServer();
  [alice, bob, eve] = await Promise.all([register(server.url), register(server.url), register(server.url)]);
  // Connecting makes each a member of general; alice creates ops and bob joins it; eve stays out.
  const [aliceSocket, bobSocket] = await Promise.all([connect(server.url, alice), connect(server.url, bob), connect(server.url, eve)]);
  await requestData(aliceSocket, 'room:create', { name: 'ops' });
  await requestData(bobSocket, 'room:join', { name: 'ops' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

test('words match every form of themselves, all of them must be there, and hits come newest first', async () => {
  const deployed = await store('ops', alice, 'We deployed the new servers tonight');
  await store('ops', bob, 'The deploy is waiting for review');
  const deploying = await store('general', bob, 'Deploying to the staging server now');
  expect(await hitIds(alice, 'deploy server')).toEqual([deploying, deployed]);
  // Case does not matter, and words are found in any order.
  expect(await hitIds(alice, 'SERVERS Deploy')).toEqual([deploying, deployed]);
});

test('"a phrase" matches its words next to each other, and -word excludes messages with it', async () => {
  const blueWhale = await store('ops', alice, 'a blue whale surfaced');
  const whaleBlue = await store('ops', alice, 'the whale was blue');
  const greyWhale = await store('ops', bob, 'a grey whale passed');
  expect(await hitIds(bob, '"blue whale"')).toEqual([blueWhale]);
  expect(await hitIds(bob, 'whale -blue')).toEqual([greyWhale]);
  expect(await hitIds(bob, 'whale or surfaced')).toEqual([greyWhale, whaleBlue, blueWhale]);
  // Only stop words: nothing to look for, so nothing found (not an error).
  const onlyStopWords = await search(bob, { q: 'the of and' });
  expect(onlyStopWords.status).toBe(200);
  expect(onlyStopWords.body).toEqual({ hits: [], hasMore: false });
});

test('pages are keyset paged by message id: before= continues exactly where the last page ended', async () => {
  const ids: number[] = [];
  for (let index = 0; index < 7; index += 1) ids.push(await store('general', alice, `pagination marker number ${index}`));
  const newestFirst = [...ids].reverse();
  const first = await search(bob, { q: 'pagination marker', limit: '3' });
  expect(first.body.hits.map((hit) => hit.message.id)).toEqual(newestFirst.slice(0, 3));
  expect(first.body.hasMore).toBe(true);
  const second = await search(bob, { q: 'pagination marker', limit: '3', before: String(newestFirst[2]) });
  expect(second.body.hits.map((hit) => hit.message.id)).toEqual(newestFirst.slice(3, 6));
  expect(second.body.hasMore).toBe(true);
  const last = await search(bob, { q: 'pagination marker', limit: '3', before: String(newestFirst[5]) });
  expect(last.body).toMatchObject({ hasMore: false });
  expect(last.body.hits.map((hit) => hit.message.id)).toEqual(newestFirst.slice(6));
  // Each hit carries the message as history shows it.
  expect(first.body.hits[0]?.message).toMatchObject({ id: newestFirst[0], room: 'general', body: 'pagination marker number 6', user: { username: alice.user.username } });
});

test('the highlight marks the matched words in plain-text parts, and HTML in a message stays text', async () => {
  const body = '<img src=x onerror=alert(1)> <b>launch</b> & "quotes" <script>alert(2)</script> launching';
  const id = await store('ops', alice, body);
  const hit = (await search(alice, { q: 'launch' })).body.hits.find((candidate) => candidate.message.id === id);
  expect(hit?.snippet.map((part) => part.text).join('')).toBe(body);
  expect(hit?.snippet.filter((part) => part.match).map((part) => part.text)).toEqual(['launch', 'launching']);
  // A long message shows the fragments around its matches, with an ellipsis where text is left out.
  const filler = Array.from({ length: 60 }, (_, index) => `filler${index}`).join(' ');
  const longId = await store('ops', alice, `${filler} kraken ${filler}`);
  const long = (await search(alice, { q: 'kraken' })).body.hits.find((candidate) => candidate.message.id === longId);
  const parts = long?.snippet ?? [];
  expect(parts.filter((part) => part.match).map((part) => part.text)).toEqual(['kraken']);
  expect(parts[0]?.text).toBe('… ');
  expect(parts.at(-1)?.text).toBe(' …');
  expect(parts.map((part) => part.text).join('').length).toBeLessThan(filler.length);
});

test('an outsider finds only what is in rooms they are in, over REST and over the socket', async () => {
  const secret = await store('ops', alice, 'the narwhal password is in the vault');
  const open = await store('general', alice, 'narwhal sightings are public');
  expect(await hitIds(bob, 'narwhal')).toEqual([open, secret]);
  expect(await hitIds(eve, 'narwhal')).toEqual([open]);
  const eveSocket = await connect(server.url, eve);
  const overSocket = await requestData(eveSocket, 'search', { q: 'narwhal' });
  expect(overSocket.hits.map((hit) => hit.message.id)).toEqual([open]);
  // A member who leaves stops finding the room's messages.
  const bobSocket = await connect(server.url, bob);
  await requestData(bobSocket, 'room:leave', { name: 'ops' });
  try {
    expect((await requestData(bobSocket, 'search', { q: 'narwhal' })).hits.map((hit) => hit.message.id)).toEqual([open]);
  } finally {
    await requestData(bobSocket, 'room:join', { name: 'ops' });
  }
});

test('the window around a message: its neighbours in its room, oldest first, and whether more lie beyond', async () => {
  const ids: number[] = [];
  for (let index = 0; index < 9; index += 1) ids.push(await store('ops', bob, `window message ${index}`));
  await store('general', bob, 'in another room, never in the window');
  const target = ids[4] as number;
  const narrow = await around(alice, 'ops', `around=${target}&limit=2`);
  expect(narrow.status).toBe(200);
  expect(narrow.body.messages.map((message) => message.id)).toEqual(ids.slice(2, 7));
  expect(narrow.body).toMatchObject({ hasOlder: true, hasNewer: true });
  const wide = await around(alice, 'ops', `around=${ids[7]}&limit=5`);
  expect(wide.body.messages.map((message) => message.id)).toEqual(ids.slice(2));
  expect(wide.body).toMatchObject({ hasOlder: true, hasNewer: false });
  const socket = await connect(server.url, alice);
  const overSocket = await requestData(socket, 'message:around', { room: 'ops', id: target, limit: 2 });
  expect(overSocket).toEqual(narrow.body);
});

test('an edit is searched by its new text, a deleted message is never found, and both come with their change', async () => {
  const socket = await connect(server.url, alice);
  const send = (body: string) => requestData(socket, 'message:send', { room: 'ops', clientId: `changes-${body}`, body });
  const edited = await send('the wombat report is late');
  const deleted = await send('the wombat budget is secret');
  await requestData(socket, 'message:edit', { id: edited.id, body: 'the platypus report is late' });
  const placeholder = await requestData(socket, 'message:delete', { id: deleted.id });
  expect(placeholder).toMatchObject({ body: '', deletedAt: expect.any(String) });

  // A reader of its own, whose searches are not limited by the other tests' ones.
  const carol = await register(server.url);
  await requestData(await connect(server.url, carol), 'room:join', { name: 'ops' });
  expect(await hitIds(carol, 'wombat')).toEqual([]);
  expect(await hitIds(carol, 'budget secret')).toEqual([]);
  const found = await search(carol, { q: 'platypus' });
  expect(found.body.hits.map((hit) => hit.message)).toEqual([
    expect.objectContaining({ id: edited.id, body: 'the platypus report is late', editedAt: expect.any(String), deletedAt: null, revision: expect.any(Number) }),
  ]);
  // The window around it shows both as they are now, the placeholder with no text.
  const window = await around(carol, 'ops', `around=${edited.id}&limit=1`);
  expect(window.body.messages.map(({ id, body, deletedAt, revision }) => ({ id, body, deleted: deletedAt !== null, changed: revision > 0 }))).toEqual([
    expect.anything(),
    { id: edited.id, body: 'the platypus report is late', deleted: false, changed: true },
    { id: deleted.id, body: '', deleted: true, changed: true },
  ]);
});

test('an outsider asking for the window around a message gets the same not_found whether it exists or not', async () => {
  const secret = await store('ops', alice, 'nobody outside ops reads this');
  const general = await store('general', alice, 'this one is in general');
  const refusal = { error: 'no such message', code: 'not_found' };
  for (const query of [`around=${secret}`, `around=${secret + 1000}`]) {
    const result = await around(eve, 'ops', query);
    expect([result.status, result.body]).toEqual([404, refusal]);
  }
  // A message of another room, through a room the user is in, and a room that does not exist.
  expect((await around(eve, 'general', `around=${secret}`)).body).toEqual(refusal);
  expect((await around(eve, 'no-such-room', `around=${general}`)).body).toEqual(refusal);
  const socket = await connect(server.url, eve);
  expect(await request(socket, 'message:around', { room: 'ops', id: secret })).toEqual(refusal);
  expect(await request(socket, 'message:around', { room: 'ops', id: secret + 1000 })).toEqual(refusal);
  // A member is shown the same message.
  expect((await around(alice, 'ops', `around=${secret}`)).body.messages.map((message) => message.id)).toContain(secret);
});

test('bad input gets a clear invalid error, over REST and over the socket', async () => {
  // A user of its own: refused searches use up the rate limit too.
  const dave = await register(server.url);
  const invalid = async (query: string, error: string) => {
    const result = await dave.session.request('GET', `/api/search?${query}`);
    expect([result.status, result.body]).toEqual([400, { error, code: 'invalid' }]);
  };
  await invalid('q=', 'q: search is empty: type a word to look for');
  await invalid('q=%20%20', 'q: search is empty: type a word to look for');
  await invalid('', 'q: expected the search as a string');
  await invalid('q=a&q=b', 'q: expected the search as a string');
  await invalid(`q=${'x'.repeat(201)}`, 'q: search is longer than 200 characters');
  await invalid('q=ok&before=abc', 'before: expected before= to be a message id');
  await invalid('q=ok&limit=0', 'limit: expected limit= to be a number from 1 to 50');
  await invalid('q=ok&limit=51', 'limit: expected limit= to be a number from 1 to 50');
  expect((await search(dave, { q: 'x'.repeat(200) })).status).toBe(200);

  const window = async (query: string, error: string) => {
    const result = await around(alice, 'ops', query);
    expect([result.status, result.body]).toEqual([400, { error, code: 'invalid' }]);
  };
  await window('around=abc', 'around: expected around= to be a message id');
  await window('around=0', 'around: expected around= to be a message id');
  await window('around=5&before=9', 'expected before= or around=, not both');
  await window('around=5&limit=51', 'expected limit= to be a number from 1 to 50 with around=');

  const socket = await connect(server.url, alice);
  expect(await request(socket, 'search', { q: '' })).toEqual({ error: 'q: search is empty: type a word to look for', code: 'invalid' });
  expect(await request(socket, 'search', 'deploy')).toEqual({ error: 'expected an object payload', code: 'invalid' });
  expect(await request(socket, 'search', { q: 'ok', before: 0 })).toEqual({ error: 'before: expected before to be a message id', code: 'invalid' });
  expect(await request(socket, 'search', { q: 'ok', limit: 500 })).toEqual({ error: 'limit: expected limit from 1 to 50', code: 'invalid' });
  expect(await request(socket, 'message:around', { room: 'ops', id: 'abc' })).toEqual({ error: 'id: expected a message id', code: 'invalid' });

  const notLoggedIn = await fetch(`${server.url}/api/search?q=deploy`);
  expect([notLoggedIn.status, await notLoggedIn.json()]).toEqual([401, { error: 'not logged in', code: 'unauthorized' }]);
});

test('searches are rate-limited like reads', async () => {
  // A new user's bucket is full: the first 10 pass, and 30 at once cannot all be refilled in time.
  const carol = await register(server.url);
  const results = await Promise.all(Array.from({ length: 30 }, () => search(carol, { q: 'anything' })));
  const limited = results.filter((result) => result.status === 429);
  expect(limited.length).toBeGreaterThan(0);
  expect(limited[0]?.body).toEqual({ error: 'too many searches: slow down', code: 'rate_limited' });
  expect(results.filter((result) => result.status === 200).length).toBeGreaterThanOrEqual(10);
});
