/**
 * Safe highlighting. PostgreSQL's ts_headline marks the matched words (every form the query's words stand for)
 * with start and stop strings inside the message's own text; here the text is cut at those marks into plain parts,
 * so no client ever renders markup from the server. The marks are random for every search, so a message cannot
 * contain them and fake a highlight.
 */
import { randomBytes } from 'node:crypto';
import type { SnippetPart } from '../../shared/protocol';

export interface Markers {
  start: string;
  stop: string;
}

export const ELLIPSIS = '…';
/** A longer message is shown as this many characters around its first match. */
export const SNIPPET_LENGTH = 240;
/** Of which this many come before the match. */
const CONTEXT_BEFORE = 60;

/** Letters and digits only: ts_headline's option syntax then needs no quoting. */
export function newMarkers(): Markers {
  return { start: `S${randomBytes(12).toString('hex')}`, stop: `E${randomBytes(12).toString('hex')}` };
}

/**
 * Options for ts_headline: the markers around every match in the whole text. Its own fragment mode is not used
 * because it drops what its parser takes for HTML tags; the text is cut here instead.
 */
export function headlineOptions(markers: Markers): string {
  return `StartSel=${markers.start}, StopSel=${markers.stop}, HighlightAll=true`;
}

/** The marked text as parts; undefined when it is not the body with marks added (then nothing is highlighted). */
function partsOf(headline: string, body: string, markers: Markers): SnippetPart[] | undefined {
  const parts: SnippetPart[] = [];
  const add = (text: string, match: boolean) => {
    if (text.length > 0) parts.push({ text, match });
  };
  const [leading = '', ...marked] = headline.split(markers.start);
  add(leading, false);
  for (const piece of marked) {
    const [matched = '', rest, ...extra] = piece.split(markers.stop);
    if (rest === undefined || extra.length > 0) return undefined;
    add(matched, true);
    add(rest, false);
  }
  return parts.map((part) => part.text).join('') === body ? parts : undefined;
}

/** A cut that neither splits a surrogate pair nor, where there is a space nearby, a word. */
function boundary(text: string, at: number, direction: 1 | -1): number {
  if (at <= 0 || at >= text.length) return Math.max(0, Math.min(at, text.length));
  const space = direction === 1 ? text.indexOf(' ', at) : text.lastIndexOf(' ', at);
  const cut = space !== -1 && Math.abs(space - at) <= 20 ? space + (direction === 1 ? 1 : 0) : at;
  const code = text.charCodeAt(cut);
  return code >= 0xdc00 && code <= 0xdfff ? cut + direction : cut;
}

/** The parts of text[start, end). */
function slice(parts: SnippetPart[], start: number, end: number): SnippetPart[] {
  const sliced: SnippetPart[] = [];
  let offset = 0;
  for (const part of parts) {
    const from = Math.max(start, offset);
    const to = Math.min(end, offset + part.text.length);
    if (from < to) sliced.push({ text: part.text.slice(from - offset, to - offset), match: part.match });
    offset += part.text.length;
  }
  return sliced;
}

/**
 * The message's text as parts, matches marked: all of a short message; of a long one, SNIPPET_LENGTH characters
 * around its first match, with an ellipsis where text is left out.
 */
export function snippetOf(headline: string, body: string, markers: Markers): SnippetPart[] {
  const parts = partsOf(headline, body, markers) ?? [{ text: body, match: false }];
  if (body.length <= SNIPPET_LENGTH) return parts;
  let firstMatch = 0;
  for (const part of parts) {
    if (part.match) break;
    firstMatch += part.text.length;
  }
  if (firstMatch >= body.length) firstMatch = 0;
  const start = boundary(body, Math.max(0, Math.min(firstMatch - CONTEXT_BEFORE, body.length - SNIPPET_LENGTH)), 1);
  const end = boundary(body, start + SNIPPET_LENGTH, -1);
  return [
    ...(start > 0 ? [{ text: `${ELLIPSIS} `, match: false }] : []),
    ...slice(parts, start, end),
    ...(end < body.length ? [{ text: ` ${ELLIPSIS}`, match: false }] : []),
  ];
}
