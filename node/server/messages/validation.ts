/** The one definition of what a message, its ids and the message events may hold: sockets, REST and bots use these. */
import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';
import { conversationNameSchema } from '../rooms';
import { NOT_AN_OBJECT, storedMessageIdSchema, wholeIdSchema } from '../validation';

/** Length in characters (code points), as PostgreSQL's length() counts them: an emoji is one, not two. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _character of text) count += 1;
  return count;
}

/**
 * Text as people type it (a message, a search), taken trimmed: not empty, at most `maxLength` characters after
 * trimming, and without NUL, which PostgreSQL text cannot hold (a clear error instead of a failed statement).
 */
export function typedTextSchema({ noun, notAString, empty, maxLength }: { noun: string; notAString: string; empty: string; maxLength: number }) {
  return z
    .string({ error: notAString })
    .transform((text) => text.trim())
    .refine((text) => text.length > 0, empty)
    .refine((text) => characterCount(text) <= maxLength, `${noun} is longer than ${maxLength} characters`)
    .refine((text) => !text.includes('\u0000'), `${noun} contains a NUL character`);
}

/** The stored body is the trimmed text. */
export const messageBodySchema = typedTextSchema({
  noun: 'message',
  notAString: 'expected the message text as a string',
  empty: 'message is empty',
  maxLength: LIMITS.messageMaxLength,
});

export const clientIdSchema = z
  .string({ error: 'expected a client id string' })
  .min(1, 'client id is empty')
  .refine((id) => characterCount(id) <= LIMITS.clientIdMaxLength, `client id is longer than ${LIMITS.clientIdMaxLength} characters`)
  .refine((id) => !id.includes('\u0000'), 'client id contains a NUL character');

/** A message id, where 0 stands for "none yet" (a sync from a client that holds no message of a room). */
export const messageIdSchema = wholeIdSchema.min(0, 'expected a message id of 0 or more');

/** A stored message's id written in a URL (a path segment or a query parameter). */
const messageIdTextSchema = (problem: string) => z.string().regex(/^[0-9]{1,16}$/, problem).transform(Number).pipe(messageIdSchema.min(1, problem));

/** A message id in a query string (`before=`, `around=`). */
export function messageIdParameter(name: string) {
  return messageIdTextSchema(`expected ${name}= to be a message id`);
}

/** A page size in a query string: a number from 1 to `max`. */
export function limitParameter(max: number) {
  const problem = `expected limit= to be a number from 1 to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,4}$/, problem)
    .transform(Number)
    .refine((n) => n >= 1 && n <= max, problem);
}

/**
 * Query string of GET /api/rooms/:name/messages: a page older than `before=`, or the window `around=` a message
 * (`limit=` on each side then, at most LIMITS.aroundMax).
 */
export const historyQuerySchema = z
  .object({
    before: messageIdParameter('before').optional(),
    around: messageIdParameter('around').optional(),
    limit: limitParameter(LIMITS.historyPageMax).optional(),
  })
  .refine((query) => query.before === undefined || query.around === undefined, 'expected before= or around=, not both')
  .refine((query) => query.around === undefined || query.limit === undefined || query.limit <= LIMITS.aroundMax, {
    message: `expected limit= to be a number from 1 to ${LIMITS.aroundMax} with around=`,
  });

export const DEFAULT_HISTORY_PAGE = 50;
/** Messages on each side of the one an around-window is centred on, unless the client asks for another number. */
export const DEFAULT_AROUND = 25;

/** A client holds a handful of rooms; more in one sync is not a real client. */
export const SYNC_MAX_ROOMS = 100;

/** The body is checked by the message service with messageBodySchema, which bots' messages go through too. */
export const messagePayload = z.object(
  {
    room: conversationNameSchema,
    clientId: clientIdSchema,
    body: z.string({ error: 'expected the message text as a string' }),
  },
  { error: NOT_AN_OBJECT },
);

/** Path parameter of PATCH and DELETE /api/messages/:id. */
export const messageIdParamSchema = messageIdTextSchema('expected the message id as a whole number of 1 or more');

/** The body is checked by the message service with messageBodySchema, as a new message's is. */
export const editPayload = z.object({ id: storedMessageIdSchema, body: z.string({ error: 'expected the message text as a string' }) }, { error: NOT_AN_OBJECT });
export const deletePayload = z.object({ id: storedMessageIdSchema }, { error: NOT_AN_OBJECT });

/** The REST edit's JSON body. */
export const editRequestSchema = editPayload.pick({ body: true });

/** What a client holds of a room (SyncCursor); a bare message id is the older form, for new messages only. */
const syncCursorSchema = z.union(
  [
    messageIdSchema,
    z.object(
      { after: messageIdSchema, from: messageIdSchema, revision: messageIdSchema, through: messageIdSchema.optional() },
      { error: 'expected {after, from, revision, through}' },
    ),
  ],
  { error: 'expected a message id or {after, from, revision, through}' },
);

export const syncPayload = z.object(
  {
    rooms: z
      .record(conversationNameSchema, syncCursorSchema, { error: 'expected rooms as an object of room name to message id or {after, from, revision, through}' })
      .refine((rooms) => Object.keys(rooms).length <= SYNC_MAX_ROOMS, `expected at most ${SYNC_MAX_ROOMS} rooms`),
  },
  { error: NOT_AN_OBJECT },
);

export const aroundPayload = z.object(
  {
    room: conversationNameSchema,
    id: storedMessageIdSchema,
    limit: z.number({ error: 'expected limit as a number' }).int().min(1).max(LIMITS.aroundMax, `expected limit of at most ${LIMITS.aroundMax}`).optional(),
  },
  { error: NOT_AN_OBJECT },
);
