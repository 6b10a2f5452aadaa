/**
 * Search in every room the user is in: a search box, the results newest first with their matches marked, and more
 * results on request. The server sends each result's text in plain parts; they are rendered as text and <mark>
 * elements, never as HTML.
 */
import { useState, type FormEvent } from 'react';
import { LIMITS, type SearchHit, type SnippetPart } from '../../shared/protocol';
import type { Api } from '../lib/api';
import { messageTimeFormats, messageTimeLabel } from '../lib/time';
import { FormError } from './FormError';

interface SearchPanelProps {
  /** A conversation's name as the sidebar shows it, with its mark (#general, @bob). */
  titleOf: (room: string) => string;
  api: Api;
  onOpen: (hit: SearchHit) => void;
}

interface Results {
  query: string;
  hits: SearchHit[];
  hasMore: boolean;
}

const timeFormats = messageTimeFormats();

function Snippet({ parts }: { parts: SnippetPart[] }) {
  return (
    <>
      {parts.map((part, index) => (part.match ? <mark key={index}>{part.text}</mark> : <span key={index}>{part.text}</span>))}
    </>
  );
}

export function SearchPanel({ api, onOpen, titleOf }: SearchPanelProps) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function load(text: string, before: number | null) {
    setLoading(true);
    setError(null);
    try {
      const page = await api.search(text, before);
      setResults((previous) => ({ query: text, hits: before === null ? page.hits : [...(previous?.hits ?? []), ...page.hits], hasMore: page.hasMore }));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setLoading(false);
    }
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = query.trim();
    if (text) void load(text, null);
  }

  function clear() {
    setQuery('');
    setResults(null);
    setError(null);
  }

  const now = new Date();
  return (
    <section className="panel search" aria-label="Search">
      <form className="search__form" role="search" onSubmit={submit}>
        <input
          type="search"
          aria-label="Search messages"
          placeholder='Search: words, "a phrase", -not'
          maxLength={LIMITS.searchQueryMaxLength}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        <button type="submit" className="button button--small" disabled={loading}>
          Search
        </button>
      </form>
      <FormError error={error} />
      {results && (
        <div className="search__results">
          <div className="search__summary">
            <span>{results.hits.length === 0 ? `No messages match “${results.query}”` : `Results for “${results.query}”`}</span>
            <button type="button" className="link-button" onClick={clear}>
              Clear
            </button>
          </div>
          <ol className="search__list">
            {results.hits.map((hit) => (
              <li key={hit.message.id}>
                <button type="button" className="search__hit" onClick={() => onOpen(hit)}>
                  <span className="search__meta">
                    {titleOf(hit.message.room)} · {hit.message.user.username} ·{' '}
                    <time dateTime={hit.message.createdAt}>{messageTimeLabel(new Date(hit.message.createdAt), now, timeFormats)}</time>
                  </span>
                  <span className="search__snippet">
                    <Snippet parts={hit.snippet} />
                  </span>
                </button>
              </li>
            ))}
          </ol>
          {results.hasMore && (
            <button type="button" className="button button--small" disabled={loading} onClick={() => void load(results.query, results.hits.at(-1)?.message.id ?? null)}>
              More results
            </button>
          )}
        </div>
      )}
    </section>
  );
}
