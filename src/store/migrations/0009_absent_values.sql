-- A quote volume or trade count the venue does not give is NULL (absent), no longer 0, which
-- a real zero is. SQLite cannot drop NOT NULL in place: the table is rebuilt, same columns and
-- key. Rows written as 0 before are mended by the step that follows (store/migrations.rs).
CREATE TABLE candles_new (
    series_id      INTEGER NOT NULL REFERENCES series(id),
    open_time      INTEGER NOT NULL,
    open           INTEGER NOT NULL,
    high           INTEGER NOT NULL,
    low            INTEGER NOT NULL,
    close          INTEGER NOT NULL,
    volume         TEXT NOT NULL,
    quote_volume   TEXT,
    trades         INTEGER,
    closed         INTEGER NOT NULL,
    first_trade_id INTEGER,
    last_trade_id  INTEGER,
    source         TEXT NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (series_id, open_time)
) WITHOUT ROWID;
INSERT INTO candles_new (series_id, open_time, open, high, low, close, volume, quote_volume,
    trades, closed, first_trade_id, last_trade_id, source, updated_at)
SELECT series_id, open_time, open, high, low, close, volume, quote_volume, trades, closed,
    first_trade_id, last_trade_id, source, updated_at FROM candles;
DROP TABLE candles;
ALTER TABLE candles_new RENAME TO candles;
