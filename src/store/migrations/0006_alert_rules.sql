-- Alert rules made from the dashboard (config rules live in the config file). A disabled rule
-- is kept but not evaluated.
CREATE TABLE alert_rules (
    name       TEXT PRIMARY KEY,
    symbol     TEXT,
    timeframe  TEXT NOT NULL,
    cond       TEXT NOT NULL,
    repeat     TEXT NOT NULL,
    rearm_secs INTEGER NOT NULL,
    notify     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
