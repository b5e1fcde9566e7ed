/**
 * Aragora's own PostgreSQL DDL for four stores, copied verbatim, plus a faithful re-implementation
 * of the schema bootstrap they share (PostgresStore.initialize()).
 *
 * Sources in the Aragora repository (github.com/an0mium/aragora):
 *   - aragora/storage/postgres_store.py      PostgresStore.initialize(), _run_migrations(), _schema_versions
 *                                            at cd2985adf (HEAD, cd2985adf864aa9fcc10d2c26b906bbd00a0c2b6);
 *                                            at a66b5bf06^ it differs only in log calls
 *   - aragora/ranking/postgres_database.py   PostgresEloDatabase      at cd2985adf (HEAD)
 *   - aragora/insights/postgres_store.py     PostgresInsightStore     at cd2985adf (HEAD)
 *   - aragora/memory/postgres_continuum.py   PostgresContinuumMemory  at a66b5bf06^
 *                                            (6d72729f9b780ad4dd4ed0247e87b6d8cd2285a3; the file was deleted by
 *                                            a66b5bf06 "chore: delete 17 dead code modules")
 *   - aragora/memory/postgres_consensus.py   PostgresConsensusMemory  at a66b5bf06^ (same commit)
 *
 * Every SQL string here is byte-for-byte the Python string (checked against the values of the
 * imported Python modules and against what asyncpg was handed at run time).
 */
import type pg from 'pg';

export type AppStoreKey = 'elo' | 'insights' | 'continuum' | 'consensus';

export interface AppStoreSchema {
  /** Short key, as used by statements.ts. */
  readonly store: AppStoreKey;
  /** SCHEMA_NAME: the `module` key of the store's row in _schema_versions. */
  readonly module: string;
  /** SCHEMA_VERSION: the version initialize() records. */
  readonly version: number;
  /** INITIAL_SCHEMA, verbatim (comments and whitespace included). */
  readonly initialSchema: string;
  /** Python class name. */
  readonly className: string;
  /** Path of the Python file in the Aragora repository. */
  readonly sourcePath: string;
  /** Full commit the file was read at. */
  readonly sourceCommit: string;
  /** Tables INITIAL_SCHEMA creates, in order (derived from its CREATE TABLE statements). */
  readonly tables: readonly string[];
}

/** The first statement of initialize(): the version table, exactly as the base class runs it. */
export const SCHEMA_VERSIONS_DDL = `
                CREATE TABLE IF NOT EXISTS _schema_versions (
                    module TEXT PRIMARY KEY,
                    version INTEGER NOT NULL,
                    updated_at TIMESTAMPTZ DEFAULT NOW()
                )
            `;

/** initialize(): `conn.fetchrow(SCHEMA_VERSION_SELECT, SCHEMA_NAME)`. Also used by get_schema_version(). */
export const SCHEMA_VERSION_SELECT = 'SELECT version FROM _schema_versions WHERE module = $1';

/** initialize(), new-database path: `conn.execute(SCHEMA_VERSION_UPSERT, SCHEMA_NAME, SCHEMA_VERSION)`. */
export const SCHEMA_VERSION_UPSERT = `
                    INSERT INTO _schema_versions (module, version)
                    VALUES ($1, $2)
                    ON CONFLICT (module) DO UPDATE SET version = $2, updated_at = NOW()
                `;

/**
 * initialize(), migration path: `conn.execute(SCHEMA_VERSION_UPDATE, SCHEMA_VERSION, SCHEMA_NAME)`
 * (note the parameter order).
 */
export const SCHEMA_VERSION_UPDATE = `
                    UPDATE _schema_versions SET version = $1, updated_at = NOW()
                    WHERE module = $2
                `;

/**
 * PostgresEloDatabase: aragora/ranking/postgres_database.py at cd2985adf (cd2985adf864aa9fcc10d2c26b906bbd00a0c2b6).
 * initialSchema is POSTGRES_ELO_SCHEMA (module constant assigned to INITIAL_SCHEMA), verbatim.
 */
export const ELO_APP: AppStoreSchema = {
  store: 'elo',
  module: 'elo',
  version: 1,
  className: 'PostgresEloDatabase',
  sourcePath: 'aragora/ranking/postgres_database.py',
  sourceCommit: 'cd2985adf864aa9fcc10d2c26b906bbd00a0c2b6',
  tables: [
    'elo_ratings',
    'elo_matches',
    'elo_history',
    'elo_calibration_predictions',
    'elo_domain_calibration',
    'elo_calibration_buckets',
    'elo_agent_relationships',
  ],
  initialSchema: `
    -- Agent ratings
    CREATE TABLE IF NOT EXISTS elo_ratings (
        agent_name TEXT PRIMARY KEY,
        elo REAL DEFAULT 1500,
        domain_elos JSONB DEFAULT '{}',
        wins INTEGER DEFAULT 0,
        losses INTEGER DEFAULT 0,
        draws INTEGER DEFAULT 0,
        debates_count INTEGER DEFAULT 0,
        critiques_accepted INTEGER DEFAULT 0,
        critiques_total INTEGER DEFAULT 0,
        updated_at TIMESTAMPTZ DEFAULT NOW()
    );

    -- Match history
    CREATE TABLE IF NOT EXISTS elo_matches (
        id SERIAL PRIMARY KEY,
        debate_id TEXT UNIQUE,
        winner TEXT,
        participants JSONB,
        domain TEXT,
        scores JSONB,
        elo_changes JSONB,
        created_at TIMESTAMPTZ DEFAULT NOW()
    );

    -- ELO history for tracking progression
    CREATE TABLE IF NOT EXISTS elo_history (
        id SERIAL PRIMARY KEY,
        agent_name TEXT NOT NULL,
        elo REAL NOT NULL,
        debate_id TEXT,
        created_at TIMESTAMPTZ DEFAULT NOW()
    );

    -- Calibration predictions table
    CREATE TABLE IF NOT EXISTS elo_calibration_predictions (
        id SERIAL PRIMARY KEY,
        tournament_id TEXT NOT NULL,
        predictor_agent TEXT NOT NULL,
        predicted_winner TEXT NOT NULL,
        confidence REAL NOT NULL,
        created_at TIMESTAMPTZ DEFAULT NOW(),
        UNIQUE(tournament_id, predictor_agent)
    );

    -- Domain-specific calibration tracking
    CREATE TABLE IF NOT EXISTS elo_domain_calibration (
        agent_name TEXT NOT NULL,
        domain TEXT NOT NULL,
        total_predictions INTEGER DEFAULT 0,
        total_correct INTEGER DEFAULT 0,
        brier_sum REAL DEFAULT 0.0,
        updated_at TIMESTAMPTZ DEFAULT NOW(),
        PRIMARY KEY (agent_name, domain)
    );

    -- Calibration by confidence bucket
    CREATE TABLE IF NOT EXISTS elo_calibration_buckets (
        agent_name TEXT NOT NULL,
        domain TEXT NOT NULL,
        bucket_key TEXT NOT NULL,
        predictions INTEGER DEFAULT 0,
        correct INTEGER DEFAULT 0,
        brier_sum REAL DEFAULT 0.0,
        PRIMARY KEY (agent_name, domain, bucket_key)
    );

    -- Agent relationships tracking
    CREATE TABLE IF NOT EXISTS elo_agent_relationships (
        agent_a TEXT NOT NULL,
        agent_b TEXT NOT NULL,
        debate_count INTEGER DEFAULT 0,
        agreement_count INTEGER DEFAULT 0,
        critique_count_a_to_b INTEGER DEFAULT 0,
        critique_count_b_to_a INTEGER DEFAULT 0,
        critique_accepted_a_to_b INTEGER DEFAULT 0,
        critique_accepted_b_to_a INTEGER DEFAULT 0,
        avg_critique_severity_a_to_b REAL DEFAULT 0.0,
        avg_critique_severity_b_to_a REAL DEFAULT 0.0,
        updated_at TIMESTAMPTZ DEFAULT NOW(),
        PRIMARY KEY (agent_a, agent_b)
    );

    -- Indexes for performance
    CREATE INDEX IF NOT EXISTS idx_elo_matches_created_at ON elo_matches(created_at DESC);
    CREATE INDEX IF NOT EXISTS idx_elo_matches_winner ON elo_matches(winner);
    CREATE INDEX IF NOT EXISTS idx_elo_matches_participants ON elo_matches USING GIN (participants);
    CREATE INDEX IF NOT EXISTS idx_elo_history_agent ON elo_history(agent_name, created_at DESC);
    CREATE INDEX IF NOT EXISTS idx_elo_ratings_elo ON elo_ratings(elo DESC);
`,
};

/**
 * PostgresInsightStore: aragora/insights/postgres_store.py at cd2985adf (cd2985adf864aa9fcc10d2c26b906bbd00a0c2b6).
 * initialSchema is INITIAL_SCHEMA (class attribute), verbatim.
 */
export const INSIGHTS_APP: AppStoreSchema = {
  store: 'insights',
  module: 'insight_store',
  version: 2,
  className: 'PostgresInsightStore',
  sourcePath: 'aragora/insights/postgres_store.py',
  sourceCommit: 'cd2985adf864aa9fcc10d2c26b906bbd00a0c2b6',
  tables: [
    'insights',
    'debate_summaries',
    'agent_performance_history',
    'pattern_clusters',
    'wisdom_submissions',
    'insight_usage',
  ],
  initialSchema: `
        -- Insights table with tsvector for FTS
        CREATE TABLE IF NOT EXISTS insights (
            id TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT,
            confidence REAL DEFAULT 0.5,
            debate_id TEXT NOT NULL,
            agents_involved JSONB DEFAULT '[]',
            evidence JSONB DEFAULT '[]',
            created_at TIMESTAMPTZ DEFAULT NOW(),
            metadata JSONB DEFAULT '{}',
            search_vector TSVECTOR
        );

        -- Debate summaries table
        CREATE TABLE IF NOT EXISTS debate_summaries (
            debate_id TEXT PRIMARY KEY,
            task TEXT,
            consensus_reached BOOLEAN DEFAULT FALSE,
            duration_seconds REAL,
            total_insights INTEGER,
            key_takeaway TEXT,
            agent_performances JSONB DEFAULT '[]',
            created_at TIMESTAMPTZ DEFAULT NOW()
        );

        -- Agent performance history
        CREATE TABLE IF NOT EXISTS agent_performance_history (
            id SERIAL PRIMARY KEY,
            agent_name TEXT NOT NULL,
            debate_id TEXT NOT NULL REFERENCES debate_summaries(debate_id) ON DELETE CASCADE,
            proposals_made INTEGER DEFAULT 0,
            critiques_given INTEGER DEFAULT 0,
            critiques_received INTEGER DEFAULT 0,
            proposal_accepted BOOLEAN DEFAULT FALSE,
            vote_aligned BOOLEAN DEFAULT FALSE,
            avg_critique_severity REAL DEFAULT 0.0,
            contribution_score REAL DEFAULT 0.5,
            created_at TIMESTAMPTZ DEFAULT NOW()
        );

        -- Pattern clusters (aggregated from pattern insights)
        CREATE TABLE IF NOT EXISTS pattern_clusters (
            id SERIAL PRIMARY KEY,
            category TEXT NOT NULL,
            pattern_text TEXT NOT NULL,
            occurrence_count INTEGER DEFAULT 1,
            avg_severity REAL DEFAULT 0.5,
            debate_ids JSONB DEFAULT '[]',
            first_seen TIMESTAMPTZ,
            last_seen TIMESTAMPTZ,
            UNIQUE(category, pattern_text)
        );

        -- Wisdom submissions table
        CREATE TABLE IF NOT EXISTS wisdom_submissions (
            id SERIAL PRIMARY KEY,
            loop_id TEXT NOT NULL,
            text TEXT NOT NULL,
            submitter_id TEXT DEFAULT 'anonymous',
            context_tags JSONB DEFAULT '[]',
            used BOOLEAN DEFAULT FALSE,
            created_at TIMESTAMPTZ DEFAULT NOW()
        );

        -- Insight usage tracking table
        CREATE TABLE IF NOT EXISTS insight_usage (
            id SERIAL PRIMARY KEY,
            insight_id TEXT NOT NULL,
            debate_id TEXT NOT NULL,
            was_successful BOOLEAN DEFAULT FALSE,
            created_at TIMESTAMPTZ DEFAULT NOW(),
            UNIQUE(insight_id, debate_id)
        );

        -- Indexes for insights
        CREATE INDEX IF NOT EXISTS idx_insights_type ON insights(type);
        CREATE INDEX IF NOT EXISTS idx_insights_debate ON insights(debate_id);
        CREATE INDEX IF NOT EXISTS idx_insights_confidence ON insights(confidence DESC);
        CREATE INDEX IF NOT EXISTS idx_insights_type_confidence ON insights(type, confidence DESC);
        CREATE INDEX IF NOT EXISTS idx_insights_search ON insights USING GIN(search_vector);

        -- Indexes for agent performance
        CREATE INDEX IF NOT EXISTS idx_agent_perf_name ON agent_performance_history(agent_name);
        CREATE INDEX IF NOT EXISTS idx_agent_perf_debate ON agent_performance_history(debate_id);
        CREATE INDEX IF NOT EXISTS idx_agent_perf_name_debate ON agent_performance_history(agent_name, debate_id);

        -- Indexes for pattern clusters
        CREATE INDEX IF NOT EXISTS idx_pattern_category ON pattern_clusters(category);
        CREATE INDEX IF NOT EXISTS idx_pattern_last_seen ON pattern_clusters(last_seen DESC);

        -- Indexes for debate summaries
        CREATE INDEX IF NOT EXISTS idx_debate_summaries_created ON debate_summaries(created_at DESC);

        -- Indexes for wisdom submissions
        CREATE INDEX IF NOT EXISTS idx_wisdom_loop_id ON wisdom_submissions(loop_id, used);

        -- Indexes for insight usage
        CREATE INDEX IF NOT EXISTS idx_insight_usage_insight ON insight_usage(insight_id);

        -- Function to update search vector for insights
        CREATE OR REPLACE FUNCTION update_insight_search_vector()
        RETURNS TRIGGER AS $$
        BEGIN
            NEW.search_vector :=
                setweight(to_tsvector('english', COALESCE(NEW.title, '')), 'A') ||
                setweight(to_tsvector('english', COALESCE(NEW.description, '')), 'B');
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;

        -- Trigger to auto-update search vector
        DROP TRIGGER IF EXISTS insight_search_vector_trigger ON insights;
        CREATE TRIGGER insight_search_vector_trigger
            BEFORE INSERT OR UPDATE ON insights
            FOR EACH ROW
            EXECUTE FUNCTION update_insight_search_vector();
    `,
};

/**
 * PostgresContinuumMemory: aragora/memory/postgres_continuum.py at a66b5bf06^ (6d72729f9b780ad4dd4ed0247e87b6d8cd2285a3).
 * initialSchema is POSTGRES_CONTINUUM_SCHEMA (module constant assigned to INITIAL_SCHEMA), verbatim.
 */
export const CONTINUUM_APP: AppStoreSchema = {
  store: 'continuum',
  module: 'continuum_memory',
  version: 1,
  className: 'PostgresContinuumMemory',
  sourcePath: 'aragora/memory/postgres_continuum.py',
  sourceCommit: '6d72729f9b780ad4dd4ed0247e87b6d8cd2285a3',
  tables: ['continuum_memory', 'meta_learning_state', 'tier_transitions', 'continuum_memory_archive'],
  initialSchema: `
    -- Main continuum memory table
    CREATE TABLE IF NOT EXISTS continuum_memory (
        id TEXT PRIMARY KEY,
        tier TEXT NOT NULL DEFAULT 'slow',
        content TEXT NOT NULL,
        importance REAL DEFAULT 0.5,
        surprise_score REAL DEFAULT 0.0,
        consolidation_score REAL DEFAULT 0.0,
        update_count INTEGER DEFAULT 0,
        success_count INTEGER DEFAULT 0,
        failure_count INTEGER DEFAULT 0,
        semantic_centroid BYTEA,
        last_promotion_at TIMESTAMPTZ,
        created_at TIMESTAMPTZ DEFAULT NOW(),
        updated_at TIMESTAMPTZ DEFAULT NOW(),
        metadata JSONB DEFAULT '{}',
        expires_at TIMESTAMPTZ,
        red_line BOOLEAN DEFAULT FALSE,
        red_line_reason TEXT DEFAULT ''
    );

    -- Indexes for efficient tier-based retrieval
    CREATE INDEX IF NOT EXISTS idx_continuum_tier ON continuum_memory(tier);
    CREATE INDEX IF NOT EXISTS idx_continuum_surprise ON continuum_memory(surprise_score DESC);
    CREATE INDEX IF NOT EXISTS idx_continuum_importance ON continuum_memory(importance DESC);
    -- Composite index for cleanup_expired_memories() performance
    CREATE INDEX IF NOT EXISTS idx_continuum_tier_updated ON continuum_memory(tier, updated_at);
    -- Composite index for tier-filtered retrieval by importance
    CREATE INDEX IF NOT EXISTS idx_continuum_tier_importance ON continuum_memory(tier, importance DESC);
    -- Composite index for promotion queries (tier + surprise_score)
    CREATE INDEX IF NOT EXISTS idx_continuum_tier_surprise ON continuum_memory(tier, surprise_score DESC);
    -- Index for TTL-based cleanup queries
    CREATE INDEX IF NOT EXISTS idx_continuum_expires ON continuum_memory(expires_at);
    -- Index for red line protected entries
    CREATE INDEX IF NOT EXISTS idx_continuum_red_line ON continuum_memory(red_line);

    -- Meta-learning state table for hyperparameter tracking
    CREATE TABLE IF NOT EXISTS meta_learning_state (
        id SERIAL PRIMARY KEY,
        hyperparams JSONB NOT NULL,
        learning_efficiency REAL,
        pattern_retention_rate REAL,
        forgetting_rate REAL,
        cycles_evaluated INTEGER DEFAULT 0,
        created_at TIMESTAMPTZ DEFAULT NOW()
    );

    -- Tier transition history for analysis
    CREATE TABLE IF NOT EXISTS tier_transitions (
        id SERIAL PRIMARY KEY,
        memory_id TEXT NOT NULL REFERENCES continuum_memory(id) ON DELETE CASCADE,
        from_tier TEXT NOT NULL,
        to_tier TEXT NOT NULL,
        reason TEXT,
        surprise_score REAL,
        created_at TIMESTAMPTZ DEFAULT NOW()
    );

    -- Archive table for deleted memories
    CREATE TABLE IF NOT EXISTS continuum_memory_archive (
        id TEXT PRIMARY KEY,
        tier TEXT NOT NULL,
        content TEXT NOT NULL,
        importance REAL,
        surprise_score REAL,
        consolidation_score REAL,
        update_count INTEGER,
        success_count INTEGER,
        failure_count INTEGER,
        semantic_centroid BYTEA,
        created_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ,
        archived_at TIMESTAMPTZ DEFAULT NOW(),
        archive_reason TEXT,
        metadata JSONB
    );

    -- Indexes for archive queries
    CREATE INDEX IF NOT EXISTS idx_archive_tier ON continuum_memory_archive(tier);
    CREATE INDEX IF NOT EXISTS idx_archive_archived_at ON continuum_memory_archive(archived_at);
`,
};

/**
 * PostgresConsensusMemory: aragora/memory/postgres_consensus.py at a66b5bf06^ (6d72729f9b780ad4dd4ed0247e87b6d8cd2285a3).
 * initialSchema is POSTGRES_CONSENSUS_SCHEMA (module constant assigned to INITIAL_SCHEMA), verbatim.
 */
export const CONSENSUS_APP: AppStoreSchema = {
  store: 'consensus',
  module: 'consensus_memory',
  version: 1,
  className: 'PostgresConsensusMemory',
  sourcePath: 'aragora/memory/postgres_consensus.py',
  sourceCommit: '6d72729f9b780ad4dd4ed0247e87b6d8cd2285a3',
  tables: ['consensus', 'dissent', 'verified_proofs'],
  initialSchema: `
    -- Main consensus table
    CREATE TABLE IF NOT EXISTS consensus (
        id TEXT PRIMARY KEY,
        topic TEXT NOT NULL,
        topic_hash TEXT NOT NULL,
        conclusion TEXT NOT NULL,
        strength TEXT NOT NULL,
        confidence REAL,
        domain TEXT DEFAULT 'general',
        tags JSONB DEFAULT '[]',
        timestamp TIMESTAMPTZ DEFAULT NOW(),
        data JSONB NOT NULL
    );

    -- Dissent records table
    CREATE TABLE IF NOT EXISTS dissent (
        id TEXT PRIMARY KEY,
        debate_id TEXT NOT NULL REFERENCES consensus(id) ON DELETE CASCADE,
        agent_id TEXT NOT NULL,
        dissent_type TEXT NOT NULL,
        content TEXT NOT NULL,
        reasoning TEXT DEFAULT '',
        confidence REAL DEFAULT 0.0,
        acknowledged BOOLEAN DEFAULT FALSE,
        rebuttal TEXT DEFAULT '',
        timestamp TIMESTAMPTZ DEFAULT NOW(),
        data JSONB NOT NULL
    );

    -- Verified proofs table for formal verification results
    CREATE TABLE IF NOT EXISTS verified_proofs (
        id TEXT PRIMARY KEY,
        debate_id TEXT NOT NULL REFERENCES consensus(id) ON DELETE CASCADE,
        proof_status TEXT NOT NULL,
        language TEXT,
        formal_statement TEXT,
        is_verified BOOLEAN DEFAULT FALSE,
        proof_hash TEXT,
        translation_time_ms REAL,
        proof_search_time_ms REAL,
        prover_version TEXT,
        error_message TEXT,
        timestamp TIMESTAMPTZ DEFAULT NOW(),
        data JSONB NOT NULL
    );

    -- Performance indexes
    CREATE INDEX IF NOT EXISTS idx_consensus_topic_hash ON consensus(topic_hash);
    CREATE INDEX IF NOT EXISTS idx_consensus_domain ON consensus(domain);
    CREATE INDEX IF NOT EXISTS idx_consensus_confidence_ts ON consensus(confidence DESC, timestamp DESC);
    CREATE INDEX IF NOT EXISTS idx_consensus_strength ON consensus(strength);
    CREATE INDEX IF NOT EXISTS idx_consensus_timestamp ON consensus(timestamp DESC);

    CREATE INDEX IF NOT EXISTS idx_dissent_debate ON dissent(debate_id);
    CREATE INDEX IF NOT EXISTS idx_dissent_type ON dissent(dissent_type);
    CREATE INDEX IF NOT EXISTS idx_dissent_agent ON dissent(agent_id);
    CREATE INDEX IF NOT EXISTS idx_dissent_timestamp ON dissent(timestamp DESC);

    CREATE INDEX IF NOT EXISTS idx_verified_proofs_debate ON verified_proofs(debate_id);
    CREATE INDEX IF NOT EXISTS idx_verified_proofs_status ON verified_proofs(proof_status);
    CREATE INDEX IF NOT EXISTS idx_verified_proofs_verified ON verified_proofs(is_verified);
`,
};

/** The four stores, in the order the statements files list them. */
export const APP_STORES: readonly AppStoreSchema[] = [ELO_APP, INSIGHTS_APP, CONTINUUM_APP, CONSENSUS_APP];

/** What initializeLikeApp found and did. */
export interface InitializeOutcome {
  /** `version` of the store's _schema_versions row before the call; 0 when there was no row. */
  readonly storedVersion: number;
  /**
   * 'created': ran INITIAL_SCHEMA and upserted the row (stored version 0 / no row).
   * 'migrated': re-ran INITIAL_SCHEMA and updated the row (0 != stored < SCHEMA_VERSION).
   * 'unchanged': did nothing (stored >= SCHEMA_VERSION).
   */
  readonly action: 'created' | 'migrated' | 'unchanged';
}

/**
 * Does what PostgresStore.initialize() does for one store, statement by statement, on `client`.
 *
 * The Python (aragora/storage/postgres_store.py, PostgresStore.initialize):
 *   1. `conn.execute(SCHEMA_VERSIONS_DDL)`: no arguments, so asyncpg uses the simple query protocol.
 *   2. `row = conn.fetchrow("SELECT version FROM _schema_versions WHERE module = $1", SCHEMA_NAME)`;
 *      `current_version = row["version"] if row else 0`.
 *   3. By stored version:
 *      - no row, or a stored version of 0: `conn.execute(INITIAL_SCHEMA)` (simple protocol: the
 *        whole multi-statement string runs as one implicit transaction, all or nothing), then the
 *        upsert `INSERT INTO _schema_versions (module, version) VALUES ($1, $2) ON CONFLICT (module)
 *        DO UPDATE SET version = $2, updated_at = NOW()` with (SCHEMA_NAME, SCHEMA_VERSION).
 *        updated_at takes its DEFAULT NOW() on insert.
 *      - lower than SCHEMA_VERSION (and not 0, so a negative version lands here too):
 *        `self._run_migrations(conn, current_version)`, which none of the four stores overrides;
 *        the base class just runs `conn.execute(INITIAL_SCHEMA)` again (safe through IF NOT EXISTS,
 *        CREATE OR REPLACE FUNCTION, DROP TRIGGER IF EXISTS). Then `UPDATE _schema_versions SET
 *        version = $1, updated_at = NOW() WHERE module = $2` with (SCHEMA_VERSION, SCHEMA_NAME).
 *      - equal or higher: nothing at all. No DDL runs, the row is not touched (updated_at stays),
 *        and a higher stored version is never lowered.
 *   There is no explicit transaction around these steps: each statement autocommits on its own,
 *   so if INITIAL_SCHEMA fails, nothing of it remains and no version row is written; if the
 *   process dies between INITIAL_SCHEMA and the version write, the next initialize() takes the
 *   same path again (the DDL is idempotent).
 *   The Python also keeps a per-instance `_initialized` flag that skips all of this on a second
 *   call on the same store object; that has no database effect and is not reproduced.
 *
 * node-postgres sends a query without a values array through the simple protocol too, so passing
 * the whole INITIAL_SCHEMA string to client.query() reproduces step 3's all-or-nothing DDL; the
 * SELECT/INSERT/UPDATE carry parameters and go through the extended protocol, as in asyncpg.
 * Statement errors propagate (the Python does not catch them either).
 */
export async function initializeLikeApp(client: pg.Client, store: AppStoreSchema): Promise<InitializeOutcome> {
  await client.query(SCHEMA_VERSIONS_DDL);
  const res = await client.query<{ version: number }>(SCHEMA_VERSION_SELECT, [store.module]);
  const row = res.rows[0];
  const storedVersion = row ? row.version : 0;
  if (storedVersion === 0) {
    await client.query(store.initialSchema);
    await client.query(SCHEMA_VERSION_UPSERT, [store.module, store.version]);
    return { storedVersion, action: 'created' };
  }
  if (storedVersion < store.version) {
    await client.query(store.initialSchema);
    await client.query(SCHEMA_VERSION_UPDATE, [store.version, store.module]);
    return { storedVersion, action: 'migrated' };
  }
  return { storedVersion, action: 'unchanged' };
}
