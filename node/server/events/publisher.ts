import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { Pool } from 'pg';
import type { Config } from '../config';
import { withTransaction } from '../db';
import type { Logger } from '../logger';
import { keepConnected, tieChannelToConnection } from './connection';

const BATCH_SIZE = 100;

interface OutboxRow {
  id: string;
  routing_key: string;
  payload: unknown;
}

export interface OutboxPublisher {
  /** Sends what waits in the outbox now (called after an event was committed). */
  kick(): void;
  /** Sends what can still be sent, then closes the connection. */
  stop(): Promise<void>;
}

/**
 * Publishes the outbox to the topic exchange through a confirm channel: a row is marked published only after
 * RabbitMQ confirmed it, so a broker outage delays events but loses none. Rows are locked with
 * FOR UPDATE SKIP LOCKED, so several replicas sweep the same table without sending an event twice.
 */
export function startOutboxPublisher(deps: { config: Config; db: Pool; logger: Logger }): OutboxPublisher {
  const { config, db } = deps;
  const logger = deps.logger.child({ component: 'outbox' });
  let channel: ConfirmChannel | undefined;
  let draining: Promise<void> | undefined;
  let again = false;

  const link = keepConnected({
    uri: config.AMQP_URI,
    name: 'publisher',
    logger,
    setup: async (connection: ChannelModel) => {
      const confirmChannel = tieChannelToConnection(await connection.createConfirmChannel(), connection, logger, () => {
        if (channel === confirmChannel) channel = undefined;
      });
      await confirmChannel.assertExchange(config.AMQP_EXCHANGE, 'topic', { durable: true });
      channel = confirmChannel;
      kick();
    },
  });

  /** One batch: lock, publish, wait for confirms, mark. Returns how many rows were sent. */
  async function publishBatch(target: ConfirmChannel): Promise<number> {
    return withTransaction(db, async (client) => {
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, routing_key, payload FROM event_outbox
          WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH_SIZE],
      );
      for (const row of rows) {
        target.publish(config.AMQP_EXCHANGE, row.routing_key, Buffer.from(JSON.stringify(row.payload)), {
          persistent: true,
          messageId: row.id,
          contentType: 'application/json',
          type: row.routing_key,
          timestamp: Math.floor(Date.now() / 1000),
        });
      }
      if (rows.length > 0) {
        await target.waitForConfirms();
        await client.query('UPDATE event_outbox SET published_at = now() WHERE id = ANY($1::uuid[])', [rows.map((row) => row.id)]);
      }
      return rows.length;
    });
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const target = channel;
        if (!target) return;
        let sent: number;
        try {
          sent = await publishBatch(target);
        } catch (error) {
          // Unconfirmed rows stay unpublished; they go out after the reconnect.
          logger.warn({ err: error }, 'outbox batch not published');
          return;
        }
        if (sent > 0) logger.info({ sent }, 'events published');
        if (sent < BATCH_SIZE) break;
      }
    } while (again);
  }

  function kick(): void {
    if (draining) {
      again = true;
      return;
    }
    draining = drain().finally(() => {
      draining = undefined;
    });
  }

  const sweep = setInterval(kick, config.OUTBOX_POLL_INTERVAL * 1000);
  sweep.unref();

  return {
    kick,
    stop: async () => {
      clearInterval(sweep);
      await draining;
      // A last chance for events committed by requests that finished during shutdown.
      kick();
      await draining;
      channel = undefined;
      await link.stop();
    },
  };
}
