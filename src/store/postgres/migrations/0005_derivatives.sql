-- (IF NOT EXISTS: a store rewound to an older version in tests keeps these tables.)
-- Perpetual futures besides candles (the same tables as SQLite's schema 10).
CREATE TABLE IF NOT EXISTS deriv_samples (
    symbol TEXT NOT NULL,
    minute BIGINT NOT NULL,
    time BIGINT NOT NULL,
    mark TEXT,
    index_price TEXT,
    funding_rate TEXT,
    next_funding BIGINT,
    funding_interval_hours INTEGER,
    open_interest TEXT,
    open_interest_quote TEXT,
    PRIMARY KEY (symbol, minute)
);
CREATE TABLE IF NOT EXISTS funding (
    symbol TEXT NOT NULL,
    time BIGINT NOT NULL,
    rate TEXT NOT NULL,
    settled BOOLEAN NOT NULL,
    PRIMARY KEY (symbol, time)
);
CREATE TABLE IF NOT EXISTS liquidations (
    symbol TEXT NOT NULL,
    time BIGINT NOT NULL,
    side TEXT NOT NULL,
    price TEXT NOT NULL,
    qty TEXT NOT NULL,
    sampled BOOLEAN NOT NULL,
    PRIMARY KEY (symbol, time, side, price, qty)
);
