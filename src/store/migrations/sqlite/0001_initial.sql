-- 0001: accounts, API keys with their change sequence, channels, usage events, owners of async resources.
-- Applied by src/store/sq_core.c; never edit a migration that has shipped: add the next number.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_phc TEXT, is_admin INTEGER NOT NULL DEFAULT 0,
  suspended INTEGER NOT NULL DEFAULT 0, cap_micros INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
CREATE TABLE key_seq (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
INSERT INTO key_seq VALUES (1, 0);
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), public_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, region INTEGER NOT NULL, scopes INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 0,
  expires_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, last_used_ms INTEGER NOT NULL DEFAULT 0,
  digest BLOB NOT NULL UNIQUE, models TEXT NOT NULL DEFAULT '', seq INTEGER NOT NULL);
CREATE INDEX api_keys_seq ON api_keys(seq);
CREATE TABLE channels (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, region INTEGER NOT NULL, base_url TEXT NOT NULL,
  key_ref TEXT NOT NULL, key_enc BLOB, weight INTEGER NOT NULL DEFAULT 1, models TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1);
CREATE TABLE usage_events (
  request_id TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL, account_id INTEGER NOT NULL, key_id INTEGER NOT NULL,
  key_public_id TEXT NOT NULL, model TEXT NOT NULL, service TEXT NOT NULL, route TEXT NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
  characters INTEGER NOT NULL, images INTEGER NOT NULL, videos INTEGER NOT NULL, tracks INTEGER NOT NULL,
  voices INTEGER NOT NULL, cost_micros INTEGER NOT NULL, http_status INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX usage_account_ts ON usage_events(account_id, ts_ms);
CREATE TABLE owners (kind INTEGER NOT NULL, id TEXT NOT NULL, account_id INTEGER NOT NULL,
  model TEXT NOT NULL DEFAULT '', PRIMARY KEY (kind, id));
