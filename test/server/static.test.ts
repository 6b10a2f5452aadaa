import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { createStaticRouter } from '../../node/server/http/static';
import { projectRoot } from '../../node/server/paths';

let directory: string;
let server: http.Server;
let url: string;

beforeAll(async () => {
  // A dist/ as webpack writes it: the page, and content-hashed assets.
  directory = await mkdtemp(path.join(tmpdir(), 'chat-dist-'));
  await mkdir(path.join(directory, 'assets'));
  await writeFile(path.join(directory, 'index.html'), '<!doctype html><script src="/assets/main.0123abcd.js"></script>');
  await writeFile(path.join(directory, 'assets', 'main.0123abcd.js'), 'console.log("chat")');
  const app = express();
  app.use(createStaticRouter(directory));
  app.use((_req, res) => res.status(404).json({ error: 'not found', code: 'not_found' }));
  await new Promise<void>((resolve) => {
    server = app.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(directory, { recursive: true, force: true });
});

test('the page is served at / and never cached', async () => {
  const response = await fetch(`${url}/`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  expect(response.headers.get('cache-control')).toBe('no-cache');
  expect(await response.text()).toContain('/assets/main.0123abcd.js');
});

test('content-hashed assets are cached for a year as immutable', async () => {
  const response = await fetch(`${url}/assets/main.0123abcd.js`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
});

test('a missing asset or a path outside dist/ falls through to 404', async () => {
  expect((await fetch(`${url}/assets/nope.js`)).status).toBe(404);
  // index.html exists one level up: a traversal that worked would answer 200.
  expect((await fetch(`${url}/assets/..%2Findex.html`)).status).toBe(404);
});

test('the repository root is found from the sources', () => {
  expect(projectRoot()).toBe(path.resolve(__dirname, '../..'));
});
