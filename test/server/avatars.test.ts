import type { SelfUser } from '../../node/shared/protocol';
import { AvatarStorage } from '../../node/server/avatars/storage';
import { createLogger } from '../../node/server/logger';
import { ApiSession, register, type LoggedIn } from '../support/client';
import { JPEG_1PX, PNG_1PX, WEBP_1PX } from '../support/images';
import { startTestServer, type TestServer } from '../support/server';

let server: TestServer;
let storage: AvatarStorage;
beforeAll(async () => {
  server = await startTestServer();
  storage = new AvatarStorage(server.clients.s3, server.config.S3_BUCKET, server.config.S3_REGION, createLogger('silent'));
});
afterAll(() => server.stop());

function upload(user: LoggedIn, bytes: Buffer, contentType = 'application/octet-stream') {
  return user.session.request<SelfUser>('PUT', '/api/me/avatar', { body: bytes, headers: { 'content-type': contentType } });
}

async function keysOf(userId: number): Promise<string[]> {
  return (await storage.keys()).filter((key) => key.startsWith(`${userId}-`));
}

test.each([
  ['PNG', PNG_1PX, 'image/png', 'png'],
  ['JPEG', JPEG_1PX, 'image/jpeg', 'jpg'],
  ['WebP', WEBP_1PX, 'image/webp', 'webp'],
])('a %s avatar is stored in the bucket and served from CDN_PREFIX', async (_label, bytes, mime, extension) => {
  const user = await register(server.url);
  const result = await upload(user, bytes);
  expect(result.status).toBe(200);
  expect(result.body.avatarUrl).toMatch(new RegExp(`^/avatars/${user.user.id}-[0-9a-f-]{36}\\.${extension}$`));
  const served = await fetch(`${server.url}${result.body.avatarUrl}`);
  expect(served.status).toBe(200);
  expect(served.headers.get('content-type')).toBe(mime);
  expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
  const me = await user.session.request<SelfUser>('GET', '/api/me');
  expect(me.body.avatarUrl).toBe(result.body.avatarUrl);
});

test('the type is judged by content: a PNG sent as image/jpeg is stored as PNG, text is a 415', async () => {
  const user = await register(server.url);
  const disguised = await upload(user, PNG_1PX, 'image/jpeg');
  expect(disguised.status).toBe(200);
  expect(disguised.body.avatarUrl).toMatch(/\.png$/);
  const text = await upload(user, Buffer.from('<svg onload="alert(1)"></svg>'), 'image/png');
  expect(text.status).toBe(415);
  expect(text.body).toEqual({ error: 'expected a PNG, JPEG or WebP image', code: 'invalid' });
  expect(await keysOf(user.user.id)).toHaveLength(1);
});

test('an empty body is a 400, more than 2 MiB a 413, and neither leaves an object', async () => {
  const user = await register(server.url);
  const empty = await upload(user, Buffer.alloc(0));
  expect(empty.status).toBe(400);
  const huge = Buffer.concat([PNG_1PX, Buffer.alloc(2 * 1024 * 1024)]);
  const tooLarge = await upload(user, huge);
  expect(tooLarge.status).toBe(413);
  expect(tooLarge.body).toEqual({ error: 'request body is too large', code: 'invalid' });
  expect(await keysOf(user.user.id)).toEqual([]);
});

test('replacing an avatar leaves exactly one object: the new one', async () => {
  const user = await register(server.url);
  const first = await upload(user, PNG_1PX);
  const second = await upload(user, WEBP_1PX);
  expect(second.status).toBe(200);
  const keys = await keysOf(user.user.id);
  expect(keys).toHaveLength(1);
  expect(second.body.avatarUrl).toBe(`/avatars/${keys[0]}`);
  expect((await fetch(`${server.url}${first.body.avatarUrl}`)).status).toBe(404);
});

test('uploads need a login and the CSRF token', async () => {
  const anonymous = await new ApiSession(server.url).start();
  expect((await anonymous.request('PUT', '/api/me/avatar', { body: PNG_1PX })).status).toBe(401);
  const user = await register(server.url);
  expect((await user.session.request('PUT', '/api/me/avatar', { body: PNG_1PX, csrf: false })).status).toBe(403);
});

test('the default avatar is an SVG with the initial; odd names are escaped, odd keys are 404', async () => {
  const response = await fetch(`${server.url}/avatars/default/alice.svg`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
  const svg = await response.text();
  expect(svg).toMatch(/^<svg /);
  expect(svg).toContain('>A</text>');
  const hostile = await (await fetch(`${server.url}/avatars/default/${encodeURIComponent('<script>x</script>')}.svg`)).text();
  expect(hostile).not.toContain('<script>');
  expect(hostile).toContain('&#60;script&#62;');
  expect((await fetch(`${server.url}/avatars/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
  expect((await fetch(`${server.url}/avatars/1-00000000-0000-0000-0000-000000000000.png`)).status).toBe(404);
});

// Last: it stops this file's S3 server.
test('with S3 down, uploads are a 503 with {error} and everything else works', async () => {
  const user = await register(server.url);
  await server.s3.stop();
  const result = await upload(user, PNG_1PX);
  expect(result.status).toBe(503);
  expect(result.body).toEqual({ error: 'avatar storage is unavailable, try again later', code: 'unavailable' });
  expect((await user.session.request('GET', '/api/me')).status).toBe(200);
  const other = await register(server.url);
  expect(other.user.avatarUrl).toMatch(/^\/avatars\/default\//);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
});
