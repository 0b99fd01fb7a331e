/*
 * close.c: closing a billing period into invoices (close.h).  The account's
 * prepaid credit pays first: credits = min(balance, subtotal), debited from
 * the wallet (a ledger entry of kind "invoice") in the invoice's transaction.
 */
#include "billing/close.h"
#include "billing/invoice_pdf.h"
#include "billing/period.h"
#include "core/log.h"
#include "core/mg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCOUNTS_PAGE 500 /* accounts listed per store call while closing */

int mg_period_parse(const char *text, int64_t *month)
{
    int64_t y = 0;
    int m = 0;
    if (text == NULL || strlen(text) != 7 || text[4] != '-')
        return MG_DECLINED;
    for (int i = 0; i < 7; i++) {
        if (i == 4)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return MG_DECLINED;
        if (i < 4)
            y = y * 10 + (text[i] - '0');
        else
            m = m * 10 + (text[i] - '0');
    }
    if (y < 1970 || m < 1 || m > 12)
        return MG_DECLINED;
    *month = (y - 1970) * 12 + (m - 1);
    return MG_OK;
}

void mg_period_format(int64_t month, char *out, size_t cap)
{
    snprintf(out, cap, "%04lld-%02d", (long long)(1970 + month / 12), (int)(month % 12) + 1);
}

void mg_invoice_number_format(int64_t month, int64_t id, char *out, size_t cap)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "MG-%04lld-%02d-%06lld", (long long)(1970 + month / 12), (int)(month % 12) + 1,
             (long long)id);
    mg_strlcpy(out, buf, cap);
}

/* n with thousands separators. */
static size_t count_text(int64_t n, char *out, size_t cap)
{
    char digits[24];
    int len = snprintf(digits, sizeof(digits), "%lld", (long long)(n < 0 ? 0 : n));
    size_t o = 0;
    for (int i = 0; i < len && o + 1 < cap; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 2 < cap)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return o;
}

size_t mg_invoice_units(const struct mg_invoice_line_record *l, char *out, size_t cap)
{
    const struct {
        int64_t n;
        const char *one, *many;
    } parts[] = {
        {l->requests, "request", "requests"},
        {l->input_tokens, "input token", "input tokens"},
        {l->output_tokens, "output token", "output tokens"},
        {l->cached_tokens, "cached token", "cached tokens"},
        {l->characters, "character", "characters"},
        {l->images, "image", "images"},
        {l->videos, "video", "videos"}, /* VIDEO_PART */
        {l->tracks, "track", "tracks"},
        {l->voices, "voice", "voices"},
    };
    enum { VIDEO_PART = 6 };
    size_t o = 0;
    if (cap == 0)
        return 0;
    out[0] = '\0';
    for (size_t i = 0; i < MG_ARRAY_SIZE(parts); i++) {
        char num[32];
        if (parts[i].n <= 0 && i > 0)
            continue;
        char what[48] = ""; /* videos: the length and resolution they were priced by */
        if (i == VIDEO_PART && (l->video_res[0] || l->video_seconds > 0))
            snprintf(what, sizeof(what), " (%s%s%.0lld%s)", l->video_res, l->video_res[0] && l->video_seconds ? ", " : "",
                     (long long)l->video_seconds, l->video_seconds ? " s" : "");
        count_text(parts[i].n, num, sizeof(num));
        int w = snprintf(out + o, cap - o, "%s%s %s%s", o ? ", " : "", num, parts[i].n == 1 ? parts[i].one : parts[i].many,
                         what);
        if (w < 0 || (size_t)w >= cap - o) {
            o = cap - 1;
            break;
        }
        o += (size_t)w;
    }
    return o;
}

int64_t mg_invoice_due(int64_t issued_ms, int invoice_billing)
{
    return invoice_billing ? issued_ms + MG_NET_TERMS_DAYS * MG_DAY_MS : 0;
}

int64_t mg_invoice_total_cents(const struct mg_invoice_line_record *lines, size_t n, int64_t subtotal_micros,
                               int64_t credits_micros)
{
    struct mg_invoice_line *pl = mg_calloc(n ? n : 1, sizeof(*pl));
    for (size_t i = 0; i < n; i++)
        pl[i].amount_micros = lines[i].amount_micros;
    struct mg_invoice inv = {.lines = pl, .n_lines = n, .subtotal_micros = subtotal_micros,
                             .credits_micros = credits_micros, .total_due_micros = subtotal_micros - credits_micros};
    struct mg_invoice_cents c;
    mg_invoice_cents_of(&inv, &c);
    free(pl);
    return c.total_due;
}

/* ---- one account's invoice, one transaction ----------------------------------------- */

struct acct_close {
    int64_t account_id, month, now_ms;
    struct mg_period period;
    const char *currency;
    struct mg_invoice_line_record *lines;
    size_t n, cap;
    int too_many;
    int no_account; /* usage of an account id the store does not know */
    struct mg_invoice_record inv; /* what was issued */
};

static int add_line(void *arg, const struct mg_invoice_line_record *l)
{
    struct acct_close *a = arg;
    if (a->n >= MG_INVOICE_LINES_PER_INVOICE) {
        a->too_many = 1;
        return MG_DECLINED;
    }
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->lines = mg_realloc(a->lines, a->cap * sizeof(*a->lines));
    }
    a->lines[a->n] = *l;
    mg_invoice_units(l, a->lines[a->n].units, sizeof(a->lines[a->n].units));
    a->n++;
    return MG_OK;
}

static enum mg_tx close_account_tx(struct mg_store *s, void *arg)
{
    struct acct_close *a = arg;
    struct mg_account acct;
    struct mg_invoice_record *v = &a->inv;
    int64_t id, sub = 0;
    int rc;
    a->n = 0; /* a retry starts over */
    a->too_many = 0;
    a->no_account = 0;
    if ((rc = s->ops->account_get(s, a->account_id, &acct)) != MG_OK) {
        a->no_account = rc == MG_DECLINED;
        return rc == MG_AGAIN ? MG_TX_RETRY : rc == MG_DECLINED ? MG_TX_NO : MG_TX_HARD;
    }
    rc = s->ops->invoice_usage_lines(s, a->account_id, a->period.start_ms, a->period.end_ms, add_line, a);
    if (rc != MG_OK)
        return rc == MG_AGAIN ? MG_TX_RETRY : MG_TX_HARD;
    if (a->too_many) {
        mg_log(MG_LOG_ERROR, "billing: account %lld has more than %d (service, model) groups in one month; its "
                             "invoice is not issued", (long long)a->account_id, MG_INVOICE_LINES_PER_INVOICE);
        return MG_TX_HARD;
    }
    for (size_t i = 0; i < a->n; i++)
        sub += a->lines[i].amount_micros;
    if (sub < 0 || sub > MG_INVOICE_AMOUNT_MAX) {
        mg_log(MG_LOG_ERROR, "billing: account %lld's usage of one month (%lld micros) is outside what an invoice "
                             "holds; not issued", (long long)a->account_id, (long long)sub);
        return MG_TX_HARD;
    }
    if ((rc = s->ops->invoice_next_id(s, &id)) != MG_OK)
        return rc == MG_AGAIN ? MG_TX_RETRY : MG_TX_HARD;
    memset(v, 0, sizeof(*v));
    v->id = id;
    v->account_id = a->account_id;
    v->period = a->month;
    mg_invoice_number_format(a->month, id, v->number, sizeof(v->number));
    mg_strlcpy(v->currency, a->currency, sizeof(v->currency));
    v->subtotal_micros = sub;
    v->credits_micros = MG_MIN(MG_MAX(acct.credit_micros, 0), sub); /* the wallet pays first */
    v->total_micros = sub - v->credits_micros;
    v->total_cents = mg_invoice_total_cents(a->lines, a->n, sub, v->credits_micros);
    v->status = v->total_cents == 0 ? MG_INV_PAID : MG_INV_OPEN; /* nothing to pay */
    v->issued_ms = a->now_ms;
    v->due_ms = mg_invoice_due(a->now_ms, acct.invoice_billing);
    v->n_lines = (int64_t)a->n;
    rc = s->ops->invoice_insert(s, v, a->lines, a->n);
    if (rc == MG_OK && v->credits_micros > 0) {
        struct mg_ledger_entry e = {.account_id = a->account_id, .amount_micros = -v->credits_micros,
                                    .kind = "invoice", .created_ms = a->now_ms};
        snprintf(e.reference, sizeof(e.reference), "invoice %s", v->number);
        if ((rc = s->ops->ledger_add(s, &e, NULL)) == MG_DECLINED)
            rc = MG_ERR; /* the balance read in this transaction covers it: not a clean no */
    }
    return rc == MG_OK ? MG_TX_OK : rc == MG_DECLINED ? MG_TX_NO : rc == MG_AGAIN ? MG_TX_RETRY : MG_TX_HARD;
}

int mg_close_month(struct mg_store *s, int64_t month, int64_t now_ms, const char *currency, mg_close_cb cb,
                   void *arg, struct mg_close_result *out)
{
    struct mg_close_result res = {0, 0, 0, 0};
    struct mg_period p = mg_period_of_month(month);
    int64_t ids[ACCOUNTS_PAGE], after = 0;
    size_t n;
    if (now_ms < p.end_ms)
        return MG_DECLINED;
    struct acct_close a = {.month = month, .now_ms = now_ms, .period = p, .currency = currency};
    do {
        if (s->ops->invoice_accounts(s, p.start_ms, p.end_ms, after, ACCOUNTS_PAGE, ids, &n) != MG_OK) {
            free(a.lines);
            return MG_ERR;
        }
        for (size_t i = 0; i < n; i++) {
            a.account_id = ids[i];
            int rc = s->ops->run_tx(s, "invoice issue", close_account_tx, &a);
            if (rc == MG_OK) {
                res.issued++;
                mg_log(MG_LOG_INFO, "billing: issued invoice %s to account %lld (%lld micros)", a.inv.number,
                       (long long)a.account_id, (long long)a.inv.total_micros);
                if (cb != NULL)
                    cb(arg, &a.inv);
            } else if (rc == MG_DECLINED && a.no_account) {
                mg_log(MG_LOG_WARN, "billing: usage of account %lld, which does not exist: no invoice",
                       (long long)a.account_id);
                res.skipped++;
            } else if (rc == MG_DECLINED) {
                res.existing++;
            } else {
                res.failed++;
            }
        }
        after = n ? ids[n - 1] : after;
    } while (n == ACCOUNTS_PAGE);
    free(a.lines);
    if (out != NULL)
        *out = res;
    return MG_OK;
}
