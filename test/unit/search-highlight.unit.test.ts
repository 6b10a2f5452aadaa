import { headlineOptions, newMarkers, SNIPPET_LENGTH, snippetOf, type Markers } from '../../node/server/search/highlight';

const markers: Markers = { start: 'S1', stop: 'E1' };
const mark = (word: string) => `${markers.start}${word}${markers.stop}`;

test('the marked text becomes plain parts, matches flagged, and nothing else changes', () => {
  const body = '<b>deploy</b> & deploying';
  expect(snippetOf(`<b>${mark('deploy')}</b> & ${mark('deploying')}`, body, markers)).toEqual([
    { text: '<b>', match: false },
    { text: 'deploy', match: true },
    { text: '</b> & ', match: false },
    { text: 'deploying', match: true },
  ]);
});

test('a headline that is not the body with marks added highlights nothing rather than show other text', () => {
  expect(snippetOf(`${mark('deploy')} changed`, 'deploy', markers)).toEqual([{ text: 'deploy', match: false }]);
  expect(snippetOf(`${markers.start}deploy`, 'deploy', markers)).toEqual([{ text: 'deploy', match: false }]);
});

test('every search gets new markers that ts_headline takes without quoting', () => {
  const [first, second] = [newMarkers(), newMarkers()];
  expect(first.start).not.toBe(second.start);
  expect(first.start).toMatch(/^[A-Za-z0-9]{20,}$/);
  expect(first.stop).toMatch(/^[A-Za-z0-9]{20,}$/);
  expect(headlineOptions(first)).toBe(`StartSel=${first.start}, StopSel=${first.stop}, HighlightAll=true`);
});

test('a long message is cut around its first match at spaces, with an ellipsis on each cut side', () => {
  const before = Array.from({ length: 80 }, (_, index) => `w${index}`).join(' ');
  const after = Array.from({ length: 80 }, (_, index) => `v${index}`).join(' ');
  const body = `${before} kraken ${after}`;
  const parts = snippetOf(`${before} ${mark('kraken')} ${after}`, body, markers);
  const text = parts.map((part) => part.text).join('');
  expect(parts[0]).toEqual({ text: '… ', match: false });
  expect(parts.at(-1)).toEqual({ text: ' …', match: false });
  expect(parts.filter((part) => part.match)).toEqual([{ text: 'kraken', match: true }]);
  expect(text.length).toBeLessThanOrEqual(SNIPPET_LENGTH + 4);
  // Cut between words, and what is shown is the body's own text.
  expect(body).toContain(text.slice(2, -2));
  expect(text.slice(2, -2)).toMatch(/^w\d+ .* v\d+$/);
});

test('a cut never splits an emoji', () => {
  const body = '😀'.repeat(SNIPPET_LENGTH);
  const text = snippetOf(body, body, markers)
    .map((part) => part.text)
    .join('');
  expect(text.endsWith(' …')).toBe(true);
  expect(text.slice(0, -2)).toBe('😀'.repeat(SNIPPET_LENGTH / 2));
});
