/**
 * What the browser test needs around the real server: a fresh client build, Debian's chromium
 * through playwright-core, and a small valid PNG made on the spot.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync, crc32 } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { ROOT } from '../support/resources';

const run = promisify(execFile);

/** Everything the client bundle is made from. */
const CLIENT_SOURCES = [path.join(ROOT, 'node/client'), path.join(ROOT, 'node/shared'), path.join(ROOT, 'webpack.config.js')];

function newestModification(target: string): number {
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(target).reduce((newest, entry) => Math.max(newest, newestModification(path.join(target, entry))), stats.mtimeMs);
}

/** Runs the production build (`npx webpack --mode production`) unless dist/ is newer than every client source. */
export async function ensureClientBuild(): Promise<void> {
  const page = path.join(ROOT, 'dist/index.html');
  if (existsSync(page) && statSync(page).mtimeMs >= Math.max(...CLIENT_SOURCES.map(newestModification))) return;
  await run(path.join(ROOT, 'node_modules/.bin/webpack'), ['--mode', 'production'], { cwd: ROOT });
}

/**
 * Debian's chromium, headless. The background-networking flags keep it from calling Google's hosts,
 * which this machine's closed network refuses; playwright gives every launch a fresh, empty profile
 * directory of its own (it refuses a --user-data-dir argument).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid size×size PNG (8-bit RGB): a diagonal split of two colours, so it is visibly not a default avatar. */
export function makePng(size: number, [r1, g1, b1]: [number, number, number], [r2, g2, b2]: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  // compression, filter and interlace methods stay 0
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 3); // leading 0: filter type None
    for (let x = 0; x < size; x += 1) row.set(x > y ? [r1, g1, b1] : [r2, g2, b2], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
