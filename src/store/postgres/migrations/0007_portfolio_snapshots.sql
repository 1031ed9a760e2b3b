-- The portfolio's equity at every [portfolio] snapshot_minutes (SPEC §6), as valued then:
-- kept so its history outlives the candles it was valued from. `basis` names how it was
-- valued (currency, cost method, stablecoins at par), so a changed setting starts afresh.
CREATE TABLE IF NOT EXISTS portfolio_snapshots (
    basis TEXT NOT NULL,
    time BIGINT NOT NULL,
    equity TEXT NOT NULL,
    realized TEXT NOT NULL,
    unrealized TEXT NOT NULL,
    unvalued TEXT NOT NULL,
    PRIMARY KEY (basis, time)
);
