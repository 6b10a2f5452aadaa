/**
 * Safe highlighting. PostgreSQL's ts_headline marks the matched words with start and stop strings inside the
 * message's own text; here the text is cut at those marks into plain parts, so no client ever renders markup from
 * the server. The marks are random for every search, so a message cannot contain them and fake a highlight.
 */
import { randomBytes } from 'node:crypto';
import type { SnippetPart } from '../../shared/protocol';

export interface Markers {
  start: string;
  stop: string;
}

export const ELLIPSIS = '…';

/** Letters and digits only: ts_headline's option syntax then needs no quoting. */
export function newMarkers(): Markers {
  return { start: `S${randomBytes(12).toString('hex')}`, stop: `E${randomBytes(12).toString('hex')}` };
}

/**
 * Options for ts_headline: the markers, up to two fragments of a long message (joined by an ellipsis), and the
 * whole text of a short one.
 */
export function headlineOptions(markers: Markers): string {
  return `StartSel=${markers.start}, StopSel=${markers.stop}, MaxFragments=2, MaxWords=24, MinWords=8, FragmentDelimiter=" ${ELLIPSIS} "`;
}

/** The marked headline as parts; an ellipsis stands before or after it when it leaves out the body's start or end. */
export function snippetOf(headline: string, body: string, markers: Markers): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const add = (text: string, match: boolean) => {
    if (text.length > 0) parts.push({ text, match });
  };
  const [leading = '', ...marked] = headline.split(markers.start);
  add(leading, false);
  for (const piece of marked) {
    const stop = piece.indexOf(markers.stop);
    if (stop === -1) {
      add(piece, false);
      continue;
    }
    add(piece.slice(0, stop), true);
    add(piece.slice(stop + markers.stop.length), false);
  }
  const plain = parts.map((part) => part.text).join('');
  const start = plain.split(` ${ELLIPSIS} `)[0] ?? '';
  const end = plain.split(` ${ELLIPSIS} `).at(-1) ?? '';
  if (!body.startsWith(start)) parts.unshift({ text: `${ELLIPSIS} `, match: false });
  if (!body.endsWith(end)) parts.push({ text: ` ${ELLIPSIS}`, match: false });
  return parts;
}
