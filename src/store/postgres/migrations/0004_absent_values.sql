-- A quote volume or trade count the venue does not give is NULL (absent), no longer 0, which
-- a real zero is. Rows written as 0 before are mended by the step that follows
-- (store/postgres/migrations.rs).
ALTER TABLE candles ALTER COLUMN quote_volume DROP NOT NULL, ALTER COLUMN trades DROP NOT NULL;
