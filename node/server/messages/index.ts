/** The messages module's public face, for the composition root. */
export { startBotMessageConsumer, type BotMessageConsumer } from './bot-messages';
export { MessageRepository } from './repository';
export { createMessagesRouter } from './router';
export { MessageService, type MessageAnnouncer, type NewMessage, type PostingRight } from './service';
export { MessageWriter, type MessageWriterObserver, type MessageWriterSettings } from './writer';
export { registerMessageHandlers } from './socket';
export { limitParameter, messageIdParameter, messageIdSchema, typedTextSchema } from './validation';
