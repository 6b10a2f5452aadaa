/**
 * scripts/smoke.sh, the check the pipeline's smoke jobs run after every deploy, against the real chat server:
 * it passes when the server is ready and upgrades socket.io to a WebSocket, and fails when either is not so
 * (a server that lost Redis; a proxy in front of it that drops WebSocket upgrades, as a misconfigured
 * ingress would).
 */
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../support/server';
import { createTcpGate } from '../support/tcp-gate';
import { ROOT } from './werf-config';

const run = promisify(execFile);
const SMOKE = path.join(ROOT, 'scripts/smoke.sh');

async function smoke(url: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('bash', [SMOKE, url]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A reverse proxy that passes plain HTTP requests on and answers 400 to every upgrade. */
async function proxyWithoutUpgrades(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer((incoming, outgoing) => {
    const forwarded = request(new URL(incoming.url ?? '/', target), { method: incoming.method, headers: incoming.headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    incoming.pipe(forwarded);
  });
  server.on('upgrade', (_incoming, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.stop();
});

test('passes against a ready server that upgrades socket.io to a WebSocket (a trailing slash in the URL is fine)', async () => {
  const result = await smoke(`${server.url}/`);
  expect(result).toEqual({ code: 0, stdout: expect.stringContaining('socket.io open packet received'), stderr: '' });
  expect(result.stdout).toContain('"status":"ok"');
});

test('fails when /readyz does not answer 200', async () => {
  // A server whose Redis goes away after the start (through a gate the test closes): /readyz answers 503.
  const gate = await createTcpGate(6379);
  await gate.open();
  const withoutRedis = await startTestServer({ SESSION_REDIS: `redis://127.0.0.1:${gate.port}/0` });
  try {
    await gate.close();
    const result = await smoke(withoutRedis.url);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/error: 503/);
    // It stops at the first failure.
    expect(result.stdout).not.toContain('WebSocket upgrade');
  } finally {
    await withoutRedis.stop();
    await gate.close();
  }
});

test('fails when the WebSocket upgrade is refused on the way, although /readyz passes', async () => {
  const proxy = await proxyWithoutUpgrades(server.url);
  try {
    const result = await smoke(proxy.url);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('"status":"ok"');
    expect(result.stderr).toContain('the WebSocket upgrade got HTTP 400, not 101');
  } finally {
    proxy.server.close();
  }
});
