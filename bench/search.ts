/**
 * `npm run bench:search`: search over a large history. Seeds a throwaway database (migrated like production) with
 * 1,000,000 messages over 200 rooms in SQL (generate_series, no round trip per row), then times the search use case
 * (SearchService.find: the full-text query with its membership check, the messages' authors, the highlighting) for
 * two-word queries by a user who is a member of 20 of the rooms. Prints the figures; removes the database.
 */
import os from 'node:os';
import { Pool } from 'pg';
import { MessageRepository, MessageService, MessageWriter, type MessageAnnouncer } from '../node/server/messages';
import { RoomRepository, RoomService } from '../node/server/rooms';
import { SearchRepository, SearchService } from '../node/server/search';
import { UserProfiles } from '../node/server/users';
import { BenchResources } from './provision';
import { summarize, type Summary } from './stats';

const GOAL_P95_MS = 50;

export interface SearchBenchOptions {
  messages: number;
  rooms: number;
  /** Rooms the searching user is a member of. */
  memberOf: number;
  /** Timed queries per kind. */
  queries: number;
  /** Leave the database behind (its URL is printed), to look at query plans. */
  keep: boolean;
}

const DEFAULTS: SearchBenchOptions = { messages: 1_000_000, rooms: 200, memberOf: 20, queries: 100, keep: false };
const USAGE = 'Usage: npm run bench:search -- [--messages N] [--rooms N] [--member-of N] [--queries N] [--keep]';
const BATCH = 100_000;
const WARMUP_QUERIES = 20;

/**
 * English's most frequent words come first: the text search configuration leaves them out, as it would in real
 * messages. Made-up words follow, so that which words are common is known.
 */
const STOP_WORDS = 'the to and a of in is it you that for on was with he as i be at have are this not but we they or by from can'.split(' ');
const VOCABULARY_SIZE = 5000;

function vocabulary(): string[] {
  const consonants = 'bdfgklmnprstvz';
  const vowels = 'aeiou';
  const syllables = [...consonants].flatMap((consonant) => [...vowels].map((vowel) => consonant + vowel));
  const words: string[] = [...STOP_WORDS];
  // A multiplier prime to the number of combinations spreads neighbouring ranks over unlike words.
  const combinations = syllables.length ** 3;
  for (let index = 0; words.length < VOCABULARY_SIZE; index += 1) {
    const n = (index * 7919) % combinations;
    const word = [n % syllables.length, Math.floor(n / syllables.length) % syllables.length, Math.floor(n / syllables.length ** 2)]
      .map((syllable) => syllables[syllable])
      .join('');
    if (!words.includes(word)) words.push(word);
  }
  return words;
}

function parseOptions(argv: string[]): SearchBenchOptions {
  const options = { ...DEFAULTS };
  const keys: Record<string, 'messages' | 'rooms' | 'memberOf' | 'queries'> = { '--messages': 'messages', '--rooms': 'rooms', '--member-of': 'memberOf', '--queries': 'queries' };
  const rest = [...argv];
  while (rest.length > 0) {
    const flag = rest.shift() ?? '';
    if (flag === '--keep') {
      options.keep = true;
      continue;
    }
    const key = keys[flag];
    const value = rest.shift() ?? '';
    if (!key || !/^[1-9][0-9]*$/.test(value)) throw new Error(`${USAGE}\n(bad argument ${flag} ${value})`);
    options[key] = Number(value);
  }
  if (options.memberOf > options.rooms) throw new Error('--member-of must not exceed --rooms');
  return options;
}

function progress(message: string): void {
  process.stderr.write(`[bench:search] ${message}\n`);
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

/** Users, rooms, the searcher's memberships and the messages; the GIN index is built once, after the rows. */
async function seed(db: Pool, options: SearchBenchOptions, words: string[]): Promise<number> {
  await db.query(`INSERT INTO users (username, email) SELECT 'bench_' || n, 'bench' || n || '@bench.invalid' FROM generate_series(1, 1000) n`);
  const searcher = await db.query<{ id: string }>(`INSERT INTO users (username, email) VALUES ('bench_searcher', 'searcher@bench.invalid') RETURNING id`);
  const searcherId = Number(searcher.rows[0]?.id);
  await db.query(`INSERT INTO rooms (name) SELECT 'bench-' || n FROM generate_series(1, $1::int) n`, [options.rooms]);
  // Rooms spread over the whole id range, so the searcher's rooms are interleaved with the others'.
  await db.query(
    `INSERT INTO room_members (room_id, user_id)
     SELECT id, $1 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM rooms WHERE name LIKE 'bench-%') r
      WHERE r.n % ($2::int / $3::int) = 0 LIMIT $3`,
    [searcherId, options.rooms, options.memberOf],
  );
  const { rows } = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search_idx'`);
  const indexDefinition = rows[0]?.indexdef;
  if (!indexDefinition) throw new Error('messages_search_idx is missing: is the database migrated?');
  await db.query('DROP INDEX messages_search_idx');
  for (let from = 1; from <= options.messages; from += BATCH) {
    const to = Math.min(options.messages, from + BATCH - 1);
    // Words by a Zipf-like law: rank k is drawn with probability ln((k+1)/k) / ln(V+1). 4 to 20 words a message.
    const { ms } = await timed(() =>
      db.query(
        // seq is i: unique in every room, which is all search needs, and cheaper than the per-row numbering trigger.
        `INSERT INTO messages (room_id, user_id, client_id, seq, body, created_at)
         SELECT room_ids[1 + i % cardinality(room_ids)], user_ids[1 + (i::bigint * 7919) % cardinality(user_ids)], 'bench-' || i, i,
                (SELECT string_agg(($3::text[])[floor(exp(random() * ln(cardinality($3::text[]) + 1)))::int], ' ') FROM generate_series(1, 4 + i % 17)),
                now() - make_interval(secs => $4::int - i)
           FROM generate_series($1::int, $2::int) i,
                (SELECT array_agg(id ORDER BY id) AS room_ids FROM rooms WHERE name LIKE 'bench-%') r,
                (SELECT array_agg(id ORDER BY id) AS user_ids FROM users WHERE username LIKE 'bench\\_%' AND username <> 'bench_searcher') u`,
        [from, to, words, options.messages],
      ),
    );
    progress(`${to.toLocaleString('en')} messages (${(ms / 1000).toFixed(1)} s for this batch)`);
  }
  const index = await timed(() => db.query(indexDefinition));
  progress(`GIN index built in ${(index.ms / 1000).toFixed(1)} s`);
  await db.query('VACUUM ANALYZE messages');
  return searcherId;
}

interface Kind {
  label: string;
  /** The two words' frequency ranks are drawn from these ranges (1-based, in the vocabulary). */
  ranks: [[number, number], [number, number]];
}

const KINDS: Kind[] = [
  { label: 'two common words (ranks 31-100)', ranks: [[31, 100], [31, 100]] },
  { label: 'two mid words (ranks 100-1000)', ranks: [[100, 1000], [100, 1000]] },
  { label: 'two rare words (ranks 1000-5000)', ranks: [[1000, 5000], [1000, 5000]] },
  { label: 'a common and a rare word', ranks: [[31, 100], [1000, 5000]] },
];

function pick(words: string[], [low, high]: [number, number]): string {
  return words[low - 1 + Math.floor(Math.random() * (high - low))] as string;
}

/** One line of the table; hits per query where they were counted. */
function row(label: string, summary: Summary | null, hits?: number): string {
  if (!summary) return `${label.padEnd(36)} -`;
  const f = (value: number) => value.toFixed(1).padStart(7);
  const perQuery = hits === undefined ? '' : (hits / summary.count).toFixed(1).padStart(9);
  return `${label.padEnd(36)}${f(summary.p50)}${f(summary.p95)}${f(summary.p99)}${f(summary.max)}${perQuery}`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const resources = new BenchResources();
  let db: Pool | undefined;
  const interrupted = () => void resources.release().then(() => process.exit(130));
  process.once('SIGINT', interrupted);
  try {
    progress(`creating database ${resources.id}`);
    db = new Pool({ connectionString: await resources.createDatabase(), max: 2 });
    const words = vocabulary();
    const seeding = await timed(() => seed(db as Pool, options, words));
    const searcherId = seeding.result;
    progress(`seeded in ${(seeding.ms / 1000).toFixed(1)} s`);

    const profiles = new UserProfiles('');
    // Searching announces nothing.
    const announcer: MessageAnnouncer = { isClosing: () => false, messageCreated: () => undefined, messageUpdated: () => undefined, messageDeleted: () => undefined };
    const repository = new MessageRepository(db, profiles);
    // Searching writes nothing: the smallest writer will do.
    const writer = new MessageWriter(repository, { batchSize: 1, windowMs: 0, queueLimit: 1, concurrency: 1 });
    const search = new SearchService(new SearchRepository(db), new MessageService(repository, writer, new RoomService(new RoomRepository(db), profiles), announcer));
    const query = (kind: Kind) => search.find({ userId: searcherId, query: `${pick(words, kind.ranks[0])} ${pick(words, kind.ranks[1])}` });

    for (let index = 0; index < WARMUP_QUERIES; index += 1) await query(KINDS[index % KINDS.length] as Kind);
    const all: number[] = [];
    const lines: string[] = [];
    for (const kind of KINDS) {
      const times: number[] = [];
      let hits = 0;
      for (let index = 0; index < options.queries; index += 1) {
        const { result, ms } = await timed(() => query(kind));
        times.push(ms);
        hits += result.hits.length;
      }
      all.push(...times);
      lines.push(row(kind.label, summarize(times), hits));
    }
    const overall = summarize(all);
    const size = await db.query<{ table: string; index: string }>(
      `SELECT pg_size_pretty(pg_total_relation_size('messages')) AS table, pg_size_pretty(pg_relation_size('messages_search_idx')) AS index`,
    );
    const cpus = os.cpus();
    console.log(
      [
        `search benchmark: ${options.messages.toLocaleString('en')} messages in ${options.rooms} rooms, searcher in ${options.memberOf}; ${options.queries} queries per kind, one at a time, first page (20 hits)`,
        `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`,
        `messages table with indexes ${size.rows[0]?.table ?? '?'}, GIN index ${size.rows[0]?.index ?? '?'}; seeding took ${(seeding.ms / 1000).toFixed(0)} s`,
        '',
        `${'query (ms)'.padEnd(36)}${'p50'.padStart(7)}${'p95'.padStart(7)}${'p99'.padStart(7)}${'max'.padStart(7)}${'hits/q'.padStart(9)}`,
        ...lines,
        row('all', overall),
        '',
        overall && overall.p95 <= GOAL_P95_MS ? `p95 ${overall.p95.toFixed(1)} ms ≤ ${GOAL_P95_MS} ms: goal met` : `p95 above ${GOAL_P95_MS} ms: goal NOT met`,
      ].join('\n'),
    );
  } finally {
    process.off('SIGINT', interrupted);
    await db?.end();
    if (options.keep) {
      progress(`kept database ${resources.id}: drop it with  psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE ${resources.id}'`);
    } else {
      for (const problem of await resources.release()) progress(`cleanup: ${problem}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
