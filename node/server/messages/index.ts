/** The messages module's public face, for the composition root. */
export { startBotMessageConsumer, type BotMessageConsumer } from './bot-messages';
export { MessageRepository } from './repository';
export { createMessagesRouter } from './router';
export { MessageService, type MessageAnnouncer } from './service';
export { registerMessageHandlers } from './socket';
export { characterCount, limitParameter, messageIdParameter, messageIdSchema } from './validation';
