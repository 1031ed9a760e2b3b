-- (IF NOT EXISTS: a store rewound to an older version in tests keeps these tables.)
-- Perpetual futures besides candles. Markets are named as `venue:SYMBOL`; decimals are text,
-- exact as the venue wrote them; absent values are NULL.
-- Each perp's state as it stood at the end of each minute.
CREATE TABLE IF NOT EXISTS deriv_samples (
    symbol TEXT NOT NULL,
    minute INTEGER NOT NULL,
    time INTEGER NOT NULL,
    mark TEXT,
    index_price TEXT,
    funding_rate TEXT,
    next_funding INTEGER,
    funding_interval_hours INTEGER,
    open_interest TEXT,
    open_interest_quote TEXT,
    PRIMARY KEY (symbol, minute)
) WITHOUT ROWID;
-- Funding rates by settlement: settled (the venue's history) or predicted (live, until then).
CREATE TABLE IF NOT EXISTS funding (
    symbol TEXT NOT NULL,
    time INTEGER NOT NULL,
    rate TEXT NOT NULL,
    settled INTEGER NOT NULL,
    PRIMARY KEY (symbol, time)
) WITHOUT ROWID;
-- Liquidations, each once.
CREATE TABLE IF NOT EXISTS liquidations (
    symbol TEXT NOT NULL,
    time INTEGER NOT NULL,
    side TEXT NOT NULL,
    price TEXT NOT NULL,
    qty TEXT NOT NULL,
    sampled INTEGER NOT NULL,
    PRIMARY KEY (symbol, time, side, price, qty)
) WITHOUT ROWID;
