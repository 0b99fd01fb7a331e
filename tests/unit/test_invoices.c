/* Unit tests: invoices (billing/close.h, billing/payments.h and the store's
 * invoice ops): the period text, numbers, units; closing a month gives one
 * invoice per account whose subtotal is the sum of its usage events, twice
 * is once, an unended month is refused; the wallet's credit pays first; the payment rule against the
 * printed total; the ceilings (lines per invoice, payments per invoice); the
 * overdue list and its one reminder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing/close.h"
#include "billing/payments.h"
#include "billing/period.h"
#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"
#include "fixture_platform.h"

static void usage(struct mg_store *s, const char *rid, int64_t ts, int64_t acct, const char *svc, const char *model,
                  int64_t in, int64_t out, int64_t cost)
{
    struct mg_usage_event e;
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.request_id, rid, sizeof(e.request_id));
    e.ts_ms = ts;
    e.account_id = acct;
    e.key_id = 1;
    mg_strlcpy(e.key_public_id, "abcdefghijkl", sizeof(e.key_public_id));
    mg_strlcpy(e.model, model, sizeof(e.model));
    mg_strlcpy(e.service, svc, sizeof(e.service));
    mg_strlcpy(e.route, "/v1/chat/completions", sizeof(e.route));
    e.input_tokens = in;
    e.output_tokens = out;
    e.cost_micros = cost;
    e.http_status = 200;
    assert_int_equal(s->ops->usage_insert(s, &e, 1), MG_OK);
}

static void period_number_units(void **state)
{
    int64_t m;
    char buf[64];
    assert_int_equal(mg_period_parse("2026-11", &m), MG_OK);
    assert_int_equal(m, (2026 - 1970) * 12 + 10);
    mg_period_format(m, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11");
    assert_int_equal(mg_period_parse("1970-01", &m), MG_OK);
    assert_int_equal(m, 0);
    const char *bad[] = {"2026-13", "2026-00", "1969-12", "26-11", "2026/11", "2026-1", "2026-111", "", "abcd-ef"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++)
        assert_int_equal(mg_period_parse(bad[i], &m), MG_DECLINED);
    mg_invoice_number_format((2026 - 1970) * 12 + 10, 42, buf, sizeof(buf));
    assert_string_equal(buf, "MG-2026-11-000042");
    struct mg_invoice_line_record l;
    memset(&l, 0, sizeof(l));
    l.requests = 3;
    l.input_tokens = 1234567;
    l.output_tokens = 1;
    mg_invoice_units(&l, buf, sizeof(buf));
    assert_string_equal(buf, "3 requests, 1,234,567 input tokens, 1 output token");
    char small[12];
    assert_int_equal(mg_invoice_units(&l, small, sizeof(small)), sizeof(small) - 1); /* cut, still a string */
    /* a line of videos says the length and resolution they were priced by */
    memset(&l, 0, sizeof(l));
    l.requests = 3;
    l.videos = 3;
    l.video_seconds = 10;
    strcpy(l.video_res, "1080P");
    mg_invoice_units(&l, buf, sizeof(buf));
    assert_string_equal(buf, "3 requests, 3 videos (1080P, 10 s)");
    l.video_res[0] = '\0';
    l.videos = 1;
    mg_invoice_units(&l, buf, sizeof(buf));
    assert_string_equal(buf, "3 requests, 1 video (10 s)");
    assert_int_equal(mg_invoice_due(T0, 0), 0);
    assert_int_equal(mg_invoice_due(T0, 1), T0 + 30 * MG_DAY_MS);
}

struct seen {
    struct mg_invoice_record v[8];
    size_t n;
};

static void on_issued(void *arg, const struct mg_invoice_record *v)
{
    struct seen *x = arg;
    if (x->n < MG_ARRAY_SIZE(x->v))
        x->v[x->n++] = *v;
}

static int count_line(void *arg, const struct mg_invoice_line_record *l)
{
    (*(int64_t *)arg) += l->amount_micros;
    return MG_OK;
}

static void close_month_exact_and_idempotent(void **state)
{
    struct mg_store *s = *state;
    struct mg_period p = mg_period_of(T0);
    int64_t a = new_account(s, "a@example.com"), b = new_account(s, "b@example.com");
    new_account(s, "idle@example.com"); /* no usage: no invoice */
    assert_int_equal(s->ops->account_set_invoice_billing(s, b, 1), MG_OK);
    usage(s, "r1", p.start_ms, a, "chat", "M1", 10, 20, 1234567);
    usage(s, "r2", p.start_ms + 5, a, "chat", "M1", 1, 2, 3);
    usage(s, "r3", p.end_ms - 1, a, "speech", "S1", 0, 0, 500000);
    usage(s, "r4", p.end_ms, a, "chat", "M1", 1, 1, 999); /* the next month */
    usage(s, "r5", p.start_ms - 1, a, "chat", "M1", 1, 1, 777); /* the month before */
    usage(s, "r6", p.start_ms + 9, b, "chat", "M2", 5, 5, 4999);
    usage(s, "r7", p.start_ms + 9, 99, "chat", "M2", 5, 5, 1); /* no such account: skipped, not retried */

    struct mg_close_result r;
    struct seen x = {.n = 0};
    assert_int_equal(mg_close_month(s, p.month, p.end_ms - 1, "USD", NULL, NULL, &r), MG_DECLINED); /* not ended */
    assert_int_equal(mg_close_month(s, p.month, p.end_ms + 10, "USD", on_issued, &x, &r), MG_OK);
    assert_int_equal(r.issued, 2);
    assert_int_equal(r.existing, 0);
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.skipped, 1);
    assert_int_equal(x.n, 2);
    const struct mg_invoice_record *ia = x.v[0].account_id == a ? &x.v[0] : &x.v[1];
    const struct mg_invoice_record *ib = ia == &x.v[0] ? &x.v[1] : &x.v[0];
    assert_int_equal(ia->subtotal_micros, 1234567 + 3 + 500000); /* the month's events exactly */
    assert_int_equal(ia->total_micros, ia->subtotal_micros);
    assert_int_equal(ia->total_cents, 123 + 50);                 /* the printed lines: 1.23 + 0.50 */
    assert_int_equal(ia->n_lines, 2);
    assert_int_equal(ia->due_ms, 0);
    assert_int_equal(ia->status, MG_INV_OPEN);
    assert_int_equal(ib->due_ms, p.end_ms + 10 + 30 * MG_DAY_MS); /* invoice billing: net-30 */
    assert_int_equal(ib->total_cents, 0);                          /* 0.004999 prints as 0.00 */
    assert_int_equal(ib->status, MG_INV_PAID);                     /* nothing to pay */
    assert_true(strncmp(ia->number, "MG-", 3) == 0 && strcmp(ia->number, ib->number) != 0);

    struct mg_invoice_record got;
    int64_t sum = 0;
    assert_int_equal(s->ops->invoice_get(s, ia->id, &got), MG_OK);
    assert_string_equal(got.number, ia->number);
    assert_string_equal(got.currency, "USD");
    assert_int_equal(s->ops->invoice_lines(s, ia->id, count_line, &sum), MG_OK);
    assert_int_equal(sum, got.subtotal_micros);

    /* twice is once, and so is a close after one account's invoice was written (a crash half way) */
    assert_int_equal(raw("DELETE FROM invoice_lines WHERE invoice_id = (SELECT id FROM invoices WHERE account_id = 2)"),
                     0);
    raw("DELETE FROM invoices WHERE account_id = 2");
    x.n = 0;
    assert_int_equal(mg_close_month(s, p.month, p.end_ms + 20, "USD", on_issued, &x, &r), MG_OK);
    assert_int_equal(r.issued, 1);
    assert_int_equal(r.existing, 1);
    assert_int_equal(x.v[0].account_id, b);
    assert_int_equal(mg_close_month(s, p.month, p.end_ms + 30, "USD", NULL, NULL, &r), MG_OK);
    assert_int_equal(r.issued, 0);
    assert_int_equal(r.existing, 2);
    assert_int_equal(raw("SELECT count(*) FROM invoices"), 2);
}

static int64_t credit(struct mg_store *s, int64_t acct, int64_t amount)
{
    struct mg_ledger_entry e = {.account_id = acct, .amount_micros = amount, .kind = "topup"};
    int64_t bal = 0;
    assert_int_equal(s->ops->ledger_add(s, &e, &bal), MG_OK);
    return bal;
}

/* The wallet pays first: 5.00 of credit and 3.20 of usage is an invoice with credits 3.20 and total 0 (issued
 * paid), 1.80 left; 1.00 of credit against 3.20 leaves 2.20 to pay and a balance of 0. */
static void close_month_applies_credit(void **state)
{
    struct mg_store *s = *state;
    struct mg_period p = mg_period_of(T0);
    int64_t a = new_account(s, "rich@example.com"), b = new_account(s, "poor@example.com");
    credit(s, a, 5000000);
    credit(s, b, 1000000);
    usage(s, "r1", p.start_ms + 1, a, "chat", "M1", 10, 20, 3200000);
    usage(s, "r2", p.start_ms + 1, b, "chat", "M1", 10, 20, 3200000);
    struct mg_close_result r;
    struct seen x = {.n = 0};
    assert_int_equal(mg_close_month(s, p.month, p.end_ms + 10, "USD", on_issued, &x, &r), MG_OK);
    assert_int_equal(r.issued, 2);
    const struct mg_invoice_record *ia = x.v[0].account_id == a ? &x.v[0] : &x.v[1];
    const struct mg_invoice_record *ib = ia == &x.v[0] ? &x.v[1] : &x.v[0];
    assert_int_equal(ia->subtotal_micros, 3200000);
    assert_int_equal(ia->credits_micros, 3200000);
    assert_int_equal(ia->total_micros, 0);
    assert_int_equal(ia->total_cents, 0);
    assert_int_equal(ia->status, MG_INV_PAID);
    assert_int_equal(ib->credits_micros, 1000000);
    assert_int_equal(ib->total_micros, 2200000);
    assert_int_equal(ib->total_cents, 220);
    assert_int_equal(ib->status, MG_INV_OPEN);
    struct mg_account acct;
    assert_int_equal(s->ops->account_get(s, a, &acct), MG_OK);
    assert_int_equal(acct.credit_micros, 1800000);
    assert_int_equal(s->ops->account_get(s, b, &acct), MG_OK);
    assert_int_equal(acct.credit_micros, 0);
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger WHERE kind = 'invoice' AND amount_micros = -3200000 AND "
                         "reference LIKE 'invoice MG-%'"), 1);
    /* the ledger sums to the balance */
    assert_int_equal(raw("SELECT sum(amount_micros) FROM credit_ledger WHERE account_id = 1"), 1800000);
    /* a second close debits nothing again */
    assert_int_equal(mg_close_month(s, p.month, p.end_ms + 20, "USD", NULL, NULL, &r), MG_OK);
    assert_int_equal(r.existing, 2);
    assert_int_equal(raw("SELECT count(*) FROM credit_ledger WHERE kind = 'invoice'"), 2);
}

static void insert_ceiling_and_unique(void **state)
{
    struct mg_store *s = *state;
    int64_t a = new_account(s, "c@example.com"), id;
    struct mg_invoice_record v;
    memset(&v, 0, sizeof(v));
    struct mg_invoice_line_record *lines = calloc(MG_INVOICE_LINES_PER_INVOICE + 1, sizeof(*lines));
    for (size_t i = 0; i <= MG_INVOICE_LINES_PER_INVOICE; i++) {
        snprintf(lines[i].service, sizeof(lines[i].service), "chat");
        snprintf(lines[i].model, sizeof(lines[i].model), "m%zu", i);
        lines[i].amount_micros = 1;
    }
    assert_int_equal(s->ops->invoice_next_id(s, &id), MG_OK);
    assert_int_equal(id, 1);
    v.id = id;
    v.account_id = a;
    v.period = 5;
    mg_strlcpy(v.number, "MG-1970-06-000001", sizeof(v.number));
    mg_strlcpy(v.currency, "USD", sizeof(v.currency));
    assert_int_equal(s->ops->invoice_insert(s, &v, lines, MG_INVOICE_LINES_PER_INVOICE + 1), MG_DECLINED);
    assert_int_equal(raw("SELECT count(*) FROM invoices"), 0);
    assert_int_equal(s->ops->invoice_insert(s, &v, lines, MG_INVOICE_LINES_PER_INVOICE), MG_OK);
    assert_int_equal(raw("SELECT count(*) FROM invoice_lines"), MG_INVOICE_LINES_PER_INVOICE);
    v.id = 2;
    mg_strlcpy(v.number, "MG-1970-06-000002", sizeof(v.number));
    assert_int_equal(s->ops->invoice_insert(s, &v, lines, 1), MG_DECLINED); /* that account's month exists */
    assert_int_equal(raw("SELECT count(*) FROM invoice_lines"), MG_INVOICE_LINES_PER_INVOICE);
    free(lines);
}

static int64_t open_invoice(struct mg_store *s, int64_t acct, int64_t cents, int64_t due_ms)
{
    struct mg_invoice_record v;
    struct mg_invoice_line_record l;
    memset(&v, 0, sizeof(v));
    memset(&l, 0, sizeof(l));
    assert_int_equal(s->ops->invoice_next_id(s, &v.id), MG_OK);
    v.account_id = acct;
    v.period = 100 + v.id;
    mg_invoice_number_format(v.period, v.id, v.number, sizeof(v.number));
    mg_strlcpy(v.currency, "USD", sizeof(v.currency));
    v.subtotal_micros = v.total_micros = cents * 10000;
    v.total_cents = cents;
    v.due_ms = due_ms;
    mg_strlcpy(l.service, "chat", sizeof(l.service));
    l.amount_micros = v.subtotal_micros;
    assert_int_equal(s->ops->invoice_insert(s, &v, &l, 1), MG_OK);
    return v.id;
}

static enum mg_pay_verdict pay(struct mg_store *s, int64_t id, int64_t micros, struct mg_invoice_record *v)
{
    struct mg_payment_record p;
    memset(&p, 0, sizeof(p));
    p.invoice_id = id;
    p.amount_micros = micros;
    mg_strlcpy(p.reference, "ref", sizeof(p.reference));
    p.created_ms = T0;
    return mg_payment_provider("manual")->record(s, &p, v);
}

static void payments_cover_the_printed_total(void **state)
{
    struct mg_store *s = *state;
    struct mg_invoice_record v;
    int64_t a = new_account(s, "p@example.com"), id = open_invoice(s, a, 1000, 0); /* 10.00 due */
    assert_null(mg_payment_provider("stripe"));
    assert_int_equal(pay(s, id, 0, &v), MG_PAY_BAD_AMOUNT);
    assert_int_equal(pay(s, id, 4000000, &v), MG_PAY_OK);
    assert_int_equal(v.paid_micros, 4000000);
    assert_int_equal(v.status, MG_INV_OPEN);
    assert_int_equal(pay(s, id, 6000001, &v), MG_PAY_OVER); /* one micro too many */
    assert_int_equal(raw("SELECT paid_micros FROM invoices WHERE id = 1"), 4000000);
    assert_int_equal(pay(s, id, 6000000, &v), MG_PAY_SETTLED);
    assert_int_equal(v.status, MG_INV_PAID);
    assert_int_equal(pay(s, id, 1, &v), MG_PAY_NOT_OPEN);
    assert_int_equal(pay(s, 999, 1, &v), MG_PAY_NO_INVOICE);
    assert_int_equal(raw("SELECT count(*) FROM payments"), 2);
    assert_int_equal(s->ops->invoice_get(s, id, &v), MG_OK);
    assert_int_equal(v.status, MG_INV_PAID);
    assert_int_equal(v.paid_micros, 10000000);

    /* the ceiling: MG_PAYMENTS_PER_INVOICE payments, then refused */
    int64_t big = open_invoice(s, a, 100000, 0);
    char sql[256];
    snprintf(sql, sizeof(sql), "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
                               "INSERT INTO payments(invoice_id, amount_micros, reference, recorded_by, created_ms) "
                               "SELECT %lld, 1, 'x', 0, 0 FROM n", MG_PAYMENTS_PER_INVOICE - 1, (long long)big);
    raw(sql);
    assert_int_equal(pay(s, big, 1, &v), MG_PAY_OK); /* the 1000th */
    assert_int_equal(pay(s, big, 1, &v), MG_PAY_TOO_MANY);
    assert_int_equal(raw("SELECT count(*) FROM payments WHERE invoice_id = 2"), MG_PAYMENTS_PER_INVOICE);
}

static int count_due(void *arg, const struct mg_invoice_record *v)
{
    (*(int *)arg)++;
    return MG_OK;
}

static void overdue_and_one_reminder(void **state)
{
    struct mg_store *s = *state;
    struct mg_invoice_record v;
    int n = 0;
    int64_t a = new_account(s, "d@example.com");
    int64_t due = open_invoice(s, a, 500, T0), later = open_invoice(s, a, 500, T0 + HOUR);
    open_invoice(s, a, 500, 0); /* on receipt: never "overdue" */
    int64_t paid = open_invoice(s, a, 500, T0 - HOUR);
    assert_int_equal(pay(s, paid, 5000000, &v), MG_PAY_SETTLED);
    assert_int_equal(s->ops->invoices_due(s, T0, 100, count_due, &n), MG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s->ops->invoice_set_reminded(s, due, T0), MG_OK);
    assert_int_equal(s->ops->invoice_set_reminded(s, due, T0 + 1), MG_DECLINED); /* once */
    n = 0;
    assert_int_equal(s->ops->invoices_due(s, T0 + HOUR, 100, count_due, &n), MG_OK);
    assert_int_equal(n, 1); /* only the later one now */
    assert_int_equal(s->ops->invoice_set_status(s, later, MG_INV_VOID), MG_OK);
    n = 0;
    assert_int_equal(s->ops->invoices_due(s, T0 + HOUR, 100, count_due, &n), MG_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(period_number_units),
        cmocka_unit_test_setup_teardown(close_month_exact_and_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(close_month_applies_credit, setup, teardown),
        cmocka_unit_test_setup_teardown(insert_ceiling_and_unique, setup, teardown),
        cmocka_unit_test_setup_teardown(payments_cover_the_printed_total, setup, teardown),
        cmocka_unit_test_setup_teardown(overdue_and_one_reminder, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
