import { clientIdSchema, characterCount, historyQuerySchema, messageBodySchema, messagePayload, syncPayload, SYNC_MAX_ROOMS } from '../../node/server/messages/validation';
import { isSameOrigin } from '../../node/server/realtime/origin';
import { createRoomPayload, roomPayload } from '../../node/server/rooms/validation';
import { TokenBucket } from '../../node/server/realtime/token-bucket';

function firstIssue(result: { success: boolean; error?: { issues: { message: string }[] } }): string | undefined {
  return result.success ? undefined : result.error?.issues[0]?.message;
}

describe('message body', () => {
  it('is trimmed and kept otherwise as typed', () => {
    expect(messageBodySchema.parse('  <b>hi</b>\n')).toBe('<b>hi</b>');
    expect(messageBodySchema.parse("'); DROP TABLE messages;--")).toBe("'); DROP TABLE messages;--");
  });

  it('must have 1 to 4000 characters after trimming, counted as PostgreSQL counts them', () => {
    expect(firstIssue(messageBodySchema.safeParse(''))).toBe('message is empty');
    expect(firstIssue(messageBodySchema.safeParse(' \n\t '))).toBe('message is empty');
    expect(messageBodySchema.parse('x'.repeat(4000))).toHaveLength(4000);
    expect(firstIssue(messageBodySchema.safeParse('x'.repeat(4001)))).toBe('message is longer than 4000 characters');
    // 4000 emoji are 8000 UTF-16 units but 4000 characters.
    expect(characterCount('😀'.repeat(4000))).toBe(4000);
    expect(messageBodySchema.safeParse('😀'.repeat(4000)).success).toBe(true);
    expect(messageBodySchema.safeParse('😀'.repeat(4001)).success).toBe(false);
  });

  it('refuses what is not a string and NUL characters', () => {
    expect(firstIssue(messageBodySchema.safeParse(42))).toBe('expected the message text as a string');
    expect(firstIssue(messageBodySchema.safeParse({ toString: 'x' }))).toBe('expected the message text as a string');
    expect(firstIssue(messageBodySchema.safeParse('a\u0000b'))).toBe('message contains a NUL character');
  });
});

describe('client id', () => {
  it('has 1 to 64 characters', () => {
    expect(clientIdSchema.safeParse('c-1').success).toBe(true);
    expect(clientIdSchema.safeParse('').success).toBe(false);
    expect(clientIdSchema.safeParse('x'.repeat(64)).success).toBe(true);
    expect(clientIdSchema.safeParse('x'.repeat(65)).success).toBe(false);
    expect(clientIdSchema.safeParse(7).success).toBe(false);
  });
});

describe('history query', () => {
  it('accepts an optional before id and a limit of 1 to 100', () => {
    expect(historyQuerySchema.parse({})).toEqual({});
    expect(historyQuerySchema.parse({ before: '17', limit: '100' })).toEqual({ before: 17, limit: 100 });
    for (const bad of [{ before: '0' }, { before: '-1' }, { before: 'abc' }, { before: '1e3' }, { limit: '0' }, { limit: '101' }, { before: ['1', '2'] }]) {
      expect(historyQuerySchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('socket payloads', () => {
  it('must be objects', () => {
    for (const bad of [undefined, null, 'general', 5, () => undefined]) {
      expect(firstIssue(roomPayload.safeParse(bad))).toBe('expected an object payload');
      expect(firstIssue(messagePayload.safeParse(bad))).toBe('expected an object payload');
    }
  });

  it('name their problem', () => {
    expect(firstIssue(roomPayload.safeParse({}))).toBe('expected a room name');
    expect(firstIssue(roomPayload.safeParse({ name: 'Not A Room!' }))).toBe('expected a room name of 2-32 characters a-z 0-9 _ -, or a direct conversation key');
    expect(firstIssue(createRoomPayload.safeParse({ name: '@0123456789abcdef0123' }))).toBe('expected a room name of 2-32 characters a-z 0-9 _ -');
    expect(firstIssue(messagePayload.safeParse({ room: 'general', clientId: 'c', body: ['x'] }))).toBe('expected the message text as a string');
    expect(messagePayload.parse({ room: 'general', clientId: 'c', body: ' x ' })).toEqual({ room: 'general', clientId: 'c', body: ' x ' });
  });

  it('sync takes room names with message ids or what the client holds, and not too many rooms', () => {
    expect(syncPayload.parse({ rooms: { general: 5, other: 0 } })).toEqual({ rooms: { general: 5, other: 0 } });
    const held = { after: 9, from: 3, revision: 4 };
    expect(syncPayload.parse({ rooms: { general: held } })).toEqual({ rooms: { general: held } });
    expect(syncPayload.safeParse({ rooms: { general: { after: 9, from: 3 } } }).success).toBe(false);
    expect(syncPayload.safeParse({ rooms: { general: { ...held, revision: -1 } } }).success).toBe(false);
    expect(syncPayload.safeParse({ rooms: { general: -1 } }).success).toBe(false);
    expect(syncPayload.safeParse({ rooms: { general: 1.5 } }).success).toBe(false);
    expect(syncPayload.safeParse({ rooms: { 'NO SUCH': 1 } }).success).toBe(false);
    expect(syncPayload.safeParse({ rooms: [] }).success).toBe(false);
    const tooMany = Object.fromEntries(Array.from({ length: SYNC_MAX_ROOMS + 1 }, (_, i) => [`room-${i}`, 1]));
    expect(firstIssue(syncPayload.safeParse({ rooms: tooMany }))).toBe(`expected at most ${SYNC_MAX_ROOMS} rooms`);
  });
});

describe('same-origin check', () => {
  it('lets a page of this host in, and requests without Origin', () => {
    expect(isSameOrigin({ host: 'chat.example.org', origin: 'https://chat.example.org' }, false)).toBe(true);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' }, false)).toBe(true);
    expect(isSameOrigin({ host: 'chat.example.org:443', origin: 'https://chat.example.org' }, false)).toBe(true);
    expect(isSameOrigin({ host: 'chat.example.org' }, false)).toBe(true);
  });

  it('refuses other sites, other ports, null and odd schemes', () => {
    expect(isSameOrigin({ host: 'chat.example.org', origin: 'https://evil.example' }, false)).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9090' }, false)).toBe(false);
    expect(isSameOrigin({ host: 'chat.example.org', origin: 'null' }, false)).toBe(false);
    expect(isSameOrigin({ host: 'chat.example.org', origin: 'file://chat.example.org' }, false)).toBe(false);
    expect(isSameOrigin({ origin: 'https://chat.example.org' }, false)).toBe(false);
  });

  it('believes X-Forwarded-Host only behind a trusted proxy', () => {
    const headers = { host: 'app:8080', 'x-forwarded-host': 'chat.example.org, proxy', origin: 'https://chat.example.org' };
    expect(isSameOrigin(headers, true)).toBe(true);
    expect(isSameOrigin(headers, false)).toBe(false);
  });
});

describe('token bucket', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    // A long pause refills to the capacity, not beyond.
    now += 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });
});
