import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';

/** The events other services consume (the greeter bot, the welcome e-mail worker). */
export interface UserEvent {
  type: 'user.login' | 'user.registered';
  id: string;
  userId: number;
  username: string;
  email: string;
  at: string;
}

export function userEvent(type: UserEvent['type'], user: { id: number | string; username: string; email: string }): UserEvent {
  return { type, id: randomUUID(), userId: Number(user.id), username: user.username, email: user.email, at: new Date().toISOString() };
}

/**
 * Stores an event in the outbox, in the caller's transaction when given one, so that an event exists
 * exactly when the change it reports was committed. The publisher sends it when RabbitMQ is reachable.
 */
export async function enqueueEvent(db: Pool | PoolClient, event: UserEvent): Promise<void> {
  await db.query('INSERT INTO event_outbox (id, routing_key, payload) VALUES ($1, $2, $3)', [event.id, event.type, JSON.stringify(event)]);
}
