-- Several venues: series already carry their exchange (every existing one is 'binance');
-- backfill progress was keyed by the bare symbol and now by the canonical 'venue:SYMBOL'.
UPDATE backfill_progress SET symbol = 'binance:' || symbol WHERE instr(symbol, ':') = 0;
CREATE INDEX IF NOT EXISTS series_by_exchange ON series (exchange, symbol);
