/**
 * The Markdown subset of messages, parsed by markdown-it: bold, italic, strikethrough, inline code, fenced code
 * blocks, quotes, lists and http(s) links. It starts from markdown-it's "zero" preset (nothing enabled) and turns on
 * only those rules, so everything else (headings, images, tables, rules, link references, entities, raw HTML)
 * is never parsed and stays the plain text that was typed. The result is a tree of markdown-it tokens that
 * components/MessageText.tsx maps to React elements; no HTML string is ever produced.
 */
import MarkdownIt from 'markdown-it';

type Token = MarkdownIt.Token;

/** A markdown-it token with what it contains: the tokens between an `_open` and its `_close`, or an inline token's children. */
export interface MarkdownNode {
  token: Token;
  children: MarkdownNode[];
}

/**
 * The one link rule: an absolute http: or https: URL, returned as the URL parser writes it; anything else
 * (javascript:, data:, vbscript:, file:, mailto:, relative, protocol-relative, …) gives null.
 * The prefix test comes first because `new URL` alone would accept schemes we refuse.
 */
export function httpUrl(href: string): string | null {
  if (!/^https?:\/\//i.test(href)) return null;
  try {
    const url = new URL(href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

const BLOCK_RULES = ['paragraph', 'blockquote', 'list', 'fence'];
/** `newline` keeps line breaks, `escape` lets people write a literal `*`; `linkify` (inline) finds bare URLs. */
const INLINE_RULES = ['text', 'newline', 'escape', 'backticks', 'strikethrough', 'emphasis', 'link', 'autolink', 'linkify'];

function createParser() {
  const parser = new MarkdownIt('zero', { html: false, linkify: true, typographer: false });
  parser.enable([...BLOCK_RULES, ...INLINE_RULES, 'linkify']);
  // Bare links only with a scheme (no "example.com"), and of the schemes linkify knows only http(s).
  parser.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
  for (const schema of ['ftp:', 'mailto:', '//']) parser.linkify.add(schema, null);
  // markdown-it asks this of every link it finds: a refused one is not a link at all and stays text as typed.
  parser.validateLink = (url) => httpUrl(url) !== null;
  // Without the image rule, `![alt](url)` would be a "!" and a link; taking `![` as text leaves the rest as typed.
  parser.inline.ruler.before('link', 'image_as_text', (state, silent) => {
    if (!state.src.startsWith('![', state.pos)) return false;
    if (!silent) state.pending += '![';
    state.pos += 2;
    return true;
  });
  return parser;
}

const parser = createParser();

/** Nests markdown-it's flat token stream: `_open` … `_close` pairs become one node with children. */
function nest(tokens: readonly Token[]): MarkdownNode[] {
  const root: MarkdownNode[] = [];
  const open: MarkdownNode[][] = [root];
  for (const token of tokens) {
    const siblings = open.at(-1) ?? root;
    if (token.nesting === -1) {
      if (open.length > 1) open.pop();
      continue;
    }
    const node: MarkdownNode = { token, children: token.children ? nest(token.children) : [] };
    siblings.push(node);
    if (token.nesting === 1) open.push(node.children);
  }
  return root;
}

/** A message body as a tree of Markdown nodes. */
export function parseMessage(body: string): MarkdownNode[] {
  return nest(parser.parse(body, {}));
}

/** A message body as plain text, without its Markdown marks (a notification's excerpt): the text of every node, in order. */
export function plainText(body: string): string {
  const textOf = (nodes: readonly MarkdownNode[]): string =>
    nodes
      .map(({ token, children }) => {
        if (token.type === 'softbreak' || token.type === 'hardbreak') return ' ';
        if (token.type === 'text' || token.type === 'code_inline' || token.type === 'fence') return token.content;
        return textOf(children) + (token.block && token.nesting === 1 ? ' ' : '');
      })
      .join('');
  return textOf(parseMessage(body)).replace(/\s+/g, ' ').trim();
}
