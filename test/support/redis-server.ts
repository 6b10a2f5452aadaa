/**
 * A private redis-server on a free port, for tests that stop and restart Redis without touching the shared one.
 * It saves to its own folder when stopped and loads it when started again, as a Redis restarted for an upgrade
 * does: sessions and the socket.io stream survive the restart, only the connections do not.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './tcp-gate';

export interface PrivateRedis {
  url: string;
  start(): Promise<void>;
  /** SIGTERM: Redis saves its data, closes every connection and exits. */
  stop(): Promise<void>;
  /** Stops it if it runs and deletes its folder. */
  remove(): Promise<void>;
}

export async function createPrivateRedis(): Promise<PrivateRedis> {
  const [port, directory] = await Promise.all([freePort(), mkdtemp(path.join(tmpdir(), 'chat-redis-'))]);
  let server: ChildProcess | undefined;

  async function start(): Promise<void> {
    // A save point makes a stopping Redis save, and a starting one load what it saved.
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '3600 1', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
    });
  }

  async function stop(): Promise<void> {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  return {
    url: `redis://127.0.0.1:${port}/0`,
    start,
    stop,
    remove: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
