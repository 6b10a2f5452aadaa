import { ApiSession, newUser, register } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';

// Small limits, one proxy hop trusted (so X-Forwarded-For stands for different clients), cookies Secure as behind TLS.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_PER_IP: 4, RATE_LIMIT_PER_ACCOUNT: 3, COOKIE_SECURE: true, TRUST_PROXY: 1 });
});
afterAll(() => server.stop());

/** A session that talks to the server as if through the proxy, from `ip`, over HTTPS. */
async function sessionFrom(ip: string): Promise<ApiSession> {
  const session = new ApiSession(server.url);
  const original = session.request.bind(session);
  session.request = (method, path, options = {}) =>
    original(method, path, { ...options, headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https', ...options.headers } });
  return session.start();
}

test('login and registration attempts per IP are limited (429), other IPs are not affected', async () => {
  const session = await sessionFrom('10.0.0.1');
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 5; attempt += 1) statuses.push((await session.login(`nobody${attempt}`, 'wrong password')).status);
  expect(statuses).toEqual([401, 401, 401, 401, 429]);
  const blocked = await session.register(newUser('blocked'));
  expect(blocked.status).toBe(429);
  expect(blocked.body).toEqual({ error: 'too many attempts from this address, try again later', code: 'rate_limited' });
  const keys = await server.redis.keys(`${server.config.REDIS_PREFIX}rl:ip:*`);
  expect(keys.length).toBeGreaterThan(0);

  const elsewhere = await sessionFrom('10.0.0.2');
  expect((await elsewhere.register(newUser('elsewhere'))).status).toBe(201);
});

test('failed logins per account are limited across IPs, even the right password then waits; other accounts are fine', async () => {
  const victim = newUser('victim');
  await (await sessionFrom('10.1.0.100')).register(victim);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const guesser = await sessionFrom(`10.1.0.${attempt + 1}`);
    expect((await guesser.login(victim.username, `guess ${attempt}`)).status).toBe(401);
  }
  const owner = await sessionFrom('10.1.0.50');
  const result = await owner.login(victim.username, victim.password);
  expect(result.status).toBe(429);
  expect(result.body).toEqual({ error: 'too many failed attempts for this account, try again later', code: 'rate_limited' });

  const other = newUser('other');
  await (await sessionFrom('10.1.0.101')).register(other);
  expect((await (await sessionFrom('10.1.0.51')).login(other.username, other.password)).status).toBe(200);
});

test('behind TLS the session cookie is Secure; over plain HTTP without the proxy header none is sent', async () => {
  const viaProxy = await fetch(`${server.url}/api/session`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.2.0.2' } });
  expect(viaProxy.headers.getSetCookie().find((line) => line.startsWith('chat.sid='))).toMatch(/; Secure/);
  expect(viaProxy.headers.get('strict-transport-security')).toMatch(/max-age=/);
  const plain = await fetch(`${server.url}/api/session`);
  expect(plain.headers.getSetCookie().filter((line) => line.startsWith('chat.sid='))).toEqual([]);
  // So a plain-HTTP client holds no session, and its CSRF token matches nothing: writes are refused.
  await expect(register(server.url)).rejects.toThrow(/expected 201, got 403/);
  // Through the proxy, registration works.
  expect((await (await sessionFrom('10.2.0.3')).register(newUser('tls'))).status).toBe(201);
});
