-- 9: the wallet (issue 12, BL-7).  accounts.credit_micros stays the balance;
-- every change of it is one row of credit_ledger in the same transaction
-- (amount + credit, - debit; actor 0 = the system or the operator).  The
-- ledger is append-only: the store has no op that updates or deletes a row.
-- Redeem codes are stored as the SHA-256 of the normalized code, never the
-- code; hint is its first 4 characters after "MGR-", for listing.
ALTER TABLE accounts ADD COLUMN wallet_only INTEGER NOT NULL DEFAULT 0;
CREATE TABLE credit_ledger (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), amount_micros INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opening', 'free_credit', 'redeem', 'topup', 'adjustment', 'invoice')),
  reference TEXT NOT NULL DEFAULT '', actor_account_id INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
CREATE INDEX credit_ledger_account ON credit_ledger(account_id, id);
INSERT INTO credit_ledger(account_id, amount_micros, kind, reference, actor_account_id, created_ms)
  SELECT id, credit_micros, 'opening', 'balance before the ledger', 0, CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM accounts WHERE credit_micros <> 0;
CREATE TABLE redeem_codes (
  id INTEGER PRIMARY KEY, code_hash BLOB NOT NULL UNIQUE, hint TEXT NOT NULL, value_micros INTEGER NOT NULL,
  batch TEXT NOT NULL DEFAULT '', created_by INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL DEFAULT 0, redeemed_by INTEGER NOT NULL DEFAULT 0, redeemed_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX redeem_codes_batch ON redeem_codes(batch, id);
