/**
 * The nginx sidecar config (node/nginx/nginx.conf, exactly the file the node_assets image carries)
 * run by Debian's real nginx in front of the real chat server: assets from disk with long cache
 * headers, gzipped for clients that accept it, everything else proxied (REST and a socket.io WebSocket),
 * /healthz answered by nginx.
 *
 * The image renders the file with envsubst (only the NGINX_* variables) into conf.d/, inside the
 * http {} block of its own nginx.conf; renderTemplate and mainConfig below do the same here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { nextEvent, requestData } from '../realtime/helpers';
import { connectSocket, register, type ChatSocket } from '../support/client';
import { startTestServer, type TestServer } from '../support/server';
import { freePort } from '../support/tcp-gate';

const root = path.resolve(__dirname, '../..');
const template = readFileSync(path.join(root, 'node/nginx/nginx.conf'), 'utf8');
const run = promisify(execFile);

/** envsubst as the image's entrypoint runs it with NGINX_ENVSUBST_FILTER=^NGINX_: defined NGINX_* variables only. */
export function renderTemplate(text: string, variables: Record<string, string>): string {
  const rendered = text.replace(/\$\{(NGINX_\w+)\}/g, (placeholder, name: string) => variables[name] ?? placeholder);
  const left = rendered.match(/\$\{NGINX_\w+\}/g);
  if (left) throw new Error(`variables not given: ${left.join(', ')}`);
  return rendered;
}

/** What the nginx-unprivileged image's /etc/nginx/nginx.conf wraps around conf.d/*.conf, with paths in our folder. */
function mainConfig(dir: string, serverConfig: string): string {
  return `
worker_processes 1;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${serverConfig};
}
`;
}

async function waitFor(url: string, nginx: ChildProcess, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited with ${nginx.exitCode}: ${stderr()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`nginx did not answer: ${stderr()}`);
}

let server: TestServer;
let nginx: ChildProcess;
let logFile: string;
const nginxOutput = () => readFileSync(logFile, 'utf8');
let dir: string;
let url: string;
const assetName = `app.${randomUUID().slice(0, 8)}.js`;
const assetBody = `console.log(${JSON.stringify(randomUUID())});\n`;
/** Assets big enough to be worth compressing (above gzip_min_length), of the types webpack writes. */
const compressibleAssets = [
  { kind: 'JavaScript', name: `vendor.${randomUUID().slice(0, 8)}.js`, body: Array.from({ length: 400 }, (_, line) => `export const value${line} = ${JSON.stringify(randomUUID())};`).join('\n') },
  { kind: 'CSS', name: `main.${randomUUID().slice(0, 8)}.css`, body: Array.from({ length: 400 }, (_, line) => `.message-${line} { color: #333; margin: 0 ${line}px; }`).join('\n') },
];

/** A GET with exactly these request headers (fetch would add its own Accept-Encoding and decompress). */
function rawGet(pathname: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(`${url}${pathname}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  // One proxy hop (this nginx) in front of Node, as in the pod (where the ingress adds a second).
  server = await startTestServer({ TRUST_PROXY: 1 });
  dir = mkdtempSync(path.join(tmpdir(), 'chat-nginx-'));
  // nginx's workers run as an unprivileged user when the master is root: they must read the assets.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'html/assets'), { recursive: true });
  writeFileSync(path.join(dir, 'html/assets', assetName), assetBody);
  for (const { name, body } of compressibleAssets) writeFileSync(path.join(dir, 'html/assets', name), body);
  const port = await freePort();
  const serverConfig = path.join(dir, 'default.conf');
  writeFileSync(
    serverConfig,
    renderTemplate(template, { NGINX_PORT: String(port), NGINX_UPSTREAM: `127.0.0.1:${server.port}`, NGINX_ASSETS_ROOT: path.join(dir, 'html') }),
  );
  writeFileSync(path.join(dir, 'nginx.conf'), mainConfig(dir, serverConfig));
  // stdout and stderr go to a file, as a container runtime's log does: nginx reopens /dev/stdout for its
  // access log, which works for files and pipes but not for the sockets Node's 'pipe' would give it.
  logFile = path.join(dir, 'output.log');
  const output = openSync(logFile, 'a');
  nginx = spawn('/usr/sbin/nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', `daemon off; pid ${dir}/nginx.pid; error_log stderr warn;`], {
    stdio: ['ignore', output, output],
  });
  closeSync(output);
  url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`, nginx, nginxOutput);
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    // SIGTERM: fast shutdown (SIGQUIT, the pod's graceful quit, would wait for open WebSockets).
    nginx.kill('SIGTERM');
    await exited;
  }
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the template renders only with every variable given', () => {
  expect(() => renderTemplate(template, { NGINX_PORT: '8080' })).toThrow(/NGINX_UPSTREAM/);
  // nginx's own $variables are not touched.
  expect(renderTemplate(template, { NGINX_PORT: '1', NGINX_UPSTREAM: 'a:1', NGINX_ASSETS_ROOT: '/x' })).toContain('$http_upgrade');
});

test('/healthz is answered by nginx itself', async () => {
  const response = await fetch(`${url}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok' });
  // Node's answers carry helmet's headers; this one did not go to Node.
  expect(response.headers.get('content-security-policy')).toBeNull();
});

test('assets come from disk with long-lived cache headers; a missing one is a 404 from nginx', async () => {
  const response = await fetch(`${url}/assets/${assetName}`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe(assetBody);
  expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(response.headers.get('content-type')).toMatch(/javascript/);
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');

  const missing = await fetch(`${url}/assets/missing.0000.js`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(missing.headers.get('content-security-policy')).toBeNull();
});

test.each(compressibleAssets)('a $kind asset is gzipped for a client that accepts gzip, sent as it is to one that does not, Vary: Accept-Encoding on both', async ({ name, body }) => {
  const gzipped = await rawGet(`/assets/${name}`, { 'Accept-Encoding': 'gzip, deflate, br' });
  expect({ status: gzipped.status, encoding: gzipped.headers['content-encoding'], vary: gzipped.headers.vary }).toEqual({ status: 200, encoding: 'gzip', vary: 'Accept-Encoding' });
  expect(gunzipSync(gzipped.body).toString()).toBe(body);
  expect(gzipped.body.length).toBeLessThan(body.length / 2);
  expect(gzipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');

  for (const headers of [{}, { 'Accept-Encoding': 'identity' }] as Record<string, string>[]) {
    const plain = await rawGet(`/assets/${name}`, headers);
    expect({ headers, status: plain.status, encoding: plain.headers['content-encoding'], vary: plain.headers.vary }).toEqual({ headers, status: 200, encoding: undefined, vary: 'Accept-Encoding' });
    expect(plain.body.toString()).toBe(body);
  }
});

test('the smoke check the pipeline runs after a deploy passes through nginx: /readyz and a socket.io WebSocket upgrade', async () => {
  const { stdout } = await run('bash', [path.join(root, 'scripts/smoke.sh'), url]);
  expect(stdout).toContain('socket.io open packet received');
});

test("Node's /metrics is not served through nginx, but is on Node's own port", async () => {
  for (const variant of ['/metrics', '/metrics/', '/Metrics', '/metrics?x=1']) {
    const response = await fetch(`${url}${variant}`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('chat_');
  }
  const direct = await fetch(`${server.url}/metrics`);
  expect(direct.status).toBe(200);
  expect(await direct.text()).toContain('chat_messages_stored_total');
});

test('the API is proxied to Node, cookies and CSRF included', async () => {
  const response = await fetch(`${url}/api/session`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { csrfToken: string };
  expect(body.csrfToken).toEqual(expect.any(String));
  expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('chat.sid='))).toBe(true);
  // A write through the proxy: registration needs the session cookie and the CSRF token to survive the hop.
  const user = await register(url);
  expect(user.user.username).toMatch(/^user_/);
});

test('a socket.io WebSocket through nginx carries a message both ways', async () => {
  const { cookie } = await register(url);
  // The sender's answer comes back on its socket; the broadcast, on the user's other one (the sender's is left out).
  const [socket, otherTab]: [ChatSocket, ChatSocket] = await Promise.all([connectSocket(url, cookie), connectSocket(url, cookie)]);
  try {
    expect(socket.io.engine.transport.name).toBe('websocket');
    const clientId = randomUUID();
    const broadcast = nextEvent(otherTab, 'message:new', (message) => message.clientId === clientId);
    const stored = await requestData(socket, 'message:send', { room: 'general', clientId, body: 'through nginx' });
    expect(stored.body).toBe('through nginx');
    expect((await broadcast).id).toBe(stored.id);
  } finally {
    socket.close();
    otherTab.close();
  }
});

test('nginx logs requests as JSON lines without query strings', async () => {
  await fetch(`${url}/api/session?token=should-not-be-logged`);
  // The access log is written when the request completes; give the worker a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const log = nginxOutput();
  const lines = log.split('\n').filter((line) => line.startsWith('{'));
  const entries = lines.map((line) => JSON.parse(line) as { path: string; status: number });
  expect(entries).toContainEqual(expect.objectContaining({ path: '/api/session', status: 200 }));
  expect(log).not.toContain('should-not-be-logged');
});
