-- (IF NOT EXISTS: a store rewound to an older version in tests keeps these tables.)
-- The user's own ledger (SPEC §6): one row per imported fill, transfer, fee, funding payment
-- or reward, known by its identity (venue, account and the venue's id, else its content).
-- Decimals are text, exact as imported; absent values are NULL.
CREATE TABLE IF NOT EXISTS ledger (
    identity TEXT PRIMARY KEY,
    time INTEGER NOT NULL,
    venue TEXT NOT NULL,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    asset TEXT NOT NULL,
    quote TEXT,
    qty TEXT NOT NULL,
    price TEXT,
    fee TEXT,
    fee_asset TEXT,
    id TEXT,
    content TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_time ON ledger (time);
