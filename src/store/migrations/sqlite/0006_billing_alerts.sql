-- 6: spending alerts (issue 12, BL-4): per account, per service family or
-- "all", at a percentage of the account's cap, by mail and/or in the
-- console.  fired_month = the last billing month (months since January 1970)
-- the alert fired in; an UPDATE ... WHERE fired_month < ? decides the one
-- firing per period, whichever writer gets there first.
CREATE TABLE billing_alerts (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), service TEXT NOT NULL,
  threshold_percent INTEGER NOT NULL, channels INTEGER NOT NULL, fired_month INTEGER NOT NULL DEFAULT -1,
  created_ms INTEGER NOT NULL, UNIQUE (account_id, service, threshold_percent));
