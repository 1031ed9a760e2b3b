-- The markets each venue lists (a cache, so `/` searches them offline) and when each list was
-- fetched; the markets a user added to the watchlist, in the order shown.
CREATE TABLE instruments (
    exchange TEXT NOT NULL,
    symbol   TEXT NOT NULL,
    PRIMARY KEY (exchange, symbol)
);

CREATE TABLE instrument_lists (
    exchange   TEXT PRIMARY KEY,
    fetched_at BIGINT NOT NULL
);

CREATE TABLE watchlist (
    position INTEGER PRIMARY KEY,
    symbol   TEXT NOT NULL UNIQUE
);
