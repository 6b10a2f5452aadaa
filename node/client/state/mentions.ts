/** `@name` completion in the composer, as pure functions of the text and the caret. */
import type { PublicUser } from '../../shared/protocol';

/** Suggestions shown at once. */
export const MAX_SUGGESTIONS = 8;

/** An `@` being typed: where it is in the text and the (lower-cased) name prefix after it, up to the caret. */
export interface MentionQuery {
  at: number;
  prefix: string;
}

/** The `@prefix` just before the caret, if the caret is in one (as in node/shared/mentions.ts: not glued to a word). */
export function mentionQuery(text: string, caret: number): MentionQuery | null {
  const match = /(^|[^a-z0-9_@-])@([a-z0-9_-]{0,32})$/i.exec(text.slice(0, caret));
  if (!match) return null;
  return { at: match.index + (match[1] as string).length, prefix: (match[2] as string).toLowerCase() };
}

/** The members whose name starts with the prefix, by name, without the writer. */
export function suggestions(members: readonly PublicUser[], prefix: string, selfId: number): PublicUser[] {
  return members
    .filter((member) => member.id !== selfId && member.username.startsWith(prefix))
    .sort((a, b) => a.username.localeCompare(b.username))
    .slice(0, MAX_SUGGESTIONS);
}

/** The text with the `@prefix` at the query replaced by `@name ` (the prefix runs to the caret), and the caret after it. */
export function completeMention(text: string, query: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const rest = text.slice(caret).replace(/^ /, '');
  return { text: text.slice(0, query.at) + inserted + rest, caret: query.at + inserted.length };
}
