/*
 * sq_invoices.c: the SQLite invoices, invoice lines and payments (BL-6,
 * BL-7).  An invoice is unique per (account, period): inserting a second one
 * for the same month is MG_DECLINED, which is what makes closing a month
 * idempotent.  The lines are the period's usage events grouped by service and
 * model, summed here in SQL; the billing layer (billing/close.c) describes
 * their units and numbers the invoice.
 */
#include "store/sq_impl.h"

#include <string.h>

#define INVOICE_COLS                                                                                        \
    "id, account_id, period, number, status, currency, subtotal_micros, credits_micros, total_micros, "     \
    "total_cents, issued_ms, due_ms, paid_micros, reminder_sent_ms, n_lines FROM invoices "

static void invoice_row(sqlite3_stmt *st, struct mg_invoice_record *v)
{
    memset(v, 0, sizeof(*v));
    v->id = sqlite3_column_int64(st, 0);
    v->account_id = sqlite3_column_int64(st, 1);
    v->period = sqlite3_column_int64(st, 2);
    mg_strlcpy(v->number, sq_text(st, 3), sizeof(v->number));
    v->status = (enum mg_invoice_state)sqlite3_column_int(st, 4);
    mg_strlcpy(v->currency, sq_text(st, 5), sizeof(v->currency));
    v->subtotal_micros = sqlite3_column_int64(st, 6);
    v->credits_micros = sqlite3_column_int64(st, 7);
    v->total_micros = sqlite3_column_int64(st, 8);
    v->total_cents = sqlite3_column_int64(st, 9);
    v->issued_ms = sqlite3_column_int64(st, 10);
    v->due_ms = sqlite3_column_int64(st, 11);
    v->paid_micros = sqlite3_column_int64(st, 12);
    v->reminder_sent_ms = sqlite3_column_int64(st, 13);
    v->n_lines = sqlite3_column_int64(st, 14);
}

/* Steps a query of invoice rows into cb; cb != MG_OK stops. */
static int invoice_rows(struct mg_store *s, sqlite3_stmt *st, mg_store_invoice_cb cb, void *arg, const char *what)
{
    int rc;
    struct mg_invoice_record v;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        invoice_row(st, &v);
        if (cb(arg, &v) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, what);
}

int sq_account_set_invoice_billing(struct mg_store *s, int64_t account_id, int on)
{
    return sq_run2(s, "UPDATE accounts SET invoice_billing = ? WHERE id = ?", on != 0, account_id, 1,
                   "account invoice billing");
}

int sq_invoice_accounts(struct mg_store *s, int64_t from_ms, int64_t to_ms, int64_t after_id, size_t limit,
                        int64_t *ids, size_t *n)
{
    int rc;
    *n = 0;
    limit = MG_MIN(limit, (size_t)MG_INVOICES_PAGE_MAX);
    sqlite3_stmt *st = sq_prep(s, "SELECT DISTINCT account_id FROM usage_events WHERE ts_ms >= ? AND ts_ms < ?"
                                  " AND account_id > ? ORDER BY account_id LIMIT ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, from_ms);
    sqlite3_bind_int64(st, 2, to_ms);
    sqlite3_bind_int64(st, 3, after_id);
    sqlite3_bind_int64(st, 4, (int64_t)limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < limit)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "invoice accounts");
}

int sq_invoice_usage_lines(struct mg_store *s, int64_t account_id, int64_t from_ms, int64_t to_ms,
                           mg_store_line_cb cb, void *arg)
{
    int rc;
    struct mg_invoice_line_record l;
    sqlite3_stmt *st = sq_prep(s, "SELECT service, model, count(*), sum(input_tokens), sum(output_tokens),"
                                  " sum(cached_tokens), sum(characters), sum(images), sum(videos), sum(tracks),"
                                  " sum(voices), sum(cost_micros), video_seconds, video_res FROM usage_events"
                                  " WHERE account_id = ? AND ts_ms >= ? AND ts_ms < ?"
                                  " GROUP BY service, model, video_res, video_seconds"
                                  " ORDER BY service, model, video_res, video_seconds");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&l, 0, sizeof(l));
        mg_strlcpy(l.service, sq_text(st, 0), sizeof(l.service));
        mg_strlcpy(l.model, sq_text(st, 1), sizeof(l.model));
        l.requests = sqlite3_column_int64(st, 2);
        l.input_tokens = sqlite3_column_int64(st, 3);
        l.output_tokens = sqlite3_column_int64(st, 4);
        l.cached_tokens = sqlite3_column_int64(st, 5);
        l.characters = sqlite3_column_int64(st, 6);
        l.images = sqlite3_column_int64(st, 7);
        l.videos = sqlite3_column_int64(st, 8);
        l.tracks = sqlite3_column_int64(st, 9);
        l.voices = sqlite3_column_int64(st, 10);
        l.amount_micros = sqlite3_column_int64(st, 11);
        l.video_seconds = sqlite3_column_int64(st, 12);
        mg_strlcpy(l.video_res, sq_text(st, 13), sizeof(l.video_res));
        if (cb(arg, &l) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "invoice usage lines");
}

int sq_invoice_next_id(struct mg_store *s, int64_t *id)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT coalesce(max(id), 0) + 1 FROM invoices");
    if (st == NULL)
        return MG_ERR;
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_pfail(s, "invoice next id");
}

static int insert_line(struct mg_store *s, int64_t invoice_id, const struct mg_invoice_line_record *l)
{
    sqlite3_stmt *st = sq_prep(s, "INSERT INTO invoice_lines(invoice_id, service, model, units, requests,"
                                  " input_tokens, output_tokens, cached_tokens, characters, images, videos, tracks,"
                                  " voices, amount_micros) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return MG_ERR;
    const int64_t nums[] = {l->requests, l->input_tokens, l->output_tokens, l->cached_tokens, l->characters,
                            l->images, l->videos, l->tracks, l->voices, l->amount_micros};
    sqlite3_bind_int64(st, 1, invoice_id);
    sqlite3_bind_text(st, 2, l->service, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, l->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, l->units, -1, SQLITE_TRANSIENT);
    for (size_t i = 0; i < MG_ARRAY_SIZE(nums); i++)
        sqlite3_bind_int64(st, 5 + (int)i, nums[i]);
    return sq_pstep(s, st, 0, "invoice line insert");
}

static int bump_if_wallet_only(struct mg_store *s, int64_t account_id)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT wallet_only FROM accounts WHERE id = ?");
    int on = 0;
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        on = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return on ? sq_keys_bump_account(s, account_id) : MG_OK;
}

int sq_invoice_insert(struct mg_store *s, const struct mg_invoice_record *inv,
                      const struct mg_invoice_line_record *lines, size_t n)
{
    int rc;
    if (n > MG_INVOICE_LINES_PER_INVOICE)
        return MG_DECLINED;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    sqlite3_stmt *st = sq_prep(s, "INSERT INTO invoices(id, account_id, period, number, status, currency,"
                                  " subtotal_micros, credits_micros, total_micros, total_cents, issued_ms, due_ms,"
                                  " paid_micros, reminder_sent_ms, n_lines) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, inv->id);
    sqlite3_bind_int64(st, 2, inv->account_id);
    sqlite3_bind_int64(st, 3, inv->period);
    sqlite3_bind_text(st, 4, inv->number, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, (int)inv->status);
    sqlite3_bind_text(st, 6, inv->currency, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, inv->subtotal_micros);
    sqlite3_bind_int64(st, 8, inv->credits_micros);
    sqlite3_bind_int64(st, 9, inv->total_micros);
    sqlite3_bind_int64(st, 10, inv->total_cents);
    sqlite3_bind_int64(st, 11, inv->issued_ms);
    sqlite3_bind_int64(st, 12, inv->due_ms);
    sqlite3_bind_int64(st, 13, inv->paid_micros);
    sqlite3_bind_int64(st, 14, inv->reminder_sent_ms);
    sqlite3_bind_int64(st, 15, (int64_t)n);
    rc = sq_pstep(s, st, 0, "invoice insert");
    for (size_t i = 0; i < n && rc == MG_OK; i++)
        rc = insert_line(s, inv->id, &lines[i]);
    if (rc == MG_OK) /* a wallet-only account's keys carry the last month invoiced (the gateway's wallet check) */
        rc = bump_if_wallet_only(s, inv->account_id);
    if (rc == MG_DECLINED) { /* that month's invoice exists (or the number): nothing written */
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_invoice_get(struct mg_store *s, int64_t id, struct mg_invoice_record *out)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT " INVOICE_COLS "WHERE id = ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        invoice_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : rc == SQLITE_DONE ? MG_DECLINED : sq_pfail(s, "invoice get");
}

int sq_invoices_list(struct mg_store *s, int64_t account_id, int status, int64_t before_id, size_t limit,
                     mg_store_invoice_cb cb, void *arg)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT " INVOICE_COLS "WHERE (?1 = 0 OR account_id = ?1) AND (?2 < 0 OR status = ?2)"
                                  " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, account_id);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_int64(st, 3, before_id);
    sqlite3_bind_int64(st, 4, (int64_t)MG_MIN(limit, (size_t)MG_INVOICES_PAGE_MAX));
    return invoice_rows(s, st, cb, arg, "invoices list");
}

int sq_invoice_lines(struct mg_store *s, int64_t invoice_id, mg_store_line_cb cb, void *arg)
{
    int rc;
    struct mg_invoice_line_record l;
    sqlite3_stmt *st = sq_prep(s, "SELECT id, invoice_id, service, model, units, requests, input_tokens,"
                                  " output_tokens, cached_tokens, characters, images, videos, tracks, voices,"
                                  " amount_micros FROM invoice_lines WHERE invoice_id = ? ORDER BY id");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, invoice_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&l, 0, sizeof(l));
        l.id = sqlite3_column_int64(st, 0);
        l.invoice_id = sqlite3_column_int64(st, 1);
        mg_strlcpy(l.service, sq_text(st, 2), sizeof(l.service));
        mg_strlcpy(l.model, sq_text(st, 3), sizeof(l.model));
        mg_strlcpy(l.units, sq_text(st, 4), sizeof(l.units));
        int64_t *nums[] = {&l.requests, &l.input_tokens, &l.output_tokens, &l.cached_tokens, &l.characters,
                           &l.images, &l.videos, &l.tracks, &l.voices, &l.amount_micros};
        for (size_t i = 0; i < MG_ARRAY_SIZE(nums); i++)
            *nums[i] = sqlite3_column_int64(st, 5 + (int)i);
        if (cb(arg, &l) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "invoice lines");
}

int sq_invoice_set_status(struct mg_store *s, int64_t id, enum mg_invoice_state stt)
{
    return sq_run2(s, "UPDATE invoices SET status = ? WHERE id = ?", (int64_t)stt, id, 1, "invoice status");
}

int sq_payment_insert(struct mg_store *s, struct mg_payment_record *p)
{
    int rc, count = 0;
    sqlite3_stmt *st;
    if (sq_tx_begin(s, SQ_WRITE) != MG_OK)
        return SQ(s)->soft && SQ(s)->depth > 0 ? MG_AGAIN : MG_ERR;
    if ((st = sq_prep(s, "SELECT count(*) FROM payments WHERE invoice_id = ?")) == NULL)
        return sq_tx_end(s, MG_ERR);
    sqlite3_bind_int64(st, 1, p->invoice_id);
    rc = sqlite3_step(st);
    count = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sq_level_end(s, sq_pfail(s, "payments count"));
    if (count >= MG_PAYMENTS_PER_INVOICE) {
        sq_tx_end(s, MG_OK);
        return MG_DECLINED;
    }
    rc = sq_run2(s, "UPDATE invoices SET paid_micros = paid_micros + ? WHERE id = ?", p->amount_micros,
                 p->invoice_id, 1, "invoice paid");
    if (rc == MG_OK) {
        if ((st = sq_prep(s, "INSERT INTO payments(invoice_id, amount_micros, reference, provider, recorded_by,"
                             " created_ms) VALUES (?,?,?,?,?,?)")) == NULL)
            return sq_tx_end(s, MG_ERR);
        sqlite3_bind_int64(st, 1, p->invoice_id);
        sqlite3_bind_int64(st, 2, p->amount_micros);
        sqlite3_bind_text(st, 3, p->reference, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, p->provider[0] ? p->provider : "manual", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, p->recorded_by);
        sqlite3_bind_int64(st, 6, p->created_ms);
        rc = sq_pstep(s, st, 0, "payment insert");
        if (rc == MG_OK)
            p->id = sqlite3_last_insert_rowid(DB(s));
    }
    if (rc == MG_DECLINED) { /* no such invoice: nothing written */
        sq_tx_end(s, MG_ERR);
        return MG_DECLINED;
    }
    return sq_level_end(s, rc);
}

int sq_payments_list(struct mg_store *s, int64_t invoice_id, mg_store_payment_cb cb, void *arg)
{
    int rc;
    struct mg_payment_record p;
    sqlite3_stmt *st = sq_prep(s, "SELECT id, invoice_id, amount_micros, reference, provider, recorded_by, created_ms"
                                  " FROM payments WHERE invoice_id = ? ORDER BY id");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, invoice_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&p, 0, sizeof(p));
        p.id = sqlite3_column_int64(st, 0);
        p.invoice_id = sqlite3_column_int64(st, 1);
        p.amount_micros = sqlite3_column_int64(st, 2);
        mg_strlcpy(p.reference, sq_text(st, 3), sizeof(p.reference));
        mg_strlcpy(p.provider, sq_text(st, 4), sizeof(p.provider));
        p.recorded_by = sqlite3_column_int64(st, 5);
        p.created_ms = sqlite3_column_int64(st, 6);
        if (cb(arg, &p) != MG_OK)
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? MG_OK : sq_pfail(s, "payments list");
}

int sq_invoices_due(struct mg_store *s, int64_t now_ms, size_t limit, mg_store_invoice_cb cb, void *arg)
{
    sqlite3_stmt *st = sq_prep(s, "SELECT " INVOICE_COLS "WHERE status = 0 AND due_ms > 0 AND due_ms <= ?"
                                  " AND reminder_sent_ms = 0 ORDER BY due_ms, id LIMIT ?");
    if (st == NULL)
        return MG_ERR;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, (int64_t)MG_MIN(limit, (size_t)MG_INVOICES_PAGE_MAX));
    return invoice_rows(s, st, cb, arg, "invoices due");
}

int sq_invoice_set_reminded(struct mg_store *s, int64_t id, int64_t now_ms)
{
    return sq_run2(s, "UPDATE invoices SET reminder_sent_ms = ? WHERE id = ? AND reminder_sent_ms = 0", now_ms, id, 1,
                   "invoice reminder");
}

/* The oldest usage event by usage_ts (one index probe); invoices are few per
 * account and month, so their newest period is a short scan. */
int sq_billing_months(struct mg_store *s, int64_t *first_usage_month, int64_t *last_invoiced_month)
{
    /* the UTC month as months since January 1970, as billing/spendword.h counts them */
    sqlite3_stmt *st = sq_prep(s, "SELECT (SELECT (CAST(strftime('%Y', t / 1000, 'unixepoch') AS INTEGER) - 1970) * 12"
                                  " + CAST(strftime('%m', t / 1000, 'unixepoch') AS INTEGER) - 1"
                                  " FROM (SELECT min(ts_ms) AS t FROM usage_events) WHERE t IS NOT NULL),"
                                  " (SELECT max(period) FROM invoices)");
    int rc;
    if (st == NULL)
        return MG_ERR;
    *first_usage_month = *last_invoiced_month = -1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            *first_usage_month = sqlite3_column_int64(st, 0);
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            *last_invoiced_month = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? MG_OK : sq_fail(s, "billing months");
}
