-- 0002: a stream that ended early without the upstream's usage is billed an estimate (GW-5)
ALTER TABLE usage_events ADD COLUMN estimated INTEGER NOT NULL DEFAULT 0;
-- the last checkpoint of each open stream (its event after a crash; deleted by its real event)
CREATE TABLE stream_checkpoints (
  request_id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL, account_id INTEGER NOT NULL, key_id INTEGER NOT NULL,
  key_public_id TEXT NOT NULL, model TEXT NOT NULL, service TEXT NOT NULL, route TEXT NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
  characters INTEGER NOT NULL, images INTEGER NOT NULL, videos INTEGER NOT NULL, tracks INTEGER NOT NULL,
  voices INTEGER NOT NULL, cost_micros INTEGER NOT NULL, http_status INTEGER NOT NULL,
  estimated INTEGER NOT NULL) WITHOUT ROWID;
