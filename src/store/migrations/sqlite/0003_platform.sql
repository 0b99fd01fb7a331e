-- 3: the account platform (issue 9): sign-in state on accounts, sessions,
-- one-time tokens, the audit log, access/recovery requests, notifications.
ALTER TABLE accounts ADD COLUMN status INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN plan TEXT NOT NULL DEFAULT 'free';
ALTER TABLE accounts ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN last_login_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN credit_micros INTEGER NOT NULL DEFAULT 0;

-- one row per failed login inside the last hour (older rows are deleted by the next failure)
CREATE TABLE login_failures (
  account_id INTEGER NOT NULL REFERENCES accounts(id), ts_ms INTEGER NOT NULL);
CREATE INDEX login_failures_account_ts ON login_failures(account_id, ts_ms);

CREATE TABLE sessions (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), token_hash BLOB NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,
  reauth_ms INTEGER NOT NULL DEFAULT 0, ip TEXT NOT NULL DEFAULT '', user_agent TEXT NOT NULL DEFAULT '');
CREATE INDEX sessions_account ON sessions(account_id, id);
CREATE INDEX sessions_expires ON sessions(expires_ms);
CREATE INDEX sessions_last_seen ON sessions(last_seen_ms);

-- only the SHA-256 of a token's text; used_ms 0 = not used yet
CREATE TABLE tokens (
  hash BLOB PRIMARY KEY, kind INTEGER NOT NULL, account_id INTEGER NOT NULL REFERENCES accounts(id),
  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE INDEX tokens_account_kind ON tokens(account_id, kind);
CREATE INDEX tokens_expires ON tokens(expires_ms);

-- append-only; account_id/actor_id 0 = none
CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, type TEXT NOT NULL, account_id INTEGER NOT NULL DEFAULT 0,
  actor_id INTEGER NOT NULL DEFAULT 0, ip TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE INDEX audit_account ON audit_events(account_id, id);
CREATE INDEX audit_type ON audit_events(type, id);
CREATE INDEX audit_ts ON audit_events(ts_ms);

-- access (kind 1) and recovery (kind 2) requests; status 0 pending, 1 approved, 2 denied
CREATE TABLE requests (
  id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, email TEXT NOT NULL, account_id INTEGER NOT NULL DEFAULT 0,
  text TEXT NOT NULL DEFAULT '', status INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,
  decided_ms INTEGER NOT NULL DEFAULT 0, decided_by INTEGER NOT NULL DEFAULT 0);
-- one pending request per kind and email
CREATE UNIQUE INDEX requests_pending_email ON requests(kind, email) WHERE status = 0;
CREATE INDEX requests_kind_status ON requests(kind, status, id);
CREATE INDEX requests_status ON requests(status);

CREATE TABLE notifications (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), ts_ms INTEGER NOT NULL,
  kind TEXT NOT NULL, text TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0);
CREATE INDEX notifications_account ON notifications(account_id, id);
CREATE INDEX notifications_unread ON notifications(account_id, read);
