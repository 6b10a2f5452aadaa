/**
 * Browser notifications for messages that call for the reader while the tab is hidden. Permission is asked only from
 * a click (askPermission), never on page load: browsers ignore or penalise a prompt nobody asked for.
 */
import type { ChatMessage, PublicUser, RoomSummary } from '../../shared/protocol';
import { plainText } from './markdown';

/** Characters of the message's text in a notification. */
const EXCERPT_LENGTH = 140;

/** What the notification rules need of the message's conversation (undefined: not in the sidebar yet). */
type Conversation = Pick<RoomSummary, 'kind'> | undefined;

/** Whether an arriving message notifies its reader: when it mentions them, or when it is a direct message to them. */
export function notifies(message: ChatMessage, self: PublicUser, conversation: Conversation): boolean {
  if (message.user.id === self.id || message.deletedAt !== null) return false;
  return conversation?.kind === 'direct' || message.mentions.includes(self.username);
}

/** Title and body of the notification for a message: a direct message is titled by its sender alone. */
export function notificationText(message: ChatMessage, conversation: Conversation): { title: string; body: string } {
  const text = plainText(message.body);
  const body = text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 1)}…` : text;
  const title = conversation?.kind === 'direct' ? message.user.username : `${message.user.username} in #${message.room}`;
  return { title, body };
}

/** Whether this browser has notifications and the reader has not answered the question yet (so a button may ask). */
export function canAskPermission(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'default';
}

export async function askPermission(): Promise<NotificationPermission> {
  return Notification.requestPermission();
}

/** Shows the notification if the reader allowed them; clicking it brings the tab forward. */
export function showNotification(message: ChatMessage, conversation: Conversation): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const { title, body } = notificationText(message, conversation);
  // The tag keeps one notification per message, should it arrive twice (a reconnect).
  const notification = new Notification(title, { body, tag: `message-${message.id}` });
  notification.onclick = () => window.focus();
}
