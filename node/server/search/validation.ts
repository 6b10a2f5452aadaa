/** What a search may ask: the query text, a cursor and a page size, over REST and over the socket. */
import { z } from 'zod';
import { LIMITS } from '../../shared/protocol';
import { limitParameter, messageIdParameter, messageIdSchema, typedTextSchema } from '../messages';
import { NOT_AN_OBJECT } from '../validation';

export const DEFAULT_SEARCH_PAGE = 20;

/** The text typed into the search box, trimmed; its words are parsed by PostgreSQL (websearch_to_tsquery). */
export const searchTextSchema = typedTextSchema({
  noun: 'search',
  notAString: 'expected the search as a string',
  empty: 'search is empty: type a word to look for',
  maxLength: LIMITS.searchQueryMaxLength,
});

/** Query string of GET /api/search. */
export const searchQuerySchema = z.object({
  q: searchTextSchema,
  before: messageIdParameter('before').optional(),
  limit: limitParameter(LIMITS.searchPageMax).optional(),
});

/** Payload of the socket event `search`. */
export const searchPayload = z.object(
  {
    q: searchTextSchema,
    before: messageIdSchema.min(1, 'expected before to be a message id').optional(),
    limit: z
      .number({ error: 'expected limit as a number' })
      .int('expected limit as a whole number')
      .min(1, `expected limit from 1 to ${LIMITS.searchPageMax}`)
      .max(LIMITS.searchPageMax, `expected limit from 1 to ${LIMITS.searchPageMax}`)
      .optional(),
  },
  { error: NOT_AN_OBJECT },
);
