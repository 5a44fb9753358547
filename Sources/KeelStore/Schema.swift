import GRDB

/// The store's tables, in append-only migrations: a released migration is never edited; a change
/// is a new migration. Money and prices are REAL (binary64), the engine's own numbers, so a value
/// read back is the value written, bit for bit.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs and their journal") { db in
            try db.execute(sql: """
                CREATE TABLE strategies (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    hash TEXT NOT NULL UNIQUE,
                    source TEXT NOT NULL,
                    path TEXT,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY,
                    strategy_id INTEGER NOT NULL REFERENCES strategies(id),
                    mode TEXT NOT NULL CHECK (mode IN ('paper', 'live')),
                    status TEXT NOT NULL,
                    capital REAL NOT NULL,
                    symbols TEXT NOT NULL,
                    bar_seconds INTEGER,
                    stream TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    -- Where a file stream resumes, committed with the events read up to it.
                    stream_offset INTEGER NOT NULL DEFAULT 0,
                    last_seq INTEGER NOT NULL DEFAULT 0,
                    -- The last summary (metrics, equity, bars) as JSON, rewritten with every commit.
                    summary TEXT
                );
                -- Every event received, accepted or not: accepted ones are replayed on restart.
                CREATE TABLE events (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    seq INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    symbol TEXT,
                    time INTEGER,
                    line TEXT NOT NULL,
                    status TEXT NOT NULL,
                    reason TEXT,
                    PRIMARY KEY (run_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE orders (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    client_order_id TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
                    type TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    bar INTEGER NOT NULL,
                    placed_time INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    quantity REAL,
                    updated_time INTEGER NOT NULL,
                    reason TEXT,
                    PRIMARY KEY (run_id, client_order_id)
                ) WITHOUT ROWID;
                CREATE TABLE fills (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    fill_id TEXT NOT NULL,
                    client_order_id TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
                    quantity REAL NOT NULL CHECK (quantity > 0),
                    price REAL NOT NULL CHECK (price > 0),
                    fee REAL NOT NULL,
                    time INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    -- A fill counted twice is a constraint violation, not a silent double.
                    UNIQUE (run_id, fill_id)
                );
                CREATE TABLE trades (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL,
                    entry_time INTEGER NOT NULL,
                    entry_price REAL NOT NULL,
                    exit_time INTEGER NOT NULL,
                    exit_price REAL NOT NULL,
                    quantity REAL NOT NULL,
                    pnl REAL NOT NULL,
                    fees REAL NOT NULL,
                    exit_reason TEXT NOT NULL
                );
                -- Open positions after the last commit: replaced as a whole by every commit.
                CREATE TABLE positions (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    symbol TEXT NOT NULL,
                    -- Listed in the order written: the universe's.
                    ordinal INTEGER NOT NULL,
                    side TEXT NOT NULL,
                    quantity REAL NOT NULL,
                    entry_time INTEGER NOT NULL,
                    entry_price REAL NOT NULL,
                    mark_time INTEGER NOT NULL,
                    mark_price REAL NOT NULL,
                    unrealized_pnl REAL NOT NULL,
                    PRIMARY KEY (run_id, symbol)
                ) WITHOUT ROWID;
                CREATE TABLE equity (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    time INTEGER NOT NULL,
                    equity REAL NOT NULL
                );
                CREATE TABLE decisions (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    time INTEGER NOT NULL,
                    symbol TEXT NOT NULL,
                    action TEXT NOT NULL,
                    side TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    readings TEXT NOT NULL
                );
                CREATE TABLE risk_events (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    time INTEGER NOT NULL,
                    symbol TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    reason TEXT NOT NULL
                );
                -- An operator's request (halt, resume, flatten) to a run, from another process. The runner
                -- applies it as a journaled event and records that event's seq here, in one commit.
                CREATE TABLE control_requests (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    action TEXT NOT NULL CHECK (action IN ('halt', 'resume', 'flatten')),
                    reason TEXT,
                    requested_at INTEGER NOT NULL,
                    applied_seq INTEGER
                );
                CREATE INDEX fills_by_run ON fills(run_id, id);
                CREATE INDEX trades_by_run ON trades(run_id, id);
                CREATE INDEX equity_by_run ON equity(run_id, id);
                CREATE INDEX decisions_by_run ON decisions(run_id, id);
                CREATE INDEX risk_events_by_run ON risk_events(run_id, id);
                """)
        }
        migrator.registerMigration("v2: a live run's broker orders and fills") { db in
            try db.execute(sql: """
                -- What a live run asks of its broker. A row is written as an intent in the same commit as
                -- the event that caused it, before anything is sent; then it follows the broker's answers.
                CREATE TABLE broker_orders (
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    client_order_id TEXT NOT NULL,
                    -- The order intents were made in: an exit goes before the entry that follows it.
                    seq INTEGER NOT NULL,
                    -- open: an entry; close: sell or cover what the broker holds; reduce: part of it.
                    kind TEXT NOT NULL CHECK (kind IN ('open', 'close', 'reduce')),
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
                    qty REAL NOT NULL,
                    stop_price REAL,
                    limit_price REAL,
                    -- intent, unknown, new, partially_filled, filled, canceled, rejected, skipped
                    status TEXT NOT NULL,
                    broker_order_id TEXT,
                    filled_qty REAL NOT NULL DEFAULT 0,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    reason TEXT,
                    event_time INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (run_id, client_order_id)
                ) WITHOUT ROWID;
                -- The broker's executions, each once: the money of a live run.
                CREATE TABLE broker_fills (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    fill_id TEXT NOT NULL,
                    broker_order_id TEXT,
                    client_order_id TEXT NOT NULL,
                    symbol TEXT NOT NULL,
                    side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
                    qty REAL NOT NULL,
                    price REAL NOT NULL,
                    time INTEGER NOT NULL,
                    -- adjustment: a difference adopted from the broker at a reconciliation.
                    kind TEXT NOT NULL DEFAULT 'fill' CHECK (kind IN ('fill', 'adjustment')),
                    recorded_at INTEGER NOT NULL,
                    UNIQUE (run_id, fill_id)
                );
                -- Every start of a live run compares Keel's positions and open orders with the broker's.
                CREATE TABLE reconciliations (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    time INTEGER NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'adopted', 'refused')),
                    details TEXT NOT NULL
                );
                CREATE INDEX broker_fills_by_run ON broker_fills(run_id, id);
                -- The last broker fill seen: where the next poll of the broker's fills starts.
                ALTER TABLE runs ADD COLUMN broker_cursor TEXT;
                """)
        }
        migrator.registerMigration("v3: the service's strategies and backtests") { db in
            try db.execute(sql: """
                -- Strategies created over HTTP (keel serve). Each update is a new version; runs and
                -- backtests keep the version they started with.
                CREATE TABLE api_strategies (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    mode TEXT NOT NULL DEFAULT 'paper' CHECK (mode IN ('paper', 'live')),
                    version INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    deleted_at INTEGER
                );
                CREATE TABLE strategy_versions (
                    strategy_id TEXT NOT NULL REFERENCES api_strategies(id),
                    version INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (strategy_id, version)
                ) WITHOUT ROWID;
                CREATE TABLE backtests (
                    id TEXT PRIMARY KEY,
                    strategy_id TEXT NOT NULL REFERENCES api_strategies(id),
                    version INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'cancelled')),
                    -- The request as given (JSON), and the result in the backtest JSON contract.
                    request TEXT NOT NULL,
                    result TEXT,
                    error TEXT,
                    created_at INTEGER NOT NULL,
                    finished_at INTEGER
                );
                CREATE INDEX backtests_by_time ON backtests(created_at);
                """)
        }
        migrator.registerMigration("v4: the service's runs, brokers and webhooks") { db in
            try db.execute(sql: """
                -- Two more operator requests: 'close' (one symbol, in argument) and 'risk_profile' (the
                -- profile, in argument). SQLite cannot change a CHECK: the table is rebuilt.
                CREATE TABLE control_requests_v4 (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    action TEXT NOT NULL CHECK (action IN ('halt', 'resume', 'flatten', 'close', 'risk_profile')),
                    reason TEXT,
                    argument TEXT,
                    requested_at INTEGER NOT NULL,
                    applied_seq INTEGER
                );
                INSERT INTO control_requests_v4 (id, run_id, action, reason, requested_at, applied_seq)
                    SELECT id, run_id, action, reason, requested_at, applied_seq FROM control_requests;
                DROP TABLE control_requests;
                ALTER TABLE control_requests_v4 RENAME TO control_requests;
                -- Broker connections. The credentials are sealed (AES-GCM, key from the environment)
                -- and never read back out through the API.
                CREATE TABLE brokers (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    url TEXT NOT NULL,
                    sealed_credentials BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    deleted_at INTEGER
                );
                -- Runs started over HTTP: which strategy version, which broker connection, whom to call back.
                CREATE TABLE service_runs (
                    run_id TEXT PRIMARY KEY REFERENCES runs(id),
                    strategy_id TEXT NOT NULL REFERENCES api_strategies(id),
                    version INTEGER NOT NULL,
                    broker_id TEXT REFERENCES brokers(id),
                    webhook TEXT,
                    request TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                ALTER TABLE backtests ADD COLUMN webhook TEXT;
                -- Every callback owed, and how its delivery went.
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY,
                    url TEXT NOT NULL,
                    event TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5: the identity of a run's stream file") { db in
            // device:inode of the file a run reads: a resumed run refuses a file put in its place.
            try db.execute(sql: "ALTER TABLE runs ADD COLUMN stream_identity TEXT")
        }
        migrator.registerMigration("v6: a backtest's final value and return") { db in
            // The platform API's backtest figures, beside the full result: final_value and total_return_pct.
            try db.execute(sql: "ALTER TABLE backtests ADD COLUMN final_value REAL")
            try db.execute(sql: "ALTER TABLE backtests ADD COLUMN total_return_pct REAL")
        }
        migrator.registerMigration("v7: the service's research jobs (optimizations, walk-forwards)") { db in
            try db.execute(sql: """
                CREATE TABLE research_jobs (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,            -- optimization or walkforward
                    strategy_id TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    status TEXT NOT NULL,          -- running, done, failed, cancelled
                    request TEXT NOT NULL,
                    result TEXT,
                    error TEXT,
                    created_at INTEGER NOT NULL,
                    finished_at INTEGER
                );
                CREATE INDEX research_jobs_by_time ON research_jobs(kind, created_at);
                -- keel research's evidence file for the strategy, as uploaded; judged against its current text.
                ALTER TABLE api_strategies ADD COLUMN evidence TEXT;
                """)
        }
        migrator.registerMigration("v8: a bracket whose stop-loss trails at the broker") { db in
            // A fraction (0.05 for 5%): the entry's stop-loss leg is a TRAILING_STOP of this percent.
            try db.execute(sql: "ALTER TABLE broker_orders ADD COLUMN trailing_fraction REAL")
        }
        migrator.registerMigration("v9: an operator's manual order in a paper run") { db in
            try db.execute(sql: """
                -- One more request, 'order' (the order, in argument). SQLite cannot change a CHECK: the table is rebuilt.
                CREATE TABLE control_requests_v9 (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id),
                    action TEXT NOT NULL CHECK (action IN ('halt', 'resume', 'flatten', 'close', 'risk_profile', 'order')),
                    reason TEXT,
                    argument TEXT,
                    requested_at INTEGER NOT NULL,
                    applied_seq INTEGER
                );
                INSERT INTO control_requests_v9 (id, run_id, action, reason, argument, requested_at, applied_seq)
                    SELECT id, run_id, action, reason, argument, requested_at, applied_seq FROM control_requests;
                DROP TABLE control_requests;
                ALTER TABLE control_requests_v9 RENAME TO control_requests;
                """)
        }
        return migrator
    }
}
