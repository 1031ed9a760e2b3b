-- The whole cryptoviz schema on PostgreSQL, as SQLite's migrations 0001-0006 left it. Times are
-- milliseconds since the epoch, prices integers scaled by 1e8, volumes exact decimal text: the
-- same values as in SQLite, so a store copies between the two exactly.
CREATE TABLE series (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    exchange  TEXT NOT NULL,
    symbol    TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    UNIQUE (exchange, symbol, timeframe)
);

CREATE TABLE candles (
    series_id      BIGINT NOT NULL REFERENCES series(id),
    open_time      BIGINT NOT NULL,
    open           BIGINT NOT NULL,
    high           BIGINT NOT NULL,
    low            BIGINT NOT NULL,
    close          BIGINT NOT NULL,
    volume         TEXT NOT NULL,
    quote_volume   TEXT NOT NULL,
    trades         BIGINT NOT NULL,
    closed         BOOLEAN NOT NULL,
    first_trade_id BIGINT,
    last_trade_id  BIGINT,
    source         TEXT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (series_id, open_time)
);

-- The cold tier: the same packed chunks as in SQLite (store/cold.rs), one row per series and
-- chunk span.
CREATE TABLE candles_cold (
    series_id   BIGINT NOT NULL REFERENCES series(id),
    chunk_start BIGINT NOT NULL,
    first_open  BIGINT NOT NULL,
    last_open   BIGINT NOT NULL,
    count       BIGINT NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (series_id, chunk_start)
);

CREATE TABLE news (
    id               TEXT PRIMARY KEY,
    source           TEXT NOT NULL,
    feed             TEXT NOT NULL,
    title            TEXT NOT NULL,
    link             TEXT NOT NULL,
    published_at     BIGINT NOT NULL,
    fetched_at       BIGINT NOT NULL,
    summary          TEXT NOT NULL,
    symbols          TEXT NOT NULL,
    title_compound   DOUBLE PRECISION NOT NULL,
    title_pos        DOUBLE PRECISION NOT NULL,
    title_neu        DOUBLE PRECISION NOT NULL,
    title_neg        DOUBLE PRECISION NOT NULL,
    summary_compound DOUBLE PRECISION,
    summary_pos      DOUBLE PRECISION,
    summary_neu      DOUBLE PRECISION,
    summary_neg      DOUBLE PRECISION,
    title_label      TEXT,
    summary_label    TEXT,
    sentiment_model  TEXT
);
CREATE INDEX news_by_time ON news (published_at);

CREATE TABLE feed_state (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE backfill_progress (
    symbol      TEXT NOT NULL,
    timeframe   TEXT NOT NULL,
    range_start BIGINT NOT NULL,
    range_end   BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (symbol, timeframe, range_start, range_end)
);

CREATE TABLE alert_state (
    name        TEXT PRIMARY KEY,
    armed       BOOLEAN NOT NULL,
    false_since BIGINT,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE alert_firings (
    id           TEXT PRIMARY KEY,
    alert        TEXT NOT NULL,
    symbol       TEXT NOT NULL,
    condition    TEXT NOT NULL,
    value        TEXT NOT NULL,
    at           TEXT NOT NULL,
    trigger_time BIGINT NOT NULL,
    recorded_at  BIGINT NOT NULL
);
CREATE INDEX alert_firings_by_time ON alert_firings (trigger_time);
CREATE INDEX alert_firings_by_alert ON alert_firings (alert, trigger_time);

CREATE TABLE alert_deliveries (
    firing_id    TEXT NOT NULL REFERENCES alert_firings(id),
    channel      TEXT NOT NULL,
    delivered_at BIGINT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT,
    PRIMARY KEY (firing_id, channel)
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (delivered_at);

CREATE TABLE alert_rules (
    name       TEXT PRIMARY KEY,
    symbol     TEXT,
    timeframe  TEXT NOT NULL,
    cond       TEXT NOT NULL,
    repeat     TEXT NOT NULL,
    rearm_secs BIGINT NOT NULL,
    notify     TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
