/** What clients send about rooms: every handler parses its payload with one of these first. */
import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';
import { NOT_AN_OBJECT, storedMessageIdSchema } from '../validation';

export const roomNameSchema = z
  .string({ error: 'expected a room name' })
  .regex(LIMITS.roomNamePattern, 'expected a room name of 2-32 characters a-z 0-9 _ -');

export const roomPayload = z.object({ name: roomNameSchema }, { error: NOT_AN_OBJECT });

export const typingPayload = z.object({ room: roomNameSchema }, { error: NOT_AN_OBJECT });

export const markReadPayload = z.object({ room: roomNameSchema, messageId: storedMessageIdSchema }, { error: NOT_AN_OBJECT });

/** The JSON body of POST /api/rooms/:name/read. */
export const markReadRequestSchema = markReadPayload.pick({ messageId: true });
