-- The sentiment scorer's class and name per item (the headline model's label is not a
-- threshold of its compound, so it is stored). Older rows were scored by VADER: NULL reads
-- as VADER, the label then follows from the compound.
ALTER TABLE news ADD COLUMN title_label TEXT;
ALTER TABLE news ADD COLUMN summary_label TEXT;
ALTER TABLE news ADD COLUMN sentiment_model TEXT;
