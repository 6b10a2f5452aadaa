import { csrfTokenMatches, newCsrfToken } from '../../node/server/auth/csrf';
import { loggableError } from '../../node/server/logger';
import { cdnOrigin } from '../../node/server/http/security';
import { backoffDelay, withHeartbeat } from '../../node/server/events/connection';
import { parseBotMessage } from '../../node/server/messages/bot-messages';

describe('CSRF token check', () => {
  const token = newCsrfToken();

  test('only the exact token matches', () => {
    expect(csrfTokenMatches(token, token)).toBe(true);
    expect(csrfTokenMatches(token, `${token}x`)).toBe(false);
    expect(csrfTokenMatches(token, token.slice(1))).toBe(false);
    expect(csrfTokenMatches(token, token.toUpperCase())).toBe(token === token.toUpperCase());
  });

  test('a missing side never matches, not even two missing sides', () => {
    expect(csrfTokenMatches(undefined, undefined)).toBe(false);
    expect(csrfTokenMatches('', '')).toBe(false);
    expect(csrfTokenMatches(token, undefined)).toBe(false);
    expect(csrfTokenMatches(undefined, token)).toBe(false);
    expect(csrfTokenMatches(token, [token])).toBe(false);
  });

  test('tokens are long and fresh', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newCsrfToken()).not.toBe(token);
  });
});

test('the CSP allows images from an absolute CDN_PREFIX origin only', () => {
  expect(cdnOrigin('https://cdn.example.com/chat-avatars/')).toBe('https://cdn.example.com');
  expect(cdnOrigin('/avatars/')).toBeUndefined();
});

test('reconnect backoff grows, is capped and jittered', () => {
  expect(backoffDelay(0, () => 0)).toBe(250);
  expect(backoffDelay(0, () => 1)).toBe(500);
  expect(backoffDelay(3, () => 1)).toBe(4000);
  expect(backoffDelay(20, () => 1)).toBe(10_000);
});

test('the AMQP URI gets a heartbeat unless it has one', () => {
  expect(withHeartbeat('amqp://guest:guest@127.0.0.1:5672/vhost')).toBe('amqp://guest:guest@127.0.0.1:5672/vhost?heartbeat=15');
  expect(withHeartbeat('amqp://h/?heartbeat=5')).toBe('amqp://h/?heartbeat=5');
});

describe('bot messages', () => {
  const valid = { type: 'bot.message', id: '0b6f3b1e-8a4c-4a59-9d5e-2f0c6d1f4a11', bot: 'greeter', room: 'general', text: 'Welcome, alice!' };
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

  test('a valid message parses', () => {
    expect(parseBotMessage(encode(valid))).toEqual({ message: valid });
  });

  test('the text is counted in characters like a person\'s message: 4,000 emoji pass, 4,001 do not', () => {
    // 4,000 emoji are 8,000 UTF-16 units: a limit counted in units would refuse what a person may send.
    const longest = { ...valid, text: '😀'.repeat(4000) };
    expect(parseBotMessage(encode(longest))).toEqual({ message: longest });
    expect(parseBotMessage(encode({ ...valid, text: '😀'.repeat(4001) }))).toEqual({ problem: 'text: message is longer than 4000 characters' });
  });

  test.each([
    ['broken JSON', Buffer.from('{"type": "bot.')],
    ['an unknown type', encode({ ...valid, type: 'user.login' })],
    ['a non-uuid id', encode({ ...valid, id: '42' })],
    ['an empty text', encode({ ...valid, text: '   ' })],
    ['an oversize text', encode({ ...valid, text: 'x'.repeat(4001) })],
    ['a bad room name', encode({ ...valid, room: 'General Room' })],
  ])('%s is a problem, not an exception', (_label, content) => {
    expect(parseBotMessage(content)).toEqual({ problem: expect.any(String) });
  });
});

test('an unexpected error is logged without fields that may quote a row (PostgreSQL detail)', () => {
  const error = Object.assign(new Error('new row for relation "users" violates check constraint'), {
    code: '23514',
    detail: 'Failing row contains (1, alice, alice@example.com, $argon2id$v=19$...).',
  });
  const logged = loggableError(error);
  expect(logged).toMatchObject({ type: 'Error', message: error.message, code: '23514' });
  expect(JSON.stringify(logged)).not.toContain('alice@example.com');
  expect(loggableError('plain')).toEqual({ message: 'plain' });
});
