-- 7: the price table and ratios as the operator manages them (issue 12,
-- BL-1): rows here replace the built-in table's and the config's [price.*]
-- rows of the same model pattern; ratios (parts per million of the official
-- price) for scope 'global', 'plan:<plan>' or 'account:<id>'.  price_seq
-- bumps on every change so every node reloads (and key_seq for the keys a
-- plan's or an account's ratio reaches).
CREATE TABLE prices (
  model TEXT PRIMARY KEY, input_per_mtok INTEGER NOT NULL, output_per_mtok INTEGER NOT NULL,
  cached_per_mtok INTEGER NOT NULL, per_10k_chars INTEGER NOT NULL, per_image INTEGER NOT NULL,
  per_video INTEGER NOT NULL, per_track INTEGER NOT NULL, per_voice INTEGER NOT NULL,
  max_output_tokens INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE price_ratios (scope TEXT PRIMARY KEY, ratio_ppm INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE price_seq (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
INSERT INTO price_seq VALUES (1, 0);
