-- 5: per-key limits (issue 11, GW-9 and the per-key cap): requests and tokens
-- per minute and a monthly cap in micro-units; 0 = no limit.  The month's
-- spend of a key is summed from usage_events by key at start (the index).
ALTER TABLE api_keys ADD COLUMN rpm INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN tpm INTEGER NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN cap_micros INTEGER NOT NULL DEFAULT 0;
CREATE INDEX usage_ts ON usage_events(ts_ms);
