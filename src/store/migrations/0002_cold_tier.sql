-- The cold tier: candles past their hot window, packed per series into chunks of one
-- timeframe-dependent span (see store/cold.rs), delta- and varint-encoded. Hot rows for the
-- same open time win on reads, so late writes never need to unpack a chunk.
CREATE TABLE candles_cold (
    series_id   INTEGER NOT NULL REFERENCES series(id),
    chunk_start INTEGER NOT NULL,
    first_open  INTEGER NOT NULL,
    last_open   INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (series_id, chunk_start)
) WITHOUT ROWID;
