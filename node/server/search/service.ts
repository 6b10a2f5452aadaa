import type { SearchHit, SearchResponse } from '../../shared/protocol';
import type { MessageService } from '../messages';
import { headlineOptions, newMarkers, snippetOf } from './highlight';
import type { SearchRepository } from './repository';
import { DEFAULT_SEARCH_PAGE } from './validation';

export interface SearchInput {
  userId: number;
  /** Already validated: trimmed, not empty, within LIMITS.searchQueryMaxLength. */
  query: string;
  before?: number | undefined;
  limit?: number | undefined;
}

/** Search in every conversation the user can read: today, the rooms they are a member of. */
export class SearchService {
  constructor(
    private readonly search: SearchRepository,
    private readonly messages: MessageService,
  ) {}

  async find({ userId, query, before, limit = DEFAULT_SEARCH_PAGE }: SearchInput): Promise<SearchResponse> {
    const markers = newMarkers();
    const page = await this.search.search({ userId, query, before, limit, headlineOptions: headlineOptions(markers) });
    // The messages as every other path shows them (author, profile), again only where the user is a member.
    // A deleted message has no text to match; one deleted between the two queries is left out too.
    const messages = await this.messages.readable(
      userId,
      page.rows.map((row) => row.id),
    );
    const rowsById = new Map(page.rows.map((row) => [row.id, row]));
    const hits: SearchHit[] = messages.flatMap((message) => {
      const row = rowsById.get(message.id);
      return row && message.deletedAt === null ? [{ message, snippet: snippetOf(row.headline, row.body, markers) }] : [];
    });
    return { hits, hasMore: page.hasMore };
  }
}
