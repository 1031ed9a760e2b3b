-- Series are numbered once so each candle row carries a small integer, not three strings.
CREATE TABLE series (
    id        INTEGER PRIMARY KEY,
    exchange  TEXT NOT NULL,
    symbol    TEXT NOT NULL,
    timeframe TEXT NOT NULL,
    UNIQUE (exchange, symbol, timeframe)
);

-- Prices are integers scaled by 1e8 (Binance's precision); volumes can outgrow an i64 at that
-- scale, so they are exact decimal text.
CREATE TABLE candles (
    series_id      INTEGER NOT NULL REFERENCES series(id),
    open_time      INTEGER NOT NULL,
    open           INTEGER NOT NULL,
    high           INTEGER NOT NULL,
    low            INTEGER NOT NULL,
    close          INTEGER NOT NULL,
    volume         TEXT NOT NULL,
    quote_volume   TEXT NOT NULL,
    trades         INTEGER NOT NULL,
    closed         INTEGER NOT NULL,
    first_trade_id INTEGER,
    last_trade_id  INTEGER,
    source         TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (series_id, open_time)
) WITHOUT ROWID;

CREATE TABLE news (
    id               TEXT PRIMARY KEY,
    source           TEXT NOT NULL,
    feed             TEXT NOT NULL,
    title            TEXT NOT NULL,
    link             TEXT NOT NULL,
    published_at     INTEGER NOT NULL,
    fetched_at       INTEGER NOT NULL,
    summary          TEXT NOT NULL,
    symbols          TEXT NOT NULL,
    title_compound   REAL NOT NULL,
    title_pos        REAL NOT NULL,
    title_neu        REAL NOT NULL,
    title_neg        REAL NOT NULL,
    summary_compound REAL,
    summary_pos      REAL,
    summary_neu      REAL,
    summary_neg      REAL
);
CREATE INDEX news_by_time ON news (published_at);

-- Conditional GET state per feed.
CREATE TABLE feed_state (
    url           TEXT PRIMARY KEY,
    etag          TEXT,
    last_modified TEXT,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE backfill_progress (
    symbol      TEXT NOT NULL,
    timeframe   TEXT NOT NULL,
    range_start INTEGER NOT NULL,
    range_end   INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    error       TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (symbol, timeframe, range_start, range_end)
);
