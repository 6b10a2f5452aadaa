import { ApiSession, connectSocket, register } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.stop());

test('register, me, socket', async () => {
  const alice = await register(server.url);
  const me = await alice.session.request('GET', '/api/me');
  expect(me.status).toBe(200);
  const socket = await connectSocket(server.url, alice.cookie);
  expect(socket.connected).toBe(true);
  socket.close();
  await expect(connectSocket(server.url, '')).rejects.toThrow('unauthorized');
  const anon = await new ApiSession(server.url).start();
  expect((await anon.login('demo', 'demo-password')).status).toBe(200);
});
