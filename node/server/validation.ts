import type { z } from 'zod';
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
