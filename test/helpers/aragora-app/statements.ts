/**
 * Every SQL statement the methods of Aragora's four PostgreSQL stores run, copied verbatim
 * (whitespace included) from the Python, with one example parameter list each.
 *
 * Sources in the Aragora repository (github.com/an0mium/aragora):
 *   - aragora/ranking/postgres_database.py   PostgresEloDatabase      at cd2985adf
 *                                            (HEAD, cd2985adf864aa9fcc10d2c26b906bbd00a0c2b6)
 *   - aragora/insights/postgres_store.py     PostgresInsightStore     at cd2985adf (HEAD)
 *   - aragora/memory/postgres_continuum.py   PostgresContinuumMemory  at a66b5bf06^
 *                                            (6d72729f9b780ad4dd4ed0247e87b6d8cd2285a3; the file was deleted by
 *                                            a66b5bf06 "chore: delete 17 dead code modules")
 *   - aragora/memory/postgres_consensus.py   PostgresConsensusMemory  at a66b5bf06^ (same commit)
 *
 * How this file was checked (outside this repository): the real Python store classes were
 * imported and every method was run with asyncpg 0.27.0 (the app pins asyncpg>=0.29.0; the
 * argument-encoding path that matters below is unchanged in current asyncpg) against PostgreSQL 15
 * on the DDL of schemas.ts, through a connection class that recorded each (sql, args). Every `sql` below is
 * byte-for-byte the recorded string and every `params` list is what Python bound, converted to
 * JS. All 100 conn.execute/executemany/fetch/fetchrow call sites of the four files were reached
 * (`line` is the line of that call in the source file). The arrays were then replayed in order
 * with node-postgres on a freshly initialised database (see initializeLikeApp) and all 100
 * statements succeeded.
 *
 * Conventions:
 *   - `params` are the values Python binds (asyncpg semantics): JSONB params are the
 *     json.dumps() strings (Python's default ", " / ": " separators), TIMESTAMPTZ params are
 *     datetimes (here JS Dates), booleans are booleans, Python lists bound to text[]/float8[]
 *     are JS arrays. The app passes naive datetime.now() values; asyncpg reads a naive datetime
 *     as the app process's local time, and the Dates here assume that is UTC. One exception is
 *     intentional: insights' `$9 created_at` is an ISO *string*, because that is what the app
 *     binds (see failsInApp on that entry).
 *   - Placeholder ids (agent names, 'debate-1', 'mem-1', uuid-shaped consensus / dissent / proof
 *     ids 00000000-0000-4000-8000-00000000000N, ...) can be substituted by a test. `refs` lists
 *     the params that must name an existing row: onMissing 'fk-violation' means the statement
 *     fails without it, 'no-op' means it only affects or returns nothing.
 *   - Each array is in replay order: run in order with these params on a freshly initialised
 *     schema, no statement fails and every `refs` row exists when needed (the deletes come last).
 *     A few statements find or touch nothing on such a plain replay: consolidate's candidate
 *     queries, the three cleanup_expired_memories statements (they name 'mem-3', a memory the
 *     recorded run added with a second add() call), the archive per-tier query, find_similar's
 *     exact-hash lookup and get_relevant_insights.
 *   - Dynamic SQL (Python f-strings and keyword OR lists) is given for one representative case,
 *     and the note says how the string is built.
 *   - `call` is the asyncpg method. With no arguments asyncpg's execute() uses the simple query
 *     protocol; everything else here is a prepared (extended-protocol) statement, as with
 *     node-postgres when a values array is passed. `call: 'executemany'` runs the statement once
 *     per parameter row; `params` is the first row.
 *   - `inTransaction` is true when the method runs the statement inside `self.transaction()`
 *     (explicit BEGIN/COMMIT); the other statements autocommit one by one, even when one method
 *     runs several of them.
 *   - Return-type differences that matter to a test: asyncpg returns JSONB as str (the stores
 *     json.loads() it), node-postgres returns parsed JSON; COUNT(*)/SUM(int) are bigint, which
 *     node-postgres returns as strings by default.
 *
 * Not listed: the base class's generic helpers (PostgresStore.exists/count/delete_by_id/
 * fetch_one/fetch_all/execute/executemany/get_schema_version), which none of these stores call
 * with SQL of their own; the schema-version statements of initialize() are in schemas.ts.
 */
import type { AppStoreKey } from './schemas.js';

/** A parameter that has to name an existing row. */
export interface ParamRef {
  /** 0-based index into `params` ($n is index n - 1). */
  readonly index: number;
  /** table.column the value must exist in. */
  readonly references: string;
  /** What happens when it does not: a foreign-key error, or silently nothing. */
  readonly onMissing: 'fk-violation' | 'no-op';
}

export interface AppStatement {
  readonly store: AppStoreKey;
  /** Name of the Python method that runs the statement. */
  readonly method: string;
  /** Line of the conn.* call in the Python source file. */
  readonly line: number;
  /** The asyncpg call that runs it. */
  readonly call: 'execute' | 'executemany' | 'fetch' | 'fetchrow';
  /** True when run inside `async with self.transaction()`. */
  readonly inTransaction: boolean;
  /** Verbatim SQL. */
  readonly sql: string;
  /** Example parameters as Python binds them (one row for executemany). Mutable so it can go to pg's query(). */
  params: unknown[];
  readonly note?: string;
  readonly refs?: readonly ParamRef[];
  /** Set when the statement, as the app runs it, fails against the app's own schema; says why. */
  readonly failsInApp?: string;
}

/** PostgresEloDatabase (aragora/ranking/postgres_database.py at cd2985adf): 23 statements, in replay order. */
export const ELO_STATEMENTS: readonly AppStatement[] = [
  {
    store: 'elo',
    method: 'set_rating',
    line: 169,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO elo_ratings (
                    agent_name, elo, domain_elos, wins, losses, draws,
                    debates_count, critiques_accepted, critiques_total, updated_at
                ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NOW())
                ON CONFLICT (agent_name) DO UPDATE SET
                    elo = EXCLUDED.elo,
                    domain_elos = EXCLUDED.domain_elos,
                    wins = EXCLUDED.wins,
                    losses = EXCLUDED.losses,
                    draws = EXCLUDED.draws,
                    debates_count = EXCLUDED.debates_count,
                    critiques_accepted = EXCLUDED.critiques_accepted,
                    critiques_total = EXCLUDED.critiques_total,
                    updated_at = NOW()
                `,
    params: ['claude', 1500.0, '{"security": 1510.0}', 1, 0, 0, 1, 0, 0],
    note: 'Upsert on agent_name. $3 = json.dumps(domain_elos or {}); updated_at = NOW() (not a parameter).',
  },
  {
    store: 'elo',
    method: 'get_rating',
    line: 147,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT * FROM elo_ratings WHERE agent_name = $1`,
    params: ['claude'],
    note: 'Python returns dict(row); domain_elos comes back as a JSON string under asyncpg (no codec ' + 'registered).',
  },
  {
    store: 'elo',
    method: 'update_elo',
    line: 208,
    call: 'execute',
    inTransaction: false,
    sql: `
                    UPDATE elo_ratings
                    SET elo = $2,
                        domain_elos = jsonb_set(
                            COALESCE(domain_elos, '{}'),
                            $3::text[],
                            to_jsonb($4::float)
                        ),
                        updated_at = NOW()
                    WHERE agent_name = $1
                    `,
    params: ['claude', 1520.0, ['security'], 1530.0],
    note:
      'Branch taken when `domain and domain_elo is not None`. $3 is the Python list [domain], bound '
      + 'as text[] (jsonb_set path); $4 is a float wrapped by to_jsonb($4::float).',
    refs: [{ index: 0, references: 'elo_ratings.agent_name', onMissing: 'no-op' }],
  },
  {
    store: 'elo',
    method: 'update_elo',
    line: 226,
    call: 'execute',
    inTransaction: false,
    sql: `
                    UPDATE elo_ratings
                    SET elo = $2, updated_at = NOW()
                    WHERE agent_name = $1
                    `,
    params: ['claude', 1525.0],
    note: 'Branch taken when no domain (or domain_elo is None).',
    refs: [{ index: 0, references: 'elo_ratings.agent_name', onMissing: 'no-op' }],
  },
  {
    store: 'elo',
    method: 'increment_stats',
    line: 248,
    call: 'execute',
    inTransaction: false,
    sql: `
                UPDATE elo_ratings
                SET wins = wins + $2,
                    losses = losses + $3,
                    draws = draws + $4,
                    debates_count = debates_count + $5,
                    critiques_accepted = critiques_accepted + $6,
                    critiques_total = critiques_total + $7,
                    updated_at = NOW()
                WHERE agent_name = $1
                `,
    params: ['claude', 1, 0, 0, 1, 1, 2],
    note: 'Increments; the keyword argument `debates` binds $5 (debates_count).',
    refs: [{ index: 0, references: 'elo_ratings.agent_name', onMissing: 'no-op' }],
  },
  {
    store: 'elo',
    method: 'get_leaderboard',
    line: 277,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT agent_name, elo,
                           (domain_elos->>$2)::float as domain_elo,
                           wins, losses, draws, debates_count
                    FROM elo_ratings
                    WHERE domain_elos ? $2
                    ORDER BY (domain_elos->>$2)::float DESC
                    LIMIT $1
                    `,
    params: [10, 'security'],
    note:
      'Branch taken when a domain is given. `?` is the jsonb key-exists operator, not a placeholder '
      + '(neither asyncpg nor node-postgres treats `?` as a parameter). $2 (text) is used three '
      + 'times; $1 is the LIMIT.',
  },
  {
    store: 'elo',
    method: 'get_leaderboard',
    line: 291,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT agent_name, elo, domain_elos,
                           wins, losses, draws, debates_count
                    FROM elo_ratings
                    ORDER BY elo DESC
                    LIMIT $1
                    `,
    params: [10],
    note: 'Branch taken when no domain is given.',
  },
  {
    store: 'elo',
    method: 'save_match',
    line: 314,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                INSERT INTO elo_matches (
                    debate_id, winner, participants, domain, scores, elo_changes
                ) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (debate_id) DO UPDATE SET
                    winner = EXCLUDED.winner,
                    participants = EXCLUDED.participants,
                    domain = EXCLUDED.domain,
                    scores = EXCLUDED.scores,
                    elo_changes = EXCLUDED.elo_changes
                RETURNING id
                `,
    params: [
      'debate-1',
      'claude',
      '["claude", "gpt4"]',
      'security',
      '{"claude": 0.8, "gpt4": 0.2}',
      '{"claude": 16.0, "gpt4": -16.0}',
    ],
    note:
      'Upsert on debate_id (UNIQUE) with RETURNING id (SERIAL). $3/$5/$6 are json.dumps strings for '
      + 'JSONB columns.',
  },
  {
    store: 'elo',
    method: 'get_match',
    line: 339,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT * FROM elo_matches WHERE debate_id = $1`,
    params: ['debate-1'],
    note:
      'Python json.loads() participants/scores/elo_changes because asyncpg returns JSONB as str; '
      + 'node-postgres returns them already parsed.',
  },
  {
    store: 'elo',
    method: 'get_recent_matches',
    line: 364,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT * FROM elo_matches
                    WHERE participants @> $2::jsonb
                    ORDER BY created_at DESC
                    LIMIT $1
                    `,
    params: [10, '["claude"]'],
    note:
      'Branch taken when agent_name is given. Note the order: $1 is the LIMIT, $2 = '
      + 'json.dumps([agent_name]) for the @> containment filter.',
  },
  {
    store: 'elo',
    method: 'get_recent_matches',
    line: 375,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT * FROM elo_matches
                    ORDER BY created_at DESC
                    LIMIT $1
                    `,
    params: [10],
    note: 'Branch taken when agent_name is None.',
  },
  {
    store: 'elo',
    method: 'save_elo_history',
    line: 404,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO elo_history (agent_name, elo, debate_id)
                VALUES ($1, $2, $3)
                `,
    params: ['claude', 1525.0, 'debate-1'],
    note: 'Plain INSERT (no ON CONFLICT); debate_id may be None.',
  },
  {
    store: 'elo',
    method: 'get_elo_history',
    line: 421,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT * FROM elo_history
                WHERE agent_name = $1
                ORDER BY created_at DESC
                LIMIT $2
                `,
    params: ['claude', 100],
  },
  {
    store: 'elo',
    method: 'save_calibration_prediction',
    line: 442,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO elo_calibration_predictions (
                    tournament_id, predictor_agent, predicted_winner, confidence
                ) VALUES ($1, $2, $3, $4)
                ON CONFLICT (tournament_id, predictor_agent) DO UPDATE SET
                    predicted_winner = EXCLUDED.predicted_winner,
                    confidence = EXCLUDED.confidence
                `,
    params: ['tournament-1', 'claude', 'gpt4', 0.7],
    note: 'Upsert on (tournament_id, predictor_agent).',
  },
  {
    store: 'elo',
    method: 'update_domain_calibration',
    line: 466,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO elo_domain_calibration (
                    agent_name, domain, total_predictions, total_correct, brier_sum
                ) VALUES ($1, $2, 1, $3, $4)
                ON CONFLICT (agent_name, domain) DO UPDATE SET
                    total_predictions = elo_domain_calibration.total_predictions + 1,
                    total_correct = elo_domain_calibration.total_correct + $3,
                    brier_sum = elo_domain_calibration.brier_sum + $4,
                    updated_at = NOW()
                `,
    params: ['claude', 'security', 1, 0.09],
    note:
      'Upsert on (agent_name, domain). $3 = 1 if correct else 0 (an int, not a bool); $3 and $4 are '
      + 'reused in the DO UPDATE arm.',
  },
  {
    store: 'elo',
    method: 'get_domain_calibration',
    line: 491,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT * FROM elo_domain_calibration
                    WHERE agent_name = $1 AND domain = $2
                    `,
    params: ['claude', 'security'],
    note: 'Branch taken when a domain is given.',
  },
  {
    store: 'elo',
    method: 'get_domain_calibration',
    line: 500,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT * FROM elo_domain_calibration
                    WHERE agent_name = $1
                    `,
    params: ['claude'],
    note: 'Branch taken when no domain is given.',
  },
  {
    store: 'elo',
    method: 'update_relationship',
    line: 528,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO elo_agent_relationships (
                    agent_a, agent_b, debate_count, agreement_count,
                    critique_count_a_to_b, critique_count_b_to_a,
                    critique_accepted_a_to_b, critique_accepted_b_to_a
                ) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (agent_a, agent_b) DO UPDATE SET
                    debate_count = elo_agent_relationships.debate_count + $3,
                    agreement_count = elo_agent_relationships.agreement_count + $4,
                    critique_count_a_to_b = elo_agent_relationships.critique_count_a_to_b + $5,
                    critique_count_b_to_a = elo_agent_relationships.critique_count_b_to_a + $6,
                    critique_accepted_a_to_b = elo_agent_relationships.critique_accepted_a_to_b + $7,
                    critique_accepted_b_to_a = elo_agent_relationships.critique_accepted_b_to_a + $8,
                    updated_at = NOW()
                `,
    params: ['claude', 'gpt4', 1, 1, 2, 1, 1, 0],
    note:
      'Python first swaps the pair (and the directional counters) so that agent_a < agent_b; the '
      + 'params here are post-swap. $3..$8 are increments, reused in the DO UPDATE arm. '
      + 'avg_critique_severity_* are never written.',
  },
  {
    store: 'elo',
    method: 'get_relationship',
    line: 565,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT * FROM elo_agent_relationships
                WHERE agent_a = $1 AND agent_b = $2
                `,
    params: ['claude', 'gpt4'],
    note: 'Python normalises the order (agent_a < agent_b) before binding.',
  },
  {
    store: 'elo',
    method: 'get_all_ratings',
    line: 580,
    call: 'fetch',
    inTransaction: false,
    sql: `SELECT * FROM elo_ratings ORDER BY elo DESC`,
    params: [],
  },
  {
    store: 'elo',
    method: 'count_ratings',
    line: 595,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM elo_ratings`,
    params: [],
    note: 'COUNT(*) is bigint: asyncpg returns int, node-postgres returns a string unless an int8 ' + 'parser is set.',
  },
  {
    store: 'elo',
    method: 'count_matches',
    line: 601,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM elo_matches`,
    params: [],
    note: 'COUNT(*) is bigint (see count_ratings).',
  },
  {
    store: 'elo',
    method: 'delete_rating',
    line: 586,
    call: 'execute',
    inTransaction: false,
    sql: `DELETE FROM elo_ratings WHERE agent_name = $1`,
    params: ['claude'],
    note: "Python returns `'DELETE 1' in result` (command tag).",
    refs: [{ index: 0, references: 'elo_ratings.agent_name', onMissing: 'no-op' }],
  },
];

/** PostgresInsightStore (aragora/insights/postgres_store.py at cd2985adf): 19 statements, in replay order. */
export const INSIGHTS_STATEMENTS: readonly AppStatement[] = [
  {
    store: 'insights',
    method: 'store_debate_insights',
    line: 249,
    call: 'execute',
    inTransaction: true,
    sql: `
                INSERT INTO debate_summaries
                (debate_id, task, consensus_reached, duration_seconds,
                 total_insights, key_takeaway, agent_performances, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, NOW())
                ON CONFLICT (debate_id) DO UPDATE SET
                    task = EXCLUDED.task,
                    consensus_reached = EXCLUDED.consensus_reached,
                    duration_seconds = EXCLUDED.duration_seconds,
                    total_insights = EXCLUDED.total_insights,
                    key_takeaway = EXCLUDED.key_takeaway,
                    agent_performances = EXCLUDED.agent_performances
                `,
    params: [
      'debate-1',
      'Design a rate limiter',
      true,
      42.5,
      2,
      'Use a token bucket',
      '[{"agent": "claude", "proposals": 2, "accepted": true, "score": 0.8}]',
    ],
    note:
      'First statement of the store_debate_insights transaction (self.transaction()). $7 = '
      + 'json.dumps([{"agent", "proposals", "accepted", "score"} per AgentPerformance]); created_at = '
      + 'NOW() (not a parameter). The upsert does not update created_at.',
  },
  {
    store: 'insights',
    method: 'store_debate_insights',
    line: 288,
    call: 'executemany',
    inTransaction: true,
    sql: `
                        INSERT INTO insights
                        (id, type, title, description, confidence, debate_id,
                         agents_involved, evidence, created_at, metadata)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                        ON CONFLICT (id) DO UPDATE SET
                            type = EXCLUDED.type,
                            title = EXCLUDED.title,
                            description = EXCLUDED.description,
                            confidence = EXCLUDED.confidence,
                            agents_involved = EXCLUDED.agents_involved,
                            evidence = EXCLUDED.evidence,
                            metadata = EXCLUDED.metadata
                        `,
    params: [
      'debate-1_consensus',
      'consensus',
      'Consensus on token bucket',
      'Agents agreed to use a token bucket',
      0.85,
      'debate-1',
      '["claude", "gpt4"]',
      '["msg-1"]',
      '2026-03-01T12:00:00',
      '{"consensus_strength": "strong"}',
    ],
    note:
      'conn.executemany, one parameter row per insight in insights.all_insights() (params = the '
      + 'first of the 2 rows the example debate produced); inside the store_debate_insights '
      + 'transaction. $9 is Insight.created_at, which the dataclass declares as str (default '
      + 'datetime.now().isoformat()), so Python binds an ISO string to a TIMESTAMPTZ parameter. The '
      + 'upsert does not update debate_id or created_at.',
    failsInApp:
      'asyncpg refuses a str for a TIMESTAMPTZ parameter and raises asyncpg.exceptions.DataError '
      + 'client-side ("invalid input for query argument $9 in element #0 of executemany() sequence: '
      + "'2026-03-01T12:00:00' (expected a datetime.date or datetime.datetime instance, got 'str')\"). "
      + 'That DataError is a PostgresError, not a ValueError, so the surrounding `except (OSError, '
      + 'ValueError, TypeError)` does not catch it: the whole transaction, including the '
      + 'debate_summaries upsert, rolls back, and the caller gets RuntimeError("generator didn\'t stop '
      + 'after athrow()") from acquire_connection_resilient (which also leaves a pool connection '
      + 'checked out). So in the app, store_debate_insights fails every time a debate has at least '
      + 'one insight. node-postgres sends the string as text, the server parses it, and the INSERT '
      + 'succeeds.',
  },
  {
    store: 'insights',
    method: 'store_debate_insights',
    line: 325,
    call: 'executemany',
    inTransaction: true,
    sql: `
                    INSERT INTO agent_performance_history
                    (agent_name, debate_id, proposals_made, critiques_given,
                     critiques_received, proposal_accepted, vote_aligned,
                     avg_critique_severity, contribution_score)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    `,
    params: ['claude', 'debate-1', 2, 3, 1, true, true, 0.4, 0.8],
    note:
      'conn.executemany, one row per AgentPerformance (params = the only row), inside the '
      + 'store_debate_insights transaction. Plain INSERT: storing the same debate again duplicates '
      + 'rows. In the app under asyncpg this is reached only when the debate produced no insights, '
      + 'because otherwise the insights executemany before it raises.',
    refs: [{ index: 1, references: 'debate_summaries.debate_id', onMissing: 'fk-violation' }],
  },
  {
    store: 'insights',
    method: 'store_debate_insights',
    line: 364,
    call: 'execute',
    inTransaction: true,
    sql: `
                    INSERT INTO pattern_clusters
                    (category, pattern_text, occurrence_count, avg_severity,
                     debate_ids, first_seen, last_seen)
                    SELECT
                        category,
                        pattern_text,
                        1,
                        avg_severity,
                        $4::jsonb,
                        $5,
                        $5
                    FROM UNNEST($1::text[], $2::text[], $3::float8[])
                        AS t(category, pattern_text, avg_severity)
                    ON CONFLICT (category, pattern_text) DO UPDATE SET
                        occurrence_count = pattern_clusters.occurrence_count + 1,
                        avg_severity = (pattern_clusters.avg_severity *
                            pattern_clusters.occurrence_count + EXCLUDED.avg_severity) /
                            (pattern_clusters.occurrence_count + 1),
                        debate_ids = pattern_clusters.debate_ids || EXCLUDED.debate_ids,
                        last_seen = EXCLUDED.last_seen
                    `,
    params: [['security'], ['Recurring Security Issues'], [0.6], '["debate-1"]', new Date('2026-03-01T12:00:01Z')],
    note:
      'Batch upsert through UNNEST, inside the store_debate_insights transaction; runs only when '
      + 'insights.pattern_insights is non-empty. $1 = [metadata.get("category", "general")], $2 = '
      + '[title], $3 = [metadata.get("avg_severity", 0.5)] (float8[]), $4 = json.dumps([debate_id]), '
      + '$5 = datetime.now(timezone.utc) used for both first_seen and last_seen. Pattern insights are '
      + 'also insights, so under asyncpg the failing insights executemany always runs first and this '
      + 'statement is never reached in the app. The statement itself works when it is reached '
      + '(checked with asyncpg and node-postgres).',
  },
  {
    store: 'insights',
    method: 'get_insight',
    line: 436,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT id, type, title, description, confidence,
                       debate_id, agents_involved, evidence, created_at, metadata
                FROM insights WHERE id = $1
                `,
    params: ['debate-1_consensus'],
  },
  {
    store: 'insights',
    method: 'search',
    line: 494,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, type, title, description, confidence,
                       debate_id, agents_involved, evidence, created_at, metadata
                FROM insights WHERE 1=1
             AND search_vector @@ plainto_tsquery('english', $1) AND type = $2 AND agents_involved @> $3::jsonb ORDER BY created_at DESC LIMIT $4`,
    params: ['token bucket', 'consensus', '["claude"]', 20],
    note:
      'Built dynamically. Base: `SELECT ... FROM insights WHERE 1=1`, then in this order, each only '
      + "if its argument is set: ` AND search_vector @@ plainto_tsquery('english', $n)` (query), ` "
      + 'AND type = $n` (insight_type.value), ` AND agents_involved @> $n::jsonb` '
      + '(json.dumps([agent])); then ` ORDER BY created_at DESC LIMIT $n`. Placeholders are numbered '
      + 'in the order the clauses are added. Shown for the case where all three filters are set. '
      + 'search_vector is maintained by the insight_search_vector_trigger.',
  },
  {
    store: 'insights',
    method: 'get_common_patterns',
    line: 525,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT category, pattern_text, occurrence_count, avg_severity, last_seen
                FROM pattern_clusters
                WHERE occurrence_count >= $1
             AND category = $2 ORDER BY occurrence_count DESC LIMIT $3`,
    params: [1, 'security', 10],
    note:
      'Built dynamically: ` AND category = $2` is added only when category is given, then ` ORDER '
      + 'BY occurrence_count DESC LIMIT $n`. Shown with a category.',
  },
  {
    store: 'insights',
    method: 'get_agent_stats',
    line: 545,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT
                    COUNT(*) as debate_count,
                    COALESCE(SUM(proposals_made), 0) as total_proposals,
                    COALESCE(SUM(CASE WHEN proposal_accepted THEN 1 ELSE 0 END), 0) as proposals_accepted,
                    COALESCE(SUM(critiques_given), 0) as total_critiques,
                    COALESCE(AVG(contribution_score), 0.5) as avg_contribution,
                    COALESCE(AVG(avg_critique_severity), 0.0) as avg_severity_received
                FROM agent_performance_history
                WHERE agent_name = $1
                `,
    params: ['claude'],
    note: 'Cached in Python for cache_ttl seconds. SUM(integer) is bigint and AVG(real) is double precision.',
  },
  {
    store: 'insights',
    method: 'get_all_agent_rankings',
    line: 580,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT
                    agent_name,
                    COUNT(*) as debate_count,
                    COALESCE(SUM(CASE WHEN proposal_accepted THEN 1 ELSE 0 END), 0) as proposals_accepted,
                    COALESCE(AVG(contribution_score), 0.5) as avg_contribution
                FROM agent_performance_history
                GROUP BY agent_name
                HAVING COUNT(*) >= 1
                ORDER BY avg_contribution DESC
                `,
    params: [],
  },
  {
    store: 'insights',
    method: 'get_recent_insights',
    line: 609,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, type, title, description, confidence,
                       debate_id, agents_involved, evidence, created_at, metadata
                FROM insights
                ORDER BY created_at DESC
                LIMIT $1
                `,
    params: [20],
    note: 'Cached in Python for cache_ttl seconds.',
  },
  {
    store: 'insights',
    method: 'get_stats',
    line: 630,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT
                    (SELECT COUNT(*) FROM insights) as total_insights,
                    (SELECT COUNT(*) FROM debate_summaries) as total_debates,
                    (SELECT COUNT(*) FROM debate_summaries WHERE consensus_reached = TRUE) as consensus_debates,
                    (SELECT COUNT(DISTINCT agent_name) FROM agent_performance_history) as unique_agents,
                    (SELECT COALESCE(AVG(total_insights), 0) FROM debate_summaries) as avg_insights
            `,
    params: [],
    note: 'First of the two get_stats queries.',
  },
  {
    store: 'insights',
    method: 'get_stats',
    line: 650,
    call: 'fetch',
    inTransaction: false,
    sql: `SELECT type, COUNT(*) as count FROM insights GROUP BY type`,
    params: [],
    note: 'Second of the two get_stats queries.',
  },
  {
    store: 'insights',
    method: 'add_wisdom_submission',
    line: 670,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                INSERT INTO wisdom_submissions (loop_id, text, submitter_id, context_tags)
                VALUES ($1, $2, $3, $4)
                RETURNING id
                `,
    params: ['loop-1', 'Consider burst limits', 'user-1', '["rate-limit"]'],
    note:
      'RETURNING id (SERIAL). $2 = wisdom_data.get("text", "")[:280]; $3 defaults to "anonymous"; '
      + '$4 = json.dumps(context_tags or []).',
  },
  {
    store: 'insights',
    method: 'get_relevant_wisdom',
    line: 696,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, text, submitter_id, context_tags, created_at
                FROM wisdom_submissions
                WHERE loop_id = $1 AND used = FALSE
                ORDER BY created_at DESC
                LIMIT $2
                `,
    params: ['loop-1', 3],
  },
  {
    store: 'insights',
    method: 'mark_wisdom_used',
    line: 725,
    call: 'execute',
    inTransaction: false,
    sql: `UPDATE wisdom_submissions SET used = TRUE WHERE id = $1`,
    params: [1],
    note: '$1 is a wisdom_submissions.id (SERIAL), as returned by add_wisdom_submission (1 on a fresh ' + 'table).',
    refs: [{ index: 0, references: 'wisdom_submissions.id', onMissing: 'no-op' }],
  },
  {
    store: 'insights',
    method: 'get_relevant_insights',
    line: 774,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, type, title, description, confidence,
                       debate_id, agents_involved, evidence, created_at, metadata
                FROM insights
                WHERE confidence >= $1
            
                    AND (
                        metadata::text ILIKE $2
                        OR title ILIKE $2
                        OR description ILIKE $2
                    )
                 ORDER BY confidence DESC, created_at DESC LIMIT $3`,
    params: [0.5, '%security%', 5],
    note:
      'Built dynamically: when domain is given, ` AND (metadata::text ILIKE $2 OR title ILIKE $2 OR '
      + 'description ILIKE $2)` with $2 = f"%{domain}%" is added; then ` ORDER BY confidence DESC, '
      + 'created_at DESC LIMIT $n`. Shown with a domain.',
  },
  {
    store: 'insights',
    method: 'record_insight_usage',
    line: 792,
    call: 'execute',
    inTransaction: true,
    sql: `
                INSERT INTO insight_usage (insight_id, debate_id, was_successful, created_at)
                VALUES ($1, $2, $3, NOW())
                ON CONFLICT (insight_id, debate_id) DO UPDATE SET
                    was_successful = EXCLUDED.was_successful,
                    created_at = NOW()
                `,
    params: ['debate-1_consensus', 'debate-2', true],
    note:
      'First statement of the record_insight_usage transaction. Upsert on (insight_id, debate_id); '
      + 'neither column is a foreign key.',
  },
  {
    store: 'insights',
    method: 'record_insight_usage',
    line: 807,
    call: 'execute',
    inTransaction: true,
    sql: `
                UPDATE insights
                SET confidence = LEAST(0.99, GREATEST(0.1, confidence + $1))
                WHERE id = $2
                `,
    params: [0.05, 'debate-1_consensus'],
    note: 'Second statement of the record_insight_usage transaction. $1 = 0.05 if was_successful else -0.03.',
    refs: [{ index: 1, references: 'insights.id', onMissing: 'no-op' }],
  },
  {
    store: 'insights',
    method: 'get_insight_usage_stats',
    line: 827,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT
                    COUNT(*) as total_uses,
                    COALESCE(SUM(CASE WHEN was_successful THEN 1 ELSE 0 END), 0) as successful_uses
                FROM insight_usage
                WHERE insight_id = $1
                `,
    params: ['debate-1_consensus'],
  },
];

/** PostgresContinuumMemory (aragora/memory/postgres_continuum.py at a66b5bf06^): 35 statements, in replay order. */
export const CONTINUUM_STATEMENTS: readonly AppStatement[] = [
  {
    store: 'continuum',
    method: 'add',
    line: 257,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO continuum_memory
                (id, tier, content, importance, surprise_score, consolidation_score,
                 update_count, success_count, failure_count, created_at, updated_at, metadata)
                VALUES ($1, $2, $3, $4, 0.0, 0.0, 1, 0, 0, $5, $5, $6)
                ON CONFLICT (id) DO UPDATE SET
                    content = EXCLUDED.content,
                    tier = EXCLUDED.tier,
                    importance = EXCLUDED.importance,
                    updated_at = EXCLUDED.updated_at,
                    metadata = EXCLUDED.metadata
                `,
    params: [
      'mem-1',
      'slow',
      'Error handling pattern: retry with backoff',
      0.8,
      new Date('2026-03-01T12:00:02Z'),
      '{"pattern_type": "error_handling"}',
    ],
    note:
      'Also reached through the alias store(). $2 = tier value, $5 = datetime.now() (naive) for '
      + 'both created_at and updated_at, $6 = json.dumps(metadata or {}). The upsert leaves the '
      + 'counters and created_at alone.',
  },
  {
    store: 'continuum',
    method: 'get',
    line: 319,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT id, tier, content, importance, surprise_score, consolidation_score,
                       update_count, success_count, failure_count, created_at, updated_at,
                       metadata, COALESCE(red_line, FALSE), COALESCE(red_line_reason, '')
                FROM continuum_memory
                WHERE id = $1
                `,
    params: ['mem-1'],
    note: 'Also reached through the alias get_entry(). Python reads the row by position (row[0]..row[13]).',
  },
  {
    store: 'continuum',
    method: 'update',
    line: 397,
    call: 'execute',
    inTransaction: false,
    sql: `
                UPDATE continuum_memory
                SET content = $1, importance = $2, metadata = $3, surprise_score = $4, consolidation_score = $5, updated_at = $6
                WHERE id = $7
                `,
    params: [
      'Error handling pattern: retry with exponential backoff',
      0.9,
      '{"pattern_type": "error_handling"}',
      0.9,
      0.1,
      new Date('2026-03-01T12:00:04Z'),
      'mem-1',
    ],
    note:
      'Built dynamically: the SET list holds, in this order, whichever of content, importance, '
      + 'metadata (json.dumps), surprise_score, consolidation_score are not None, each as `col = $n`, '
      + 'then always `updated_at = $n` (datetime.now()); the id is the last placeholder. With no '
      + 'optional field given Python returns False and runs no SQL. Shown with all five fields. '
      + 'Python returns `result == "UPDATE 1"`.',
    refs: [{ index: 6, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'retrieve',
    line: 540,
    call: 'fetch',
    inTransaction: false,
    sql: `
            SELECT id, tier, content, importance, surprise_score, consolidation_score,
                   update_count, success_count, failure_count, created_at, updated_at,
                   metadata, COALESCE(red_line, FALSE), COALESCE(red_line_reason, ''),
                   (importance * (1 + surprise_score) *
                    (1.0 / (1 + EXTRACT(EPOCH FROM (NOW() - updated_at)) / 86400 *
                     CASE tier
                       WHEN 'fast' THEN 24
                       WHEN 'medium' THEN 1
                       WHEN 'slow' THEN 0.14
                       WHEN 'glacial' THEN 0.03
                     END))) as score
            FROM continuum_memory
            WHERE tier = ANY($1)
              AND importance >= $2
         AND (LOWER(content) LIKE $3 OR LOWER(content) LIKE $4) ORDER BY score DESC LIMIT $5`,
    params: [['fast', 'medium', 'slow', 'glacial'], 0.0, '%error%', '%handling%', 10],
    note:
      'Built dynamically: $1 = list of tier values (text[], compared with = ANY), $2 = '
      + 'min_importance; if query is given, up to 50 whitespace-separated lower-cased keywords each '
      + 'add `LOWER(content) LIKE $n` with "%kw%", joined with OR inside ` AND (...)`; then ` ORDER '
      + 'BY score DESC LIMIT $n`. Shown with query="error handling", all four tiers '
      + '(include_glacial=True).',
  },
  {
    store: 'continuum',
    method: 'get_by_tier',
    line: 564,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, tier, content, importance, surprise_score, consolidation_score,
                       update_count, success_count, failure_count, created_at, updated_at,
                       metadata, COALESCE(red_line, FALSE), COALESCE(red_line_reason, '')
                FROM continuum_memory
                WHERE tier = $1 AND importance >= $2
                ORDER BY importance DESC
                LIMIT $3
                `,
    params: ['slow', 0.0, 100],
    note: 'Also reached through get_glacial_insights() (tier "glacial").',
  },
  {
    store: 'continuum',
    method: 'promote',
    line: 699,
    call: 'fetchrow',
    inTransaction: true,
    sql: `
                SELECT tier, surprise_score, last_promotion_at
                FROM continuum_memory
                WHERE id = $1
                FOR UPDATE
                `,
    params: ['mem-1'],
    note:
      'First statement of the promote transaction (row lock). Python-side caveat, not SQL: once a '
      + 'memory has been promoted, last_promotion_at comes back as a datetime and '
      + 'TierManager.should_promote() calls datetime.fromisoformat() on it, so a second promote() of '
      + 'the same memory raises TypeError (seen as RuntimeError from acquire_connection_resilient).',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'promote',
    line: 728,
    call: 'execute',
    inTransaction: true,
    sql: `
                UPDATE continuum_memory
                SET tier = $1, last_promotion_at = $2, updated_at = $2
                WHERE id = $3
                `,
    params: ['medium', new Date('2026-03-01T12:00:05Z'), 'mem-1'],
    note:
      'promote, same transaction: $1 = next faster tier, $2 = datetime.now() for last_promotion_at '
      + 'and updated_at.',
    refs: [{ index: 2, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'promote',
    line: 740,
    call: 'execute',
    inTransaction: true,
    sql: `
                INSERT INTO tier_transitions (memory_id, from_tier, to_tier, reason, surprise_score)
                VALUES ($1, $2, $3, 'high_surprise', $4)
                `,
    params: ['mem-1', 'slow', 'medium', 0.8999999761581421],
    note:
      "promote, same transaction. The reason is the literal 'high_surprise'; $4 is surprise_score "
      + 'as read back from the REAL column (float32 precision).',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'fk-violation' }],
  },
  {
    store: 'continuum',
    method: 'update_outcome',
    line: 607,
    call: 'fetchrow',
    inTransaction: true,
    sql: `
                SELECT success_count, failure_count, surprise_score, tier
                FROM continuum_memory
                WHERE id = $1
                FOR UPDATE
                `,
    params: ['mem-1'],
    note: 'First statement of the update_outcome transaction (row lock).',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'update_outcome',
    line: 654,
    call: 'execute',
    inTransaction: true,
    sql: `
                    UPDATE continuum_memory
                    SET success_count = success_count + 1,
                        update_count = update_count + 1,
                        surprise_score = $1,
                        consolidation_score = $2,
                        updated_at = $3
                    WHERE id = $4
                    `,
    params: [0.6749999833106994, 0.15051499783199057, new Date('2026-03-01T12:00:06Z'), 'mem-1'],
    note:
      'update_outcome, success branch, same transaction. $1/$2 (new surprise and consolidation '
      + 'scores) are computed in Python; $3 = datetime.now().',
    refs: [{ index: 3, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'update_outcome',
    line: 670,
    call: 'execute',
    inTransaction: true,
    sql: `
                    UPDATE continuum_memory
                    SET failure_count = failure_count + 1,
                        update_count = update_count + 1,
                        surprise_score = $1,
                        consolidation_score = $2,
                        updated_at = $3
                    WHERE id = $4
                    `,
    params: [0.5745000083446502, 0.23856062735983122, new Date('2026-03-01T12:00:07Z'), 'mem-1'],
    note: 'update_outcome, failure branch, same transaction. $1/$2 computed in Python; $3 = datetime.now().',
    refs: [{ index: 3, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'demote',
    line: 762,
    call: 'fetchrow',
    inTransaction: true,
    sql: `
                SELECT tier, surprise_score, update_count
                FROM continuum_memory
                WHERE id = $1
                FOR UPDATE
                `,
    params: ['mem-1'],
    note: 'First statement of the demote transaction (row lock).',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'demote',
    line: 791,
    call: 'execute',
    inTransaction: true,
    sql: `
                UPDATE continuum_memory
                SET tier = $1, updated_at = $2
                WHERE id = $3
                `,
    params: ['slow', new Date('2026-03-01T12:00:08Z'), 'mem-1'],
    note: 'demote, same transaction: $1 = next slower tier, $2 = datetime.now().',
    refs: [{ index: 2, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'demote',
    line: 803,
    call: 'execute',
    inTransaction: true,
    sql: `
                INSERT INTO tier_transitions (memory_id, from_tier, to_tier, reason, surprise_score)
                VALUES ($1, $2, $3, 'high_stability', $4)
                `,
    params: ['mem-1', 'medium', 'slow', 0.5745000243186951],
    note: "demote, same transaction. The reason is the literal 'high_stability'.",
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'fk-violation' }],
  },
  {
    store: 'continuum',
    method: 'promote_entry',
    line: 821,
    call: 'execute',
    inTransaction: false,
    sql: `
                UPDATE continuum_memory
                SET tier = $1, updated_at = $2
                WHERE id = $3
                `,
    params: ['medium', new Date('2026-03-01T12:00:09Z'), 'mem-1'],
    note:
      'Also reached through demote_entry(). No transaction and no tier_transitions row. Python '
      + 'returns `result == "UPDATE 1"`.',
    refs: [{ index: 2, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'mark_red_line',
    line: 859,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT tier FROM continuum_memory WHERE id = $1`,
    params: ['mem-1'],
    note: 'First statement of mark_red_line (no transaction).',
  },
  {
    store: 'continuum',
    method: 'mark_red_line',
    line: 871,
    call: 'execute',
    inTransaction: false,
    sql: `
                    UPDATE continuum_memory
                    SET red_line = TRUE, red_line_reason = $1, tier = $2,
                        importance = 1.0, updated_at = $3
                    WHERE id = $4
                    `,
    params: ['safety-critical', 'glacial', new Date('2026-03-01T12:00:10Z'), 'mem-1'],
    note:
      'mark_red_line branch taken when promote_to_glacial and the current tier is not "glacial". $2 '
      + '= "glacial", $3 = datetime.now().',
    refs: [{ index: 3, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'mark_red_line',
    line: 884,
    call: 'execute',
    inTransaction: false,
    sql: `
                    UPDATE continuum_memory
                    SET red_line = TRUE, red_line_reason = $1, importance = 1.0, updated_at = $2
                    WHERE id = $3
                    `,
    params: ['safety-critical', new Date('2026-03-01T12:00:11Z'), 'mem-1'],
    note: 'mark_red_line branch taken otherwise (promote_to_glacial=False or already glacial).',
    refs: [{ index: 2, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'get_red_line_memories',
    line: 900,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, tier, content, importance, surprise_score, consolidation_score,
                       update_count, success_count, failure_count, created_at, updated_at,
                       metadata, COALESCE(red_line, FALSE), COALESCE(red_line_reason, '')
                FROM continuum_memory
                WHERE red_line = TRUE
                ORDER BY created_at ASC
                `,
    params: [],
  },
  {
    store: 'continuum',
    method: 'get_stats',
    line: 919,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT tier, COUNT(*) as count, AVG(importance) as avg_importance,
                       AVG(surprise_score) as avg_surprise
                FROM continuum_memory
                GROUP BY tier
                `,
    params: [],
    note: 'First of the two get_stats queries.',
  },
  {
    store: 'continuum',
    method: 'get_stats',
    line: 926,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM continuum_memory`,
    params: [],
    note: 'Second of the two get_stats queries.',
  },
  {
    store: 'continuum',
    method: 'count',
    line: 948,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM continuum_memory WHERE tier = $1`,
    params: ['glacial'],
    note: 'count(tier=...) overrides PostgresStore.count(); branch taken with a tier.',
  },
  {
    store: 'continuum',
    method: 'count',
    line: 953,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM continuum_memory`,
    params: [],
    note: 'count() without a tier.',
  },
  {
    store: 'continuum',
    method: 'consolidate',
    line: 967,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, tier, surprise_score
                FROM continuum_memory
                WHERE tier != 'fast'
                  AND surprise_score > 0.7
                ORDER BY surprise_score DESC
                LIMIT 100
                `,
    params: [],
    note:
      'consolidate(): promotion candidates. consolidate() then calls promote() for each id ' + '(statements above).',
  },
  {
    store: 'continuum',
    method: 'consolidate',
    line: 977,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT id, tier, surprise_score, update_count
                FROM continuum_memory
                WHERE tier != 'glacial'
                  AND surprise_score < 0.3
                  AND update_count > 10
                ORDER BY surprise_score ASC
                LIMIT 100
                `,
    params: [],
    note: 'consolidate(): demotion candidates. consolidate() then calls demote() for each id ' + '(statements above).',
  },
  {
    store: 'continuum',
    method: 'cleanup_expired_memories',
    line: 1044,
    call: 'fetch',
    inTransaction: true,
    sql: `
                    SELECT id FROM continuum_memory
                    WHERE tier = $1
                      AND red_line = FALSE
                      AND EXTRACT(EPOCH FROM updated_at) < $2
                    LIMIT 1000
                    `,
    params: ['fast', 1772366411.9999964],
    note:
      'First statement of the per-tier cleanup_expired_memories transaction. $2 = '
      + 'datetime.now().timestamp() - age_hours * 3600 (a float compared with EXTRACT(EPOCH ...)); '
      + 'age_hours = max_age_hours or half_life_hours * 2.0. Shown for tier "fast".',
  },
  {
    store: 'continuum',
    method: 'cleanup_expired_memories',
    line: 1061,
    call: 'execute',
    inTransaction: true,
    sql: `
                        INSERT INTO continuum_memory_archive
                        (id, tier, content, importance, surprise_score, consolidation_score,
                         update_count, success_count, failure_count, semantic_centroid,
                         created_at, updated_at, archive_reason, metadata)
                        SELECT id, tier, content, importance, surprise_score, consolidation_score,
                               update_count, success_count, failure_count, semantic_centroid,
                               created_at, updated_at, 'expired', metadata
                        FROM continuum_memory
                        WHERE id = ANY($1)
                        `,
    params: [['mem-3']],
    note:
      'cleanup_expired_memories, same transaction, when archive=True and some ids expired. $1 = '
      + "list of expired ids (text[] via = ANY); 'mem-3' was a second memory (tier fast) that the "
      + 'recorded run added with another add() call, so on a plain replay of this array it does not '
      + 'exist and this statement and the DELETE after it touch 0 rows (substitute an expired, '
      + 'non-red-line fast memory). continuum_memory_archive.id is a PRIMARY KEY and there is no ON '
      + 'CONFLICT: archiving an id that is already in the archive (a memory re-added under the same '
      + "id after being archived) raises unique_violation and rolls the tier's cleanup back.",
    refs: [{ index: 0, references: 'continuum_memory.id (array)', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'cleanup_expired_memories',
    line: 1079,
    call: 'execute',
    inTransaction: true,
    sql: `DELETE FROM continuum_memory WHERE id = ANY($1)`,
    params: [['mem-3']],
    note: 'cleanup_expired_memories, same transaction. tier_transitions rows cascade.',
    refs: [{ index: 0, references: 'continuum_memory.id (array)', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'get_archive_stats',
    line: 1093,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT COUNT(*) as total,
                       MIN(archived_at) as oldest,
                       MAX(archived_at) as newest
                FROM continuum_memory_archive
                `,
    params: [],
    note: 'First of the two get_archive_stats queries.',
  },
  {
    store: 'continuum',
    method: 'get_archive_stats',
    line: 1100,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT tier, COUNT(*) as count
                FROM continuum_memory_archive
                GROUP BY tier
                `,
    params: [],
    note: 'Second of the two get_archive_stats queries.',
  },
  {
    store: 'continuum',
    method: 'get_cross_session_patterns',
    line: 1151,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT id, tier, content, importance, surprise_score, consolidation_score,
                           update_count, success_count, failure_count, created_at, updated_at,
                           metadata, COALESCE(red_line, FALSE), COALESCE(red_line_reason, '')
                    FROM continuum_memory
                    WHERE tier = 'glacial'
                      AND metadata->>'pattern_type' = $1
                    ORDER BY importance DESC
                    LIMIT $2
                    `,
    params: ['error_handling', 20],
    note: 'Branch taken when pattern_type is given.',
  },
  {
    store: 'continuum',
    method: 'get_cross_session_patterns',
    line: 1166,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT id, tier, content, importance, surprise_score, consolidation_score,
                           update_count, success_count, failure_count, created_at, updated_at,
                           metadata, COALESCE(red_line, FALSE), COALESCE(red_line_reason, '')
                    FROM continuum_memory
                    WHERE tier = 'glacial'
                    ORDER BY importance DESC
                    LIMIT $1
                    `,
    params: [20],
    note: 'Branch taken when pattern_type is None.',
  },
  {
    store: 'continuum',
    method: 'delete',
    line: 428,
    call: 'fetchrow',
    inTransaction: true,
    sql: `SELECT red_line FROM continuum_memory WHERE id = $1`,
    params: ['mem-1'],
    note:
      'First statement of the delete transaction. Python stops here if the row is missing, or if '
      + 'red_line is set and force=False.',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'delete',
    line: 442,
    call: 'execute',
    inTransaction: true,
    sql: `
                    INSERT INTO continuum_memory_archive
                    (id, tier, content, importance, surprise_score, consolidation_score,
                     update_count, success_count, failure_count, semantic_centroid,
                     created_at, updated_at, archive_reason, metadata)
                    SELECT id, tier, content, importance, surprise_score, consolidation_score,
                           update_count, success_count, failure_count, semantic_centroid,
                           created_at, updated_at, $2, metadata
                    FROM continuum_memory
                    WHERE id = $1
                    `,
    params: ['mem-1', 'user_deleted'],
    note:
      'delete, same transaction, when archive=True. $2 = reason. Same archive PRIMARY KEY caveat as '
      + 'in cleanup_expired_memories.',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
  {
    store: 'continuum',
    method: 'delete',
    line: 460,
    call: 'execute',
    inTransaction: true,
    sql: `DELETE FROM continuum_memory WHERE id = $1`,
    params: ['mem-1'],
    note: 'delete, same transaction. tier_transitions rows cascade.',
    refs: [{ index: 0, references: 'continuum_memory.id', onMissing: 'no-op' }],
  },
];

/** PostgresConsensusMemory (aragora/memory/postgres_consensus.py at a66b5bf06^): 23 statements, in replay order. */
export const CONSENSUS_STATEMENTS: readonly AppStatement[] = [
  {
    store: 'consensus',
    method: 'store_consensus',
    line: 232,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO consensus
                (id, topic, topic_hash, conclusion, strength, confidence, domain, tags, timestamp, data)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                `,
    params: [
      '00000000-0000-4000-8000-000000000001',
      'Rate limiting approach',
      '27c18c4635ab2b10',
      'Use token bucket algorithm',
      'strong',
      0.85,
      'engineering',
      '["api"]',
      new Date('2026-03-01T12:00:13Z'),
      '{"id": "00000000-0000-4000-8000-000000000001", "topic": "Rate limiting approach", "topic_hash": "27c18c4635ab2b10", "conclusion": "Use token bucket algorithm", "strength": "strong", "confidence": 0.85, "participating_agents": ["claude", "gpt4"], "agreeing_agents": ["claude", "gpt4"], "dissenting_agents": [], "key_claims": [], "supporting_evidence": [], "dissent_ids": [], "domain": "engineering", "tags": ["api"], "timestamp": "2026-03-01T12:00:13", "debate_duration_seconds": 0.0, "rounds": 0, "supersedes": null, "superseded_by": null, "metadata": {}}',
    ],
    note:
      'No transaction. $1 = str(uuid.uuid4()) (placeholder uuid here), $3 = sha256 of the sorted '
      + 'set of lower-cased words of the topic, first 16 hex digits, $8 = json.dumps(tags or []), $9 '
      + '= datetime.now() (naive), $10 = json.dumps(data), where data is the dict store_consensus '
      + 'builds: id, topic, topic_hash, conclusion, strength, confidence, participating_agents, '
      + 'agreeing_agents, dissenting_agents, key_claims, supporting_evidence, dissent_ids=[], domain, '
      + 'tags, timestamp=now.isoformat(), debate_duration_seconds, rounds, supersedes, '
      + 'superseded_by=None, metadata.',
  },
  {
    store: 'consensus',
    method: 'store_consensus',
    line: 252,
    call: 'execute',
    inTransaction: false,
    sql: `
                    UPDATE consensus
                    SET data = jsonb_set(data, '{superseded_by}', $1::jsonb)
                    WHERE id = $2
                    `,
    params: ['"00000000-0000-4000-8000-000000000002"', '00000000-0000-4000-8000-000000000001'],
    note:
      'store_consensus, only when supersedes is given; same connection, no transaction. $1 = '
      + 'json.dumps(new record id), i.e. a JSON string; $2 = supersedes (the old consensus id). The '
      + 'params come from a second store_consensus call whose new id is ...0002.',
    refs: [{ index: 1, references: 'consensus.id', onMissing: 'no-op' }],
  },
  {
    store: 'consensus',
    method: 'get_consensus',
    line: 275,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT data FROM consensus WHERE id = $1`,
    params: ['00000000-0000-4000-8000-000000000001'],
  },
  {
    store: 'consensus',
    method: 'get_by_topic_hash',
    line: 299,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT data FROM consensus
                WHERE topic_hash = $1
                ORDER BY timestamp DESC
                LIMIT 1
                `,
    params: ['27c18c4635ab2b10'],
  },
  {
    store: 'consensus',
    method: 'find_similar',
    line: 343,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT data FROM consensus
                WHERE topic_hash = $1 AND confidence >= $2
                ORDER BY timestamp DESC
                LIMIT 1
                `,
    params: ['b8b4e2c9418f6923', 0.0],
    note: 'find_similar, first query (exact topic-hash match). $1 = _hash_topic(topic).',
  },
  {
    store: 'consensus',
    method: 'find_similar',
    line: 383,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT data FROM consensus
                    WHERE (LOWER(topic) LIKE $3 OR LOWER(topic) LIKE $4 OR LOWER(topic) LIKE $5)
                      AND confidence >= $1
                      AND topic_hash != $2
                 AND domain = $6 ORDER BY confidence DESC, timestamp DESC LIMIT $7`,
    params: [0.0, 'b8b4e2c9418f6923', '%rate%', '%limiting%', '%strategy%', 'engineering', 5],
    note:
      'Built dynamically: up to 20 lower-cased whitespace-separated keywords of topic become '
      + '`LOWER(topic) LIKE $3`, `$4`, ... (OR-joined) with "%kw%"; $1 = min_confidence, $2 = topic '
      + 'hash; when domain is given ` AND domain = $n` is added; the LIMIT is limit minus the number '
      + 'of exact matches already found. Runs only when there are keywords and fewer than limit '
      + 'results. Shown for topic "rate limiting strategy", domain "engineering", no exact match.',
  },
  {
    store: 'consensus',
    method: 'get_recent',
    line: 412,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT data FROM consensus
                    WHERE domain = $1 AND confidence >= $2
                    ORDER BY timestamp DESC
                    LIMIT $3
                    `,
    params: ['engineering', 0.0, 10],
    note: 'Branch taken when a domain is given (also used by get_by_domain()).',
  },
  {
    store: 'consensus',
    method: 'get_recent',
    line: 424,
    call: 'fetch',
    inTransaction: false,
    sql: `
                    SELECT data FROM consensus
                    WHERE confidence >= $1
                    ORDER BY timestamp DESC
                    LIMIT $2
                    `,
    params: [0.0, 10],
    note: 'Branch taken when no domain is given.',
  },
  {
    store: 'consensus',
    method: 'count',
    line: 458,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM consensus WHERE domain = $1`,
    params: ['engineering'],
    note: 'count(domain=...) overrides PostgresStore.count(); branch taken with a domain.',
  },
  {
    store: 'consensus',
    method: 'count',
    line: 463,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT COUNT(*) as count FROM consensus`,
    params: [],
    note: 'count() without a domain.',
  },
  {
    store: 'consensus',
    method: 'store_dissent',
    line: 518,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO dissent
                (id, debate_id, agent_id, dissent_type, content, reasoning,
                 confidence, acknowledged, rebuttal, timestamp, data)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                `,
    params: [
      '00000000-0000-4000-8000-000000000003',
      '00000000-0000-4000-8000-000000000001',
      'gpt4',
      'alternative_approach',
      'Prefer leaky bucket',
      'Smoother output',
      0.6,
      false,
      '',
      new Date('2026-03-01T12:00:15Z'),
      '{"id": "00000000-0000-4000-8000-000000000003", "debate_id": "00000000-0000-4000-8000-000000000001", "agent_id": "gpt4", "dissent_type": "alternative_approach", "content": "Prefer leaky bucket", "reasoning": "Smoother output", "confidence": 0.6, "acknowledged": false, "rebuttal": "", "timestamp": "2026-03-01T12:00:15", "metadata": {"round": 2}}',
    ],
    note:
      'No transaction. $1 = str(uuid.uuid4()) (placeholder), $10 = datetime.now(), $11 = '
      + 'json.dumps(data) where data holds id, debate_id, agent_id, dissent_type, content, reasoning, '
      + 'confidence, acknowledged, rebuttal, timestamp, metadata. The column is named debate_id but '
      + 'its foreign key points at consensus(id), so $2 must be a consensus record id.',
    refs: [{ index: 1, references: 'consensus.id', onMissing: 'fk-violation' }],
  },
  {
    store: 'consensus',
    method: 'store_dissent',
    line: 539,
    call: 'execute',
    inTransaction: false,
    sql: `
                UPDATE consensus
                SET data = jsonb_set(
                    data,
                    '{dissent_ids}',
                    (COALESCE(data->'dissent_ids', '[]'::jsonb) || $1::jsonb)
                )
                WHERE id = $2
                `,
    params: ['["00000000-0000-4000-8000-000000000003"]', '00000000-0000-4000-8000-000000000001'],
    note:
      'store_dissent, same connection, no transaction (so a failure here leaves the dissent row '
      + 'without the back-reference). $1 = json.dumps([dissent_id]), appended to data.dissent_ids.',
    refs: [{ index: 1, references: 'consensus.id', onMissing: 'no-op' }],
  },
  {
    store: 'consensus',
    method: 'get_dissent',
    line: 558,
    call: 'fetchrow',
    inTransaction: false,
    sql: `SELECT data FROM dissent WHERE id = $1`,
    params: ['00000000-0000-4000-8000-000000000003'],
  },
  {
    store: 'consensus',
    method: 'get_dissents_for_debate',
    line: 574,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT data FROM dissent
                WHERE debate_id = $1
                ORDER BY timestamp ASC
                `,
    params: ['00000000-0000-4000-8000-000000000001'],
  },
  {
    store: 'consensus',
    method: 'get_dissents_by_agent',
    line: 598,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT data FROM dissent
                WHERE agent_id = $1
                ORDER BY timestamp DESC
                LIMIT $2
                `,
    params: ['gpt4', 50],
  },
  {
    store: 'consensus',
    method: 'get_dissents_by_type',
    line: 624,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT data FROM dissent
                WHERE dissent_type = $1
                ORDER BY timestamp DESC
                LIMIT $2
                `,
    params: ['alternative_approach', 50],
  },
  {
    store: 'consensus',
    method: 'acknowledge_dissent',
    line: 650,
    call: 'execute',
    inTransaction: false,
    sql: `
                UPDATE dissent
                SET acknowledged = TRUE,
                    rebuttal = $1,
                    data = jsonb_set(
                        jsonb_set(data, '{acknowledged}', 'true'),
                        '{rebuttal}', $2::jsonb
                    )
                WHERE id = $3
                `,
    params: ['Bursts matter more', '"Bursts matter more"', '00000000-0000-4000-8000-000000000003'],
    note:
      '$1 = rebuttal (text column), $2 = json.dumps(rebuttal) (a JSON string for data.rebuttal); '
      + 'the \'true\' literal becomes jsonb. Python returns `result == "UPDATE 1"`.',
    refs: [{ index: 2, references: 'dissent.id', onMissing: 'no-op' }],
  },
  {
    store: 'consensus',
    method: 'store_proof',
    line: 706,
    call: 'execute',
    inTransaction: false,
    sql: `
                INSERT INTO verified_proofs
                (id, debate_id, proof_status, language, formal_statement, is_verified,
                 proof_hash, translation_time_ms, proof_search_time_ms, prover_version,
                 error_message, timestamp, data)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                `,
    params: [
      '00000000-0000-4000-8000-000000000004',
      '00000000-0000-4000-8000-000000000001',
      'proved',
      'lean4',
      'theorem rate_ok : True',
      true,
      'abc123',
      120.5,
      340.0,
      'lean 4.3.0',
      null,
      new Date('2026-03-01T12:00:16Z'),
      '{"id": "00000000-0000-4000-8000-000000000004", "debate_id": "00000000-0000-4000-8000-000000000001", "proof_status": "proved", "language": "lean4", "formal_statement": "theorem rate_ok : True", "is_verified": true, "proof_hash": "abc123", "translation_time_ms": 120.5, "proof_search_time_ms": 340.0, "prover_version": "lean 4.3.0", "error_message": null, "timestamp": "2026-03-01T12:00:16", "metadata": {"k": "v"}}',
    ],
    note:
      'No transaction. $1 = str(uuid.uuid4()) (placeholder), $12 = datetime.now(), $13 = '
      + 'json.dumps(data); None values are bound as NULL.',
    refs: [{ index: 1, references: 'consensus.id', onMissing: 'fk-violation' }],
  },
  {
    store: 'consensus',
    method: 'get_proofs_for_debate',
    line: 734,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT data FROM verified_proofs
                WHERE debate_id = $1
                ORDER BY timestamp ASC
                `,
    params: ['00000000-0000-4000-8000-000000000001'],
  },
  {
    store: 'consensus',
    method: 'get_verified_proofs',
    line: 754,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT data FROM verified_proofs
                WHERE is_verified = TRUE
                ORDER BY timestamp DESC
                LIMIT $1
                `,
    params: [50],
  },
  {
    store: 'consensus',
    method: 'get_stats',
    line: 780,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT strength, COUNT(*) as count
                FROM consensus
                GROUP BY strength
                `,
    params: [],
    note: 'First of the three get_stats queries.',
  },
  {
    store: 'consensus',
    method: 'get_stats',
    line: 787,
    call: 'fetch',
    inTransaction: false,
    sql: `
                SELECT domain, COUNT(*) as count
                FROM consensus
                GROUP BY domain
                ORDER BY count DESC
                LIMIT 10
                `,
    params: [],
    note: 'Second of the three get_stats queries.',
  },
  {
    store: 'consensus',
    method: 'get_stats',
    line: 796,
    call: 'fetchrow',
    inTransaction: false,
    sql: `
                SELECT
                    (SELECT COUNT(*) FROM consensus) as total_consensus,
                    (SELECT COUNT(*) FROM dissent) as total_dissent,
                    (SELECT COUNT(*) FROM verified_proofs) as total_proofs,
                    (SELECT COUNT(*) FROM verified_proofs WHERE is_verified = TRUE) as verified_proofs,
                    (SELECT AVG(confidence) FROM consensus) as avg_confidence
                `,
    params: [],
    note: 'Third of the three get_stats queries. AVG(real) is double precision.',
  },
];

/** Every statement of the four stores, in store order (elo, insights, continuum, consensus). */
export const ALL_APP_STATEMENTS: readonly AppStatement[] = [
  ...ELO_STATEMENTS,
  ...INSIGHTS_STATEMENTS,
  ...CONTINUUM_STATEMENTS,
  ...CONSENSUS_STATEMENTS,
];
