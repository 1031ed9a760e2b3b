-- The decimals of each listed market's price tick and size step, as its venue lists them
-- (NULL where the venue did not say): every price and size of a market is shown with them.
ALTER TABLE instruments ADD COLUMN price_decimals INTEGER;
ALTER TABLE instruments ADD COLUMN size_decimals INTEGER;
