-- 8: invoices and payments (issue 12, BL-6, BL-7).  One invoice per account and
-- billing period (months since January 1970, billing/spendword.h); its lines
-- are the period's usage events grouped by service and model.  Amounts are
-- micro-units; total_cents is the printed total (billing/invoice_pdf.h
-- mg_invoice_cents_of), the amount payments must cover.
ALTER TABLE accounts ADD COLUMN invoice_billing INTEGER NOT NULL DEFAULT 0;
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), period INTEGER NOT NULL,
  number TEXT NOT NULL UNIQUE, status INTEGER NOT NULL DEFAULT 0, currency TEXT NOT NULL,
  subtotal_micros INTEGER NOT NULL, credits_micros INTEGER NOT NULL DEFAULT 0, total_micros INTEGER NOT NULL,
  total_cents INTEGER NOT NULL, issued_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL DEFAULT 0,
  paid_micros INTEGER NOT NULL DEFAULT 0, reminder_sent_ms INTEGER NOT NULL DEFAULT 0,
  n_lines INTEGER NOT NULL DEFAULT 0, UNIQUE (account_id, period));
CREATE INDEX invoices_status_due ON invoices(status, due_ms);
CREATE TABLE invoice_lines (
  id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL REFERENCES invoices(id), service TEXT NOT NULL,
  model TEXT NOT NULL, units TEXT NOT NULL, requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL, characters INTEGER NOT NULL,
  images INTEGER NOT NULL, videos INTEGER NOT NULL, tracks INTEGER NOT NULL, voices INTEGER NOT NULL,
  amount_micros INTEGER NOT NULL);
CREATE INDEX invoice_lines_invoice ON invoice_lines(invoice_id);
CREATE TABLE payments (
  id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL REFERENCES invoices(id), amount_micros INTEGER NOT NULL,
  reference TEXT NOT NULL, provider TEXT NOT NULL DEFAULT 'manual', recorded_by INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE INDEX payments_invoice ON payments(invoice_id);
