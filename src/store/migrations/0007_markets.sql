-- The markets each venue lists (a cache, so `/` searches them offline) and when each list was
-- fetched; the markets a user added to the watchlist, in the order shown.
CREATE TABLE instruments (
    exchange TEXT NOT NULL,
    symbol   TEXT NOT NULL,
    PRIMARY KEY (exchange, symbol)
) WITHOUT ROWID;

CREATE TABLE instrument_lists (
    exchange   TEXT PRIMARY KEY,
    fetched_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE watchlist (
    position INTEGER PRIMARY KEY,
    symbol   TEXT NOT NULL UNIQUE
);
