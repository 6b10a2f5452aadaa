/**
 * `@name` mentions, as the server resolves them and the client highlights them. A mention is `@` and a username
 * (any case) that is not glued to a word before it (an e-mail address mentions nobody) nor runs on after it.
 */

/** Username characters, as in limits.json's usernamePattern. */
const NAME = '[a-z0-9_-]';

/** Global: use with matchAll or replace. Group 1 is what precedes the `@` (empty at the start), group 2 the name. */
export const MENTION_PATTERN = new RegExp(`(^|[^a-z0-9_@-])@(${NAME}{3,32})(?!${NAME})`, 'gi');

/** The names mentioned in plain text, lower-cased, each once, in order of first mention. */
export function mentionedNames(text: string): string[] {
  return [...new Set([...text.matchAll(MENTION_PATTERN)].map((match) => (match[2] as string).toLowerCase()))];
}

/**
 * Fenced code blocks (to their closing fence or the end of the message, as the client's Markdown parser takes them)
 * and backtick code spans: `@name` written there is code, not a mention.
 */
const CODE = /^ {0,3}(`{3,}|~{3,})[^\n]*\n?[\s\S]*?(?:\n {0,3}\1[`~]*[ \t]*(?=\n|$)|$(?![\s\S]))|(`+)(?!`)[\s\S]*?[^`]\2(?!`)/gm;

/** The names a message body mentions outside code, lower-cased, each once: who the server looks for among the room's members. */
export function mentionCandidates(body: string): string[] {
  return mentionedNames(body.replace(CODE, ' '));
}
