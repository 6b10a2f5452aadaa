/** The message use cases on a test database, without the server: the service with its batching writer. */
import type { Pool } from 'pg';
import { loadConfig } from '../../node/server/config';
import { MessageRepository, MessageService, MessageWriter, type MessageAnnouncer, type MessageWriterSettings } from '../../node/server/messages';
import type { RoomService } from '../../node/server/rooms';
import { messageWriterSettings } from '../../node/server/services';
import { UserProfiles } from '../../node/server/users';
import type { ChatMessage } from '../../node/shared/protocol';

export const profiles = new UserProfiles('/avatars/');

/** The server's defaults, from its configuration (config.ts). */
export const WRITER_DEFAULTS: MessageWriterSettings = messageWriterSettings(loadConfig({ NODE_ENV: 'test' }));

/** Stands where socket.io would announce stored messages, and keeps what it was told. */
export function recordingAnnouncer(): MessageAnnouncer & { announced: ChatMessage[] } {
  const announced: ChatMessage[] = [];
  const record = (message: ChatMessage) => announced.push(message);
  return { announced, isClosing: () => false, messageCreated: record, messageUpdated: record, messageDeleted: record };
}

export function createMessageService(
  db: Pool,
  rooms: RoomService,
  announcer: MessageAnnouncer,
  settings: Partial<MessageWriterSettings> = {},
): { messages: MessageService; writer: MessageWriter; repository: MessageRepository } {
  const repository = new MessageRepository(db, profiles);
  const writer = new MessageWriter(repository, { ...WRITER_DEFAULTS, ...settings });
  return { messages: new MessageService(repository, writer, rooms, announcer), writer, repository };
}
