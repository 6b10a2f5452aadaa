import { defaultAvatarSvg, escapeXml, usernameHue } from '../../node/server/avatars/default-svg';
import { sniffImageType } from '../../node/server/avatars/sniff';
import { AVATAR_KEY_PATTERN, mimeOfKey, newAvatarKey } from '../../node/server/avatars/storage';
import { JPEG_1PX, PNG_1PX, WEBP_1PX } from '../support/images';

describe('sniffImageType', () => {
  test.each([
    [PNG_1PX, 'image/png'],
    [JPEG_1PX, 'image/jpeg'],
    [WEBP_1PX, 'image/webp'],
  ])('recognises real images by their bytes', (bytes, mime) => {
    expect(sniffImageType(bytes)?.mime).toBe(mime);
  });

  test.each([
    ['text', Buffer.from('hello, I am a picture')],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')],
    ['a RIFF that is not WebP (WAV)', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')],
    ['a truncated PNG signature', PNG_1PX.subarray(0, 7)],
    ['nothing', Buffer.alloc(0)],
  ])('refuses %s', (_label, bytes) => {
    expect(sniffImageType(bytes)).toBeUndefined();
  });
});

describe('default SVG', () => {
  test('escapeXml escapes every character with a meaning in markup', () => {
    expect(escapeXml(`<a href="x" onclick='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });

  test('an HTML-ish name ends up as inert text in the SVG', () => {
    const svg = defaultAvatarSvg('"><script>alert(1)</script>');
    expect(svg).not.toMatch(/<script/i);
    expect(svg).toContain('aria-label="&#34;&#62;&#60;script&#62;');
    expect(svg).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(svg.match(/<svg /g)).toHaveLength(1);
  });

  test('the initial is upper case and the colour stable per name', () => {
    expect(defaultAvatarSvg('bob')).toContain('>B</text>');
    expect(usernameHue('bob')).toBe(usernameHue('bob'));
    expect(usernameHue('bob')).not.toBe(usernameHue('alice'));
  });
});

test('avatar keys: one unguessable path segment whose extension gives the type', () => {
  const key = newAvatarKey(42, { mime: 'image/webp', extension: 'webp' });
  expect(key).toMatch(AVATAR_KEY_PATTERN);
  expect(key.startsWith('42-')).toBe(true);
  expect(mimeOfKey(key)).toBe('image/webp');
  expect(AVATAR_KEY_PATTERN.test('../42-x.png')).toBe(false);
  expect(newAvatarKey(42, { mime: 'image/png', extension: 'png' })).not.toBe(newAvatarKey(42, { mime: 'image/png', extension: 'png' }));
});
