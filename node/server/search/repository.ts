import type { Queryable } from '../db';

/** One match: the message id and its body marked by ts_headline. */
export interface SearchRow {
  id: number;
  headline: string;
  body: string;
}

/**
 * Full-text search over messages.search_vector (a generated tsvector with its GIN index, see the migration). The
 * text search configuration must be the column's, or the query's words would be normalised differently.
 */
const CONFIGURATION = 'english';

export class SearchRepository {
  constructor(private readonly db: Queryable) {}

  /**
   * Messages of the rooms the user is a member of that match the query, newest first, older than `before` when
   * given. The query is parsed by websearch_to_tsquery: words, "phrases", -exclusions, `or`. Only the page's rows
   * get a headline, the costly part, so it runs outside the limited inner query.
   *
   * The plan matters (see docs/benchmark.md#search): the user's rooms come as one array computed once (an InitPlan),
   * because written as a join the planner scans the GIN index again for every room; and the room test is on
   * `room_id + 0`, which keeps it a filter on the matches: as an index condition the planner would also read all the
   * user's messages from the room index to intersect them with the matches, which costs more than reading the
   * matches and dropping the ones of other rooms. The planner stays free to walk the primary key backwards instead
   * when a word is so common that the newest messages hold a page of hits.
   */
  async search(input: { userId: number; query: string; before: number | undefined; limit: number; headlineOptions: string }): Promise<{ rows: SearchRow[]; hasMore: boolean }> {
    // One extra row tells whether another page exists.
    const { rows } = await this.db.query<{ id: string; headline: string; body: string }>(
      `SELECT hit.id, hit.body, ts_headline('${CONFIGURATION}', hit.body, websearch_to_tsquery('${CONFIGURATION}', $2), $5) AS headline
         FROM (
           SELECT m.id, m.body FROM messages m
            WHERE m.search_vector @@ websearch_to_tsquery('${CONFIGURATION}', $2)
              AND m.room_id + 0 = ANY (ARRAY(SELECT rm.room_id FROM room_members rm WHERE rm.user_id = $1))
              AND ($3::bigint IS NULL OR m.id < $3)
            ORDER BY m.id DESC
            LIMIT $4
         ) hit
        ORDER BY hit.id DESC`,
      [input.userId, input.query, input.before ?? null, input.limit + 1, input.headlineOptions],
    );
    return {
      rows: rows.slice(0, input.limit).map((row) => ({ id: Number(row.id), headline: row.headline, body: row.body })),
      hasMore: rows.length > input.limit,
    };
  }
}
