import { z } from 'zod';
import { DomainError } from './errors';

/** Parses input with a zod schema; the first problem becomes an `invalid` error naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new DomainError('invalid', `${field}${issue?.message ?? 'invalid request'}`);
  }
  return result.data;
}

/** What a socket event gets when its payload is not an object at all. */
export const NOT_AN_OBJECT = 'expected an object payload';

/** A whole number within the PostgreSQL bigint range that JavaScript numbers hold exactly (message ids). */
export const wholeIdSchema = z.number({ error: 'expected a message id' }).int('expected a whole message id').max(Number.MAX_SAFE_INTEGER, 'message id is too large');

/** The id of a stored message (they start at 1). */
export const storedMessageIdSchema = wholeIdSchema.min(1, 'expected a message id of 1 or more');
