/**
 * A message body rendered from its Markdown tree (lib/markdown.ts) as React elements: every string goes in as a
 * text child, which React escapes, so nothing typed can become markup or an attribute other than a checked link.
 * Mentions are found in text nodes only, so an `@name` in code stays code.
 */
import { Fragment, memo, type ReactNode } from 'react';
import { MENTION_PATTERN } from '../../shared/mentions';
import { httpUrl, parseMessage, type MarkdownNode } from '../lib/markdown';

/** The new tab gets no handle on this page (`noopener`), no Referer (`noreferrer`), and no ranking from us (`nofollow`). */
export const LINK_REL = 'noopener noreferrer nofollow';

/** Who the message mentions (as the server resolved them) and who is reading it. */
interface MentionContext {
  mentions: readonly string[];
  selfName: string;
}

/**
 * Text with each `@name` the message mentions in a highlight (stronger for the reader's own name); an `@name` that
 * mentions nobody (not a member when it was sent) stays plain text.
 */
function renderText(text: string, { mentions, selfName }: MentionContext): ReactNode {
  if (mentions.length === 0) return text;
  const parts: ReactNode[] = [];
  let from = 0;
  for (const match of text.matchAll(MENTION_PATTERN)) {
    const name = (match[2] as string).toLowerCase();
    if (!mentions.includes(name)) continue;
    const at = match.index + (match[1] as string).length;
    parts.push(text.slice(from, at));
    const mention = text.slice(at, match.index + match[0].length);
    parts.push(
      <span key={at} className={name === selfName ? 'mention mention--self' : 'mention'}>
        {mention}
      </span>,
    );
    from = match.index + match[0].length;
  }
  parts.push(text.slice(from));
  return parts;
}

function renderNodes(nodes: readonly MarkdownNode[], context: MentionContext): ReactNode[] {
  return nodes.map((node, index) => renderNode(node, index, context));
}

function renderNode({ token, children }: MarkdownNode, key: number, context: MentionContext): ReactNode {
  const inner = renderNodes(children, context);
  switch (token.type) {
    case 'inline':
      // Its content is the source text its children were parsed from.
      return <Fragment key={key}>{inner}</Fragment>;
    case 'paragraph_open':
      // Items of a tight list hold their text in hidden paragraphs: no <p> of their own there.
      return token.hidden ? <Fragment key={key}>{inner}</Fragment> : <p key={key}>{inner}</p>;
    case 'bullet_list_open':
      return <ul key={key}>{inner}</ul>;
    case 'ordered_list_open':
      return (
        <ol key={key} start={Number(token.attrGet('start') ?? 1)}>
          {inner}
        </ol>
      );
    case 'list_item_open':
      return <li key={key}>{inner}</li>;
    case 'blockquote_open':
      return <blockquote key={key}>{inner}</blockquote>;
    case 'fence':
      return (
        <pre key={key}>
          <code>{token.content.replace(/\n$/, '')}</code>
        </pre>
      );
    case 'code_inline':
      return <code key={key}>{token.content}</code>;
    case 'strong_open':
      return <strong key={key}>{inner}</strong>;
    case 'em_open':
      return <em key={key}>{inner}</em>;
    case 's_open':
      return <s key={key}>{inner}</s>;
    case 'link_open': {
      // The parser already refuses other links; checked again here because this is where the href is written.
      const href = httpUrl(String(token.attrGet('href') ?? ''));
      if (href === null) return <Fragment key={key}>{inner}</Fragment>;
      return (
        <a key={key} href={href} target="_blank" rel={LINK_REL}>
          {inner}
        </a>
      );
    }
    case 'text':
      return <Fragment key={key}>{renderText(token.content, context)}</Fragment>;
    case 'softbreak':
    case 'hardbreak':
      // The body keeps line breaks (white-space: pre-wrap), as typed.
      return '\n';
    default:
      // Text, and anything without an element of its own, shows as text.
      return (
        <Fragment key={key}>
          {token.content}
          {inner}
        </Fragment>
      );
  }
}

const NO_MENTIONS: readonly string[] = [];

/** Parsed once per body: the list re-renders on every typing notice and message. */
export const MessageText = memo(function MessageText({ body, mentions = NO_MENTIONS, selfName = '' }: { body: string } & Partial<MentionContext>) {
  return <>{renderNodes(parseMessage(body), { mentions, selfName })}</>;
});
