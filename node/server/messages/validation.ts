import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';

/** Length in characters (code points), as PostgreSQL's length() counts them: an emoji is one, not two. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _character of text) count += 1;
  return count;
}

/** The stored body is the trimmed text; its length limit applies after trimming. */
export const messageBodySchema = z
  .string({ error: 'expected the message text as a string' })
  .transform((text) => text.trim())
  .refine((text) => text.length > 0, 'message is empty')
  .refine((text) => characterCount(text) <= LIMITS.messageMaxLength, `message is longer than ${LIMITS.messageMaxLength} characters`)
  // PostgreSQL text cannot hold NUL; refusing it here gives a clear error instead of a failed insert.
  .refine((text) => !text.includes('\u0000'), 'message contains a NUL character');

export const clientIdSchema = z
  .string({ error: 'expected a client id string' })
  .min(1, 'client id is empty')
  .refine((id) => characterCount(id) <= LIMITS.clientIdMaxLength, `client id is longer than ${LIMITS.clientIdMaxLength} characters`)
  .refine((id) => !id.includes('\u0000'), 'client id contains a NUL character');

/** A message id as a cursor: positive, within PostgreSQL bigint range that JavaScript numbers hold exactly. */
export const messageIdSchema = z.coerce
  .number({ error: 'expected a message id' })
  .int('expected a whole message id')
  .min(0, 'expected a message id of 0 or more')
  .max(Number.MAX_SAFE_INTEGER, 'message id is too large');

/** Query string of GET /api/rooms/:name/messages. */
export const historyQuerySchema = z.object({
  before: z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, 'expected before= to be a message id')
    .transform(Number)
    .optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, `expected limit= to be a number from 1 to ${LIMITS.historyPageMax}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= LIMITS.historyPageMax, `expected limit= to be a number from 1 to ${LIMITS.historyPageMax}`)
    .optional(),
});

export const DEFAULT_HISTORY_PAGE = 50;
