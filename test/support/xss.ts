/**
 * XSS payloads for the message renderer (xss-payloads.json) and what "its text is shown" means for them.
 */
import fixture from './xss-payloads.json';

export const XSS_PAYLOADS: readonly string[] = fixture.payloads;

/** The elements the message renderer may write, each with the attributes it may have. */
export const RENDERED_ELEMENTS: Readonly<Record<string, readonly string[]>> = {
  p: [], ul: [], ol: ['start'], li: [], blockquote: [], pre: [], code: [], strong: [], em: [], s: [], a: ['href', 'target', 'rel'],
};

/**
 * The letters and digits of a text, with %XX escapes decoded first: what must survive rendering. Markdown may take
 * punctuation as syntax (`*` of emphasis, `\` of an escape, backticks of code) and a link shows its address
 * decoded, but no letter or digit that was typed may go missing or appear.
 */
export function lettersAndDigits(text: string): string {
  return text.replace(/%([0-9a-f]{2})/gi, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16))).replace(/[^\p{L}\p{N}]/gu, '');
}
