import { ApiSession, newUser, register, type TestUser } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

function sessionCookieLine(setCookies: string[]): string | undefined {
  return setCookies.find((line) => line.startsWith('chat.sid='));
}

describe('accounts', () => {
  test('register logs the new user in and /api/me answers who they are', async () => {
    const user = newUser('reg');
    const session = new ApiSession(server.url);
    const registered = await session.register(user);
    expect(registered.status).toBe(201);
    expect(registered.body.user).toEqual({ id: expect.any(Number), username: user.username, email: user.email, avatarUrl: `/avatars/default/${user.username}.svg` });
    const me = await session.request('GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual(registered.body.user);
    const stored = await server.db.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', [user.username]);
    expect(stored.rows[0]?.password_hash).toMatch(/^\$argon2id\$/);
  });

  test('a taken username or e-mail (in any case) is a 409 that says which', async () => {
    const first = await register(server.url);
    const sameName = await new ApiSession(server.url).register({ ...newUser(), username: first.user.username });
    expect(sameName.status).toBe(409);
    expect(sameName.body).toEqual({ error: 'this username is taken', code: 'conflict' });
    const sameMail = await new ApiSession(server.url).register({ ...newUser(), email: first.user.email.toUpperCase() });
    expect(sameMail.status).toBe(409);
    expect(sameMail.body).toEqual({ error: 'this e-mail address is already registered', code: 'conflict' });
  });

  test.each([
    ['a short username', { username: 'ab' }, /^username: /],
    ['an uppercase-only invalid username', { username: 'no spaces allowed' }, /^username: /],
    ['a bad e-mail', { email: 'not-an-address' }, /^email: /],
    ['a short password', { password: 'short' }, /^password: expected at least 8/],
    ['a missing password', { password: undefined }, /^password: /],
  ])('registration with %s is a 400 naming the field', async (_label, change, message) => {
    const result = await new ApiSession(server.url).register({ ...newUser(), ...change } as TestUser);
    expect(result.status).toBe(400);
    expect((result.body as unknown as { error: string }).error).toMatch(message);
  });

  test('login with a wrong password or an unknown user is the same 401', async () => {
    const { user } = await register(server.url);
    const wrong = await new ApiSession(server.url).login(user.username, 'wrong password!');
    const unknown = await new ApiSession(server.url).login('nobody_here', 'wrong password!');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  test('the bot account cannot log in', async () => {
    const result = await new ApiSession(server.url).login('greeter', 'anything-at-all');
    expect(result.status).toBe(401);
  });

  test('/api/me without a session is a 401', async () => {
    const result = await new ApiSession(server.url).request('GET', '/api/me');
    expect(result.status).toBe(401);
    expect(result.body).toEqual({ error: 'not logged in', code: 'unauthorized' });
  });
});

describe('sessions', () => {
  test('login issues a new session id and CSRF token; logout destroys the session', async () => {
    const user = newUser('sess');
    await register(server.url, user);
    const session = await new ApiSession(server.url).start();
    const anonymousCookie = session.cookie;
    const anonymousToken = session.csrfToken;
    expect(anonymousCookie).toMatch(/^chat\.sid=/);

    const loggedIn = await session.login(user.username, user.password);
    expect(loggedIn.status).toBe(200);
    expect(session.cookie).toMatch(/^chat\.sid=/);
    expect(session.cookie).not.toBe(anonymousCookie);
    expect(session.csrfToken).not.toBe(anonymousToken);

    // The pre-login cookie (a fixation attempt) is worth nothing now.
    const fixated = new ApiSession(server.url);
    fixated.cookie = anonymousCookie;
    expect((await fixated.request('GET', '/api/me')).status).toBe(401);

    const loggedInCookie = session.cookie;
    const logout = await session.logout();
    expect(logout.status).toBe(204);
    const replay = new ApiSession(server.url);
    replay.cookie = loggedInCookie;
    expect((await replay.request('GET', '/api/me')).status).toBe(401);
    const sid = decodeURIComponent(loggedInCookie.slice('chat.sid='.length)).slice(2).split('.')[0];
    expect(await server.redis.exists(`${server.config.REDIS_PREFIX}sess:${sid}`)).toBe(0);
  });

  test('the session cookie is HttpOnly, SameSite=Lax, not Secure over plain HTTP, and lives SESSION_TTL', async () => {
    const result = await new ApiSession(server.url).request('GET', '/api/session');
    const line = sessionCookieLine(result.setCookies);
    expect(line).toBeDefined();
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Lax/);
    expect(line).not.toMatch(/; Secure/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(line ?? '')?.[1] ?? '');
    expect(Math.abs(expires - Date.now() - server.config.SESSION_TTL * 1000)).toBeLessThan(60_000);
  });
});

describe('CSRF and bad input', () => {
  test('a write without the CSRF token, or with a wrong one, is a 403 and changes nothing', async () => {
    const user = newUser('csrf');
    const session = await new ApiSession(server.url).start();
    const missing = await session.request('POST', '/api/register', { json: user, csrf: false });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: expect.stringMatching(/CSRF/), code: 'forbidden' });
    const wrong = await session.request('POST', '/api/register', { json: user, headers: { 'x-csrf-token': 'x'.repeat(43) } });
    expect(wrong.status).toBe(403);
    const count = await server.db.query('SELECT 1 FROM users WHERE username = $1', [user.username]);
    expect(count.rowCount).toBe(0);
  });

  test('a logged-in session still needs the token: logout without it is refused', async () => {
    const alice = await register(server.url);
    const result = await alice.session.request('POST', '/api/logout', { csrf: false });
    expect(result.status).toBe(403);
    expect((await alice.session.request('GET', '/api/me')).status).toBe(200);
  });

  test('broken JSON is a 400 with {error}', async () => {
    const session = await new ApiSession(server.url).start();
    const result = await session.request('POST', '/api/login', { body: '{"username": "a", ', headers: { 'content-type': 'application/json' } });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: 'request body is not valid JSON', code: 'invalid' });
  });

  test('a body over the JSON limit is a 413 with {error}', async () => {
    const session = await new ApiSession(server.url).start();
    const result = await session.request('POST', '/api/register', { json: { ...newUser(), password: 'p'.repeat(64 * 1024) } });
    expect(result.status).toBe(413);
    expect(result.body).toEqual({ error: 'request body is too large', code: 'invalid' });
  });

  test('an unknown API path is a JSON 404', async () => {
    const result = await new ApiSession(server.url).request('GET', '/api/nothing-here');
    expect(result.status).toBe(404);
    expect(result.body).toEqual({ error: 'not found', code: 'not_found' });
  });

  test('security headers: CSP, nosniff, frame denial', async () => {
    const response = await fetch(`${server.url}/api/session`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(csp).toContain("connect-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

test('logs carry no password, e-mail address, cookie or session id', async () => {
  const user = newUser('logs');
  const session = new ApiSession(server.url);
  await session.register(user);
  await session.logout();
  expect((await session.login(user.username, 'a wrong password')).status).toBe(401);
  expect((await session.login(user.username, user.password)).status).toBe(200);
  await session.request('GET', '/api/me');
  const text = server.logText();
  expect(server.logs.some((line) => line.msg === 'user logged in')).toBe(true);
  expect(text).not.toContain(user.password);
  expect(text).not.toContain(user.email);
  expect(text).not.toContain('a wrong password');
  const sid = decodeURIComponent(session.cookie.slice('chat.sid='.length));
  expect(sid.length).toBeGreaterThan(10);
  expect(text).not.toContain(sid.slice(2).split('.')[0]);
  expect(text).not.toContain(session.csrfToken);
});
