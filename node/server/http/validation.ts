import type { z } from 'zod';
import { HttpError } from './errors';

/** Parses a request body with a zod schema; the first problem becomes a 400 naming the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new HttpError(400, `${field}${issue?.message ?? 'invalid request'}`);
  }
  return result.data;
}
