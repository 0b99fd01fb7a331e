/*
 * close.h: closing a billing period (BL-6): every account with usage events
 * in the month gets one invoice whose lines are those events grouped by
 * service and model.  The ledger invariant: an invoice's subtotal is the sum
 * of its lines, and the sum of its lines is the sum of the cost_micros of the
 * account's usage events in [start, end) of the month, to the micro.
 *
 * Idempotent: an invoice is unique per (account, month) in the store, each
 * account's invoice is written in one transaction of its own ("insert if
 * absent"), so closing a month twice, or again after a crash half way,
 * issues every account's invoice exactly once.  Numbers are sequential:
 * "MG-<year>-<month>-<id, 6 digits>", the id taken inside the inserting
 * transaction.
 *
 * The close blocks on the database: it runs on a worker thread (a platform
 * worker, the server's billing thread, an operator command), never on a loop.
 */
#ifndef MG_BILLING_CLOSE_H
#define MG_BILLING_CLOSE_H

#include <stddef.h>
#include <stdint.h>
#include "core/invoice_records.h"
#include "store/store.h"

/* The server's billing thread closes a month this long after its end: usage events of the month's
 * last moments are committed by the meter's writer within milliseconds; this leaves a wide margin. */
#define MG_CLOSE_GRACE_MS (5 * 60 * 1000)
#define MG_NET_TERMS_DAYS 30 /* invoice billing (AC-11, enterprise): due 30 days after issue */

/* The [billing] section (docs/operations.md) as invoices need it. */
struct mg_billing_config {
    char issuer_name[256];
    char issuer_address[512]; /* lines separated by the two characters "\n" (or a real newline) */
    char issuer_tax_id[64];
    char currency[4];         /* three capitals; "USD" by default */
    char bank_details[512];   /* printed on the PDF of an open invoice and in the reminder */
};

/* ---- pure parts --------------------------------------------------------------------- */

/* "YYYY-MM" (1970-01 .. 9999-12) -> months since January 1970.  MG_OK or MG_DECLINED. */
int mg_period_parse(const char *text, int64_t *month);
/* months since January 1970 -> "YYYY-MM" (cap >= 8). */
void mg_period_format(int64_t month, char *out, size_t cap);
/* The invoice number of invoice id issued for month: "MG-2026-11-000042" (cap >= 24). */
void mg_invoice_number_format(int64_t month, int64_t id, char *out, size_t cap);
/* The line's units as text from its sums: "3 requests, 1,234 input tokens, 56 output tokens"
 * (the counts that are not zero; requests always).  Returns the length (cut to cap - 1). */
size_t mg_invoice_units(const struct mg_invoice_line_record *l, char *out, size_t cap);
/* due_ms of an invoice issued at issued_ms: issued + 30 days for invoice billing, else 0 (on receipt). */
int64_t mg_invoice_due(int64_t issued_ms, int invoice_billing);
/* The printed total (cents) of n lines with credits (billing/invoice_pdf.h's rule). */
int64_t mg_invoice_total_cents(const struct mg_invoice_line_record *lines, size_t n, int64_t subtotal_micros,
                               int64_t credits_micros);

/* ---- the close ---------------------------------------------------------------------- */

struct mg_close_result {
    size_t issued;   /* invoices written by this close */
    size_t existing; /* accounts whose invoice of the month existed already */
    size_t failed;   /* accounts whose invoice could not be made (logged; a later close tries again) */
    size_t skipped;  /* usage of an account id that does not exist (logged; never invoiced) */
};

/* Called for each invoice this close issued (cb may be NULL). */
typedef void (*mg_close_cb)(void *arg, const struct mg_invoice_record *inv);

/*
 * Closes month (months since 1970) at now_ms.  MG_DECLINED when the month has
 * not ended (now_ms < its end): nothing is done.  Else MG_OK (with out
 * counting what happened; out may be NULL), or MG_ERR when the accounts could
 * not be listed.  The issued invoices have status open (paid when their
 * printed total is 0), issued_ms = now_ms, due per mg_invoice_due, currency
 * as given.
 */
int mg_close_month(struct mg_store *s, int64_t month, int64_t now_ms, const char *currency, mg_close_cb cb,
                   void *arg, struct mg_close_result *out);

#endif
