/** What clients send about rooms: every handler parses its payload with one of these first. */
import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';
import { NOT_AN_OBJECT, storedMessageIdSchema } from '../validation';

/** A name people choose for a room (public or private). */
export const roomNameSchema = z
  .string({ error: 'expected a room name' })
  .regex(LIMITS.roomNamePattern, 'expected a room name of 2-32 characters a-z 0-9 _ -');

/** Any conversation's protocol key: a room's name, or a direct conversation's '@…' key. */
export const conversationNameSchema = z
  .string({ error: 'expected a room name' })
  .refine(
    (name) => LIMITS.roomNamePattern.test(name) || LIMITS.directNamePattern.test(name),
    'expected a room name of 2-32 characters a-z 0-9 _ -, or a direct conversation key',
  );

/** A user's id, as JSON numbers carry it. */
export const userIdSchema = z.number({ error: 'expected a user id' }).int('expected a whole user id').min(1, 'expected a user id of 1 or more').max(Number.MAX_SAFE_INTEGER, 'user id is too large');

/** A user id written in a URL path. */
export const userIdParamSchema = z.string().regex(/^[0-9]{1,16}$/, 'expected the user id as a whole number of 1 or more').transform(Number).pipe(userIdSchema);

export const createRoomPayload = z.object(
  { name: roomNameSchema, private: z.boolean({ error: 'expected private to be true or false' }).optional() },
  { error: NOT_AN_OBJECT },
);

export const roomPayload = z.object({ name: conversationNameSchema }, { error: NOT_AN_OBJECT });

export const memberPayload = z.object({ name: conversationNameSchema, userId: userIdSchema }, { error: NOT_AN_OBJECT });

/** The REST invitation's JSON body. */
export const inviteRequestSchema = memberPayload.pick({ userId: true });

export const startDirectPayload = z.object(
  {
    userIds: z
      .array(userIdSchema, { error: 'expected userIds as a list of user ids' })
      .min(1, 'expected at least one user id')
      // Repeats and the starter are dropped afterwards; a list longer than this is not a real client.
      .max(LIMITS.directMaxPeople * 2, `expected at most ${LIMITS.directMaxPeople * 2} user ids`),
  },
  { error: NOT_AN_OBJECT },
);

export const typingPayload = z.object({ room: conversationNameSchema }, { error: NOT_AN_OBJECT });

export const markReadPayload = z.object({ room: conversationNameSchema, messageId: storedMessageIdSchema }, { error: NOT_AN_OBJECT });

/** The JSON body of POST /api/rooms/:name/read. */
export const markReadRequestSchema = markReadPayload.pick({ messageId: true });
