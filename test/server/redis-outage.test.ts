import { ApiSession, newUser, register } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { createTcpGate, type TcpGate } from '../support/tcp-gate';
import { waitFor } from '../support/wait';

let gate: TcpGate;
let server: TestServer;
beforeAll(async () => {
  // Redis reached through a gate that the test can close: an outage of the session store only.
  gate = await createTcpGate(6379);
  await gate.open();
  server = await startTestServer({ SESSION_REDIS: `redis://127.0.0.1:${gate.port}/0` });
});
afterAll(async () => {
  await server.stop();
  await gate.close();
});

test('with Redis down, session routes are a 503 with {error}, the rest answers; it recovers when Redis is back', async () => {
  const user = newUser('outage');
  const before = await register(server.url, user);
  await gate.close();

  const anonymous = await new ApiSession(server.url).request('GET', '/api/session');
  expect(anonymous.status).toBe(503);
  expect(anonymous.body).toEqual({ error: 'sessions are unavailable, try again later', code: 'unavailable' });
  expect((await before.session.request('GET', '/api/me')).status).toBe(503);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  const readiness = await fetch(`${server.url}/readyz`);
  expect(readiness.status).toBe(503);
  expect(await readiness.json()).toMatchObject({ checks: { postgres: true, redis: false } });
  expect((await fetch(`${server.url}/avatars/default/${user.username}.svg`)).status).toBe(200);

  await gate.open();
  await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200);
  // The session stored before the outage is still valid, and new logins work.
  expect((await before.session.request('GET', '/api/me')).status).toBe(200);
  expect((await new ApiSession(server.url).login(user.username, user.password)).status).toBe(200);
});
