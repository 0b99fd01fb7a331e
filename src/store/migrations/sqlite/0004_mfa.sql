-- 4: second factors (issue 10): TOTP secrets, recovery codes, security keys,
-- WebAuthn challenges, second-step logins.  No secret in the clear: the TOTP
-- secret is sealed by the platform, codes and mfa tokens are SHA-256.

-- one per account; confirmed 0 = pending enrolment; last_step = the highest time step used
CREATE TABLE totp_secrets (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id), sealed BLOB NOT NULL,
  confirmed INTEGER NOT NULL DEFAULT 0, last_step INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);

-- at most 10 per account (the store refuses a longer set); used_ms 0 = not used yet
CREATE TABLE recovery_codes (
  account_id INTEGER NOT NULL REFERENCES accounts(id), hash BLOB NOT NULL, created_ms INTEGER NOT NULL,
  used_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (account_id, hash)) WITHOUT ROWID;

-- at most 20 per account; a credential id belongs to one account only
CREATE TABLE webauthn_keys (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), cred_id BLOB NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '', alg INTEGER NOT NULL, pubkey BLOB NOT NULL, sign_count INTEGER NOT NULL DEFAULT 0,
  be INTEGER NOT NULL DEFAULT 0, bs INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL,
  last_used_ms INTEGER NOT NULL DEFAULT 0);
CREATE INDEX webauthn_keys_account ON webauthn_keys(account_id, id);

-- one per (kind, owner): owner is a session id (1 register, 3 reauth) or an mfa login id (2 login);
-- expired rows are deleted by the next put
CREATE TABLE webauthn_challenges (
  kind INTEGER NOT NULL, owner INTEGER NOT NULL, challenge BLOB NOT NULL, created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL, PRIMARY KEY (kind, owner)) WITHOUT ROWID;
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges(expires_ms);

-- the SHA-256 of an mfa_token; expired rows are deleted by the next put, at most 20 per account
CREATE TABLE mfa_logins (
  id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, account_id INTEGER NOT NULL REFERENCES accounts(id),
  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, failures INTEGER NOT NULL DEFAULT 0);
CREATE INDEX mfa_logins_account ON mfa_logins(account_id, id);
CREATE INDEX mfa_logins_expires ON mfa_logins(expires_ms);
