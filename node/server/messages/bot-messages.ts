import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';
import type { Config } from '../config';
import { asDomainError } from '../errors';
import { keepConnected, tieChannelToConnection } from '../events/connection';
import type { Logger } from '../logger';
import type { UserProfiles, UserRepository } from '../users';
import { roomNameSchema } from '../rooms';
import type { MessageService } from './service';
import { messageBodySchema } from './validation';

export const BOT_MESSAGE_ROUTING_KEY = 'bot.message';
const PREFETCH = 10;

/** What a bot publishes to have a message posted in a room. */
export const botMessageSchema = z.object({
  type: z.literal('bot.message'),
  id: z.uuid(),
  bot: z.string().regex(LIMITS.usernamePattern),
  room: roomNameSchema,
  text: messageBodySchema,
});
export type BotMessage = z.infer<typeof botMessageSchema>;

/** Parses a delivery; returns the reason when it is not a valid bot message. */
export function parseBotMessage(content: Buffer): { message: BotMessage } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    return { problem: 'not JSON' };
  }
  const result = botMessageSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { problem: `${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}` };
  }
  return { message: result.data };
}

class RejectedMessage extends Error {}

export interface BotMessageConsumer {
  stop(): Promise<void>;
}

/**
 * Takes chat messages from bots (the greeter) off AMQP_BOT_QUEUE and posts them like a user would:
 * stored through the same batching writer, then broadcast. The message id is the client id, so a redelivery does not post twice; a delivery is
 * acknowledged only after it is stored. Invalid ones are rejected without requeue (to the queue's dead-letter
 * exchange, if its owner configured one).
 */
export function startBotMessageConsumer(deps: {
  config: Config;
  logger: Logger;
  users: UserRepository;
  profiles: UserProfiles;
  messages: MessageService;
}): BotMessageConsumer {
  const { config, users, profiles, messages } = deps;
  const logger = deps.logger.child({ component: 'bot-messages' });

  async function handle(message: BotMessage): Promise<void> {
    const bot = await users.findByUsername(message.bot);
    if (!bot?.is_bot) throw new RejectedMessage(`no bot user named ${message.bot}`);
    try {
      await messages.send({ user: profiles.publicOf(bot), room: message.room, clientId: message.id, body: message.text }, 'bot');
    } catch (error) {
      // A room that does not exist will not start to: final. An outage or a shutdown may pass: tried again.
      const domain = asDomainError(error);
      if (domain && domain.code !== 'unavailable' && domain.code !== 'busy') throw new RejectedMessage(domain.message);
      throw error;
    }
  }

  async function onDelivery(channel: Channel, delivery: ConsumeMessage): Promise<void> {
    const parsed = parseBotMessage(delivery.content);
    if ('problem' in parsed) {
      logger.warn({ problem: parsed.problem, messageId: delivery.properties.messageId }, 'invalid bot message rejected');
      channel.nack(delivery, false, false);
      return;
    }
    try {
      await handle(parsed.message);
      channel.ack(delivery);
    } catch (error) {
      // One more try for what may be a passing fault (database restart); a second failure is final.
      const requeue = !(error instanceof RejectedMessage) && !delivery.fields.redelivered;
      logger.warn({ err: error, id: parsed.message.id, requeue }, 'bot message not posted');
      channel.nack(delivery, false, requeue);
    }
  }

  const link = keepConnected({
    uri: config.AMQP_URI,
    name: 'bot-consumer',
    logger,
    setup: async (connection: ChannelModel) => {
      const channel = tieChannelToConnection(await connection.createChannel(), connection, logger);
      await channel.prefetch(PREFETCH);
      await channel.assertExchange(config.AMQP_EXCHANGE, 'topic', { durable: true });
      await channel.assertQueue(config.AMQP_BOT_QUEUE, { durable: true });
      await channel.bindQueue(config.AMQP_BOT_QUEUE, config.AMQP_EXCHANGE, BOT_MESSAGE_ROUTING_KEY);
      await channel.consume(config.AMQP_BOT_QUEUE, (delivery) => {
        if (delivery) void onDelivery(channel, delivery);
      });
    },
  });

  return { stop: () => link.stop() };
}
