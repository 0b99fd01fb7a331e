/*
 * h_invoices.c: invoices and payments (BL-6, BL-7; docs/api.md "Invoices"):
 * the signed-in account's invoices and their PDF, and the admin's list,
 * payments, void and period close.  Another account's invoice is a 404,
 * exactly as one that does not exist.  The PDF is rendered here, on the
 * platform's worker (billing/invoice_pdf.h), never on a loop thread.
 */
#include "platform/pf.h"
#include "billing/close.h"
#include "billing/invoice_pdf.h"
#include "billing/payments.h"
#include "billing/period.h"
#include "core/log.h"
#include "core/mg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_DEFAULT 100
#define CLOSE_LISTED_MAX 1000 /* invoices a close answer names one by one (the counts are always whole) */

static const char *const status_names[] = {"open", "paid", "void"};

static const char *status_name(enum mg_invoice_state st)
{
    return (unsigned)st <= MG_INV_VOID ? status_names[st] : "open";
}

/* The service as an invoice prints it. */
static const char *service_title(const char *svc)
{
    static const struct {
        const char *code, *title;
    } t[] = {{"chat", "Chat completions"}, {"speech", "Speech"}, {"video", "Video"}, {"image", "Images"},
             {"music", "Music"},           {"voice", "Voices"},  {"files", "Files"}};
    for (size_t i = 0; i < MG_ARRAY_SIZE(t); i++)
        if (strcmp(svc, t[i].code) == 0) /* mg-allow-cmp: service names, not secrets */
            return t[i].title;
    return svc[0] ? svc : "Usage";
}

static json_t *invoice_json(const struct mg_invoice_record *v)
{
    char period[16];
    struct mg_period p = mg_period_of_month(v->period);
    int64_t due = mg_invoice_due_micros(v);
    json_t *o = json_object();
    mg_period_format(v->period, period, sizeof(period));
    json_object_set_new(o, "id", json_integer(v->id));
    json_object_set_new(o, "number", json_string(v->number));
    json_object_set_new(o, "account_id", json_integer(v->account_id));
    json_object_set_new(o, "period", json_string(period));
    pf_set_time(o, "period_start", p.start_ms);
    pf_set_time(o, "period_end", p.end_ms);
    json_object_set_new(o, "status", json_string(status_name(v->status)));
    json_object_set_new(o, "currency", json_string(v->currency));
    json_object_set_new(o, "subtotal_micros", json_integer(v->subtotal_micros));
    json_object_set_new(o, "credits_micros", json_integer(v->credits_micros));
    json_object_set_new(o, "total_micros", json_integer(v->total_micros));
    json_object_set_new(o, "amount_due_micros", json_integer(due));
    json_object_set_new(o, "paid_micros", json_integer(v->paid_micros));
    json_object_set_new(o, "balance_micros", json_integer(v->status == MG_INV_OPEN ? due - v->paid_micros : 0));
    pf_set_time(o, "issued_at", v->issued_ms);
    pf_set_time(o, "due_at", v->due_ms); /* null: due on receipt */
    pf_set_time(o, "reminder_sent_at", v->reminder_sent_ms);
    json_object_set_new(o, "line_count", json_integer(v->n_lines));
    return o;
}

static int add_line_json(void *arg, const struct mg_invoice_line_record *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "service", json_string(l->service));
    json_object_set_new(o, "model", json_string(l->model));
    json_object_set_new(o, "quantity", json_string(l->units));
    json_object_set_new(o, "requests", json_integer(l->requests));
    json_object_set_new(o, "input_tokens", json_integer(l->input_tokens));
    json_object_set_new(o, "output_tokens", json_integer(l->output_tokens));
    json_object_set_new(o, "cached_tokens", json_integer(l->cached_tokens));
    json_object_set_new(o, "characters", json_integer(l->characters));
    json_object_set_new(o, "images", json_integer(l->images));
    json_object_set_new(o, "videos", json_integer(l->videos));
    json_object_set_new(o, "tracks", json_integer(l->tracks));
    json_object_set_new(o, "voices", json_integer(l->voices));
    json_object_set_new(o, "amount_micros", json_integer(l->amount_micros));
    json_array_append_new(arg, o);
    return MG_OK;
}

static int add_payment_json(void *arg, const struct mg_payment_record *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "amount_micros", json_integer(p->amount_micros));
    json_object_set_new(o, "reference", json_string(p->reference));
    json_object_set_new(o, "provider", json_string(p->provider));
    json_object_set_new(o, "recorded_by", json_integer(p->recorded_by));
    pf_set_time(o, "created_at", p->created_ms);
    json_array_append_new(arg, o);
    return MG_OK;
}

/* The invoice of the path's id into v: owner 0 = any account (admin); another account's is a 404 (set). */
static int path_invoice(struct pf_call *c, int64_t owner, struct mg_invoice_record *v)
{
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->invoice_get(c->store, id, v) : MG_DECLINED;
    if (rc == MG_OK && owner != 0 && v->account_id != owner)
        rc = MG_DECLINED;
    if (rc == MG_DECLINED)
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such invoice.");
    else if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc;
}

/* The invoice with its lines and payments. */
static void reply_invoice(struct pf_call *c, const struct mg_invoice_record *v)
{
    json_t *o = invoice_json(v), *lines = json_array(), *pays = json_array();
    int rc = c->store->ops->invoice_lines(c->store, v->id, add_line_json, lines);
    if (rc == MG_OK)
        rc = c->store->ops->payments_list(c->store, v->id, add_payment_json, pays);
    json_object_set_new(o, "lines", lines);
    json_object_set_new(o, "payments", pays);
    if (rc != MG_OK) {
        json_decref(o);
        pf_store_failed(c, rc);
        return;
    }
    pf_reply(c, 200, o);
}

struct list_ctx {
    json_t *arr;
};

static int add_invoice(void *arg, const struct mg_invoice_record *v)
{
    json_array_append_new(((struct list_ctx *)arg)->arr, invoice_json(v));
    return MG_OK;
}

static void list_of(struct pf_call *c, int64_t account_id, int status)
{
    size_t limit;
    int64_t before;
    if (pf_query_page(c, LIST_DEFAULT, MG_INVOICES_PAGE_MAX, &limit, &before) != MG_OK)
        return;
    struct list_ctx l = {json_array()};
    int rc = c->store->ops->invoices_list(c->store, account_id, status, before, limit, add_invoice, &l);
    if (rc != MG_OK) {
        json_decref(l.arr);
        pf_store_failed(c, rc);
        return;
    }
    size_t n = json_array_size(l.arr);
    json_t *o = json_object();
    if (n == limit)
        json_object_set_new(o, "next_before", json_integer(json_integer_value(
                                                  json_object_get(json_array_get(l.arr, n - 1), "id"))));
    else
        json_object_set_new(o, "next_before", json_null());
    json_object_set_new(o, "invoices", l.arr);
    pf_reply(c, 200, o);
}

void pf_h_invoices_list(struct pf_call *c)
{
    list_of(c, c->acct.id, -1);
}

void pf_h_invoice_get(struct pf_call *c)
{
    struct mg_invoice_record v;
    if (path_invoice(c, c->acct.id, &v) == MG_OK)
        reply_invoice(c, &v);
}

/* ---- the PDF ------------------------------------------------------------------------- */

struct pdf_lines {
    struct mg_invoice_line_record *recs;
    size_t n, cap;
};

static int collect_line(void *arg, const struct mg_invoice_line_record *l)
{
    struct pdf_lines *p = arg;
    if (p->n >= MG_INVOICE_LINES_MAX)
        return MG_DECLINED; /* the store holds no more (MG_INVOICE_LINES_PER_INVOICE) */
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->recs = mg_realloc(p->recs, p->cap * sizeof(*p->recs));
    }
    p->recs[p->n++] = *l;
    return MG_OK;
}

/* Splits the issuer's address (lines separated by "\n", the two characters, or a newline) into addr. */
static void address_lines(char *text, const char *addr[MG_INVOICE_ADDRESS_LINES])
{
    size_t n = 0;
    char *p = text;
    while (*p && n < MG_INVOICE_ADDRESS_LINES) {
        addr[n++] = p;
        char *nl = strstr(p, "\\n"), *real = strchr(p, '\n');
        if (real != NULL && (nl == NULL || real < nl)) {
            *real = '\0';
            p = real + 1;
        } else if (nl != NULL) {
            *nl = '\0';
            p = nl + 2;
        } else {
            break;
        }
    }
}

static void reply_pdf(struct pf_call *c, const struct mg_invoice_record *v)
{
    const struct mg_billing_config *bc = &c->pf->cfg.billing;
    struct pdf_lines pl = {NULL, 0, 0};
    struct mg_account cust;
    char addr[sizeof(bc->issuer_address)], err[256];
    uint8_t *pdf = NULL;
    size_t len = 0;
    int rc = c->store->ops->invoice_lines(c->store, v->id, collect_line, &pl);
    if (rc == MG_OK)
        rc = c->store->ops->account_get(c->store, v->account_id, &cust);
    if (rc != MG_OK) {
        free(pl.recs);
        pf_store_failed(c, rc == MG_DECLINED ? MG_ERR : rc);
        return;
    }
    struct mg_invoice_line *lines = mg_calloc(pl.n ? pl.n : 1, sizeof(*lines));
    for (size_t i = 0; i < pl.n; i++) {
        lines[i].service = service_title(pl.recs[i].service);
        lines[i].model = pl.recs[i].model;
        lines[i].quantity = pl.recs[i].units;
        lines[i].amount_micros = pl.recs[i].amount_micros;
    }
    struct mg_period p = mg_period_of_month(v->period);
    struct mg_invoice inv = {
        .number = v->number,
        .issued_ms = v->issued_ms,
        .period_start_ms = p.start_ms,
        .period_end_ms = p.end_ms,
        .due_ms = v->due_ms,
        .status = (enum mg_invoice_status)v->status,
        .currency = v->currency,
        .lines = lines,
        .n_lines = pl.n,
        .subtotal_micros = v->subtotal_micros,
        .credits_micros = v->credits_micros,
        .total_due_micros = v->total_micros,
    };
    mg_strlcpy(addr, bc->issuer_address, sizeof(addr));
    inv.issuer.name = bc->issuer_name[0] ? bc->issuer_name : "maxgate";
    inv.issuer.tax_id = bc->issuer_tax_id;
    address_lines(addr, inv.issuer.address);
    inv.customer.email = cust.email;
    char bank[sizeof(bc->bank_details) + 16];
    snprintf(bank, sizeof(bank), "Bank: %s", bc->bank_details);
    if (v->status == MG_INV_OPEN && bc->bank_details[0]) /* how to pay (the manual provider): the last line */
        for (size_t i = 0; i < MG_INVOICE_ADDRESS_LINES; i++)
            if (inv.issuer.address[i] == NULL || inv.issuer.address[i][0] == '\0' ||
                i + 1 == MG_INVOICE_ADDRESS_LINES) {
                inv.issuer.address[i] = bank;
                break;
            }
    rc = mg_invoice_pdf(&inv, 0, &pdf, &len, err, sizeof(err));
    free(lines);
    free(pl.recs);
    if (rc != MG_OK) {
        mg_log(MG_LOG_ERROR, "invoices: cannot render invoice %s as PDF: %s", v->number, err);
        pf_fail(c, MG_E_INTERNAL, NULL, "The invoice could not be rendered as PDF; the server log says why.");
        return;
    }
    c->raw = pdf;
    c->raw_len = len;
    mg_strlcpy(c->content_type, "application/pdf", sizeof(c->content_type));
    snprintf(c->content_disposition, sizeof(c->content_disposition), "attachment; filename=\"%s.pdf\"", v->number);
    c->status = 200;
}

void pf_h_invoice_pdf(struct pf_call *c)
{
    struct mg_invoice_record v;
    if (path_invoice(c, c->acct.id, &v) == MG_OK)
        reply_pdf(c, &v);
}

/* ---- administration ------------------------------------------------------------------- */

void pf_h_admin_invoices(struct pf_call *c)
{
    char buf[32];
    int64_t account = 0;
    int status = -1;
    pf_query(c, "account", buf, sizeof(buf));
    if (buf[0] && (mg_parse_i64(buf, strlen(buf), &account) != MG_OK || account < 1)) {
        pf_fail(c, MG_E_FIELD_INVALID, "account", "account is an account id.");
        return;
    }
    pf_query(c, "status", buf, sizeof(buf));
    for (int i = 0; buf[0] && i <= MG_INV_VOID; i++)
        if (strcmp(buf, status_names[i]) == 0)
            status = i;
    if (buf[0] && status < 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "status", "status is open, paid or void.");
        return;
    }
    list_of(c, account, status);
}

void pf_h_admin_invoice_get(struct pf_call *c)
{
    struct mg_invoice_record v;
    if (path_invoice(c, 0, &v) == MG_OK)
        reply_invoice(c, &v);
}

void pf_h_admin_invoice_pdf(struct pf_call *c)
{
    struct mg_invoice_record v;
    if (path_invoice(c, 0, &v) == MG_OK)
        reply_pdf(c, &v);
}

void pf_h_admin_invoice_payment(struct pf_call *c)
{
    struct mg_invoice_record v;
    struct mg_payment_record p;
    char detail[256];
    if (path_invoice(c, 0, &v) != MG_OK)
        return;
    memset(&p, 0, sizeof(p));
    p.invoice_id = v.id;
    p.amount_micros = pf_int(c, "amount_micros", 0);
    mg_strlcpy(p.reference, pf_str(c, "reference"), sizeof(p.reference));
    p.recorded_by = c->acct.id;
    p.created_ms = c->now;
    enum mg_pay_verdict verdict = mg_payment_provider("manual")->record(c->store, &p, &v);
    switch (verdict) {
    case MG_PAY_OK:
    case MG_PAY_SETTLED:
        snprintf(detail, sizeof(detail), "invoice %s: payment %lld micros (ref %.100s)%s", v.number,
                 (long long)p.amount_micros, p.reference, verdict == MG_PAY_SETTLED ? ", now paid" : "");
        pf_audit(c, "invoice.payment", v.account_id, detail);
        reply_invoice(c, &v);
        if (c->err == MG_E_NONE)
            c->status = 201;
        return;
    case MG_PAY_OVER: {
        char msg[256];
        snprintf(msg, sizeof(msg), "The payment is more than the invoice's open amount (%lld micros still due); "
                                   "record at most that.",
                 (long long)(mg_invoice_due_micros(&v) - v.paid_micros));
        pf_fail(c, MG_E_CONFLICT, "amount_micros", msg);
        return;
    }
    case MG_PAY_NOT_OPEN:
    case MG_PAY_TOO_MANY:
        pf_fail(c, MG_E_CONFLICT, NULL, mg_pay_verdict_text(verdict));
        return;
    case MG_PAY_BAD_AMOUNT:
        pf_fail(c, MG_E_FIELD_INVALID, "amount_micros", mg_pay_verdict_text(verdict));
        return;
    case MG_PAY_NO_INVOICE:
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such invoice.");
        return;
    default:
        pf_store_failed(c, MG_ERR);
    }
}

void pf_h_admin_invoice_void(struct pf_call *c)
{
    struct mg_invoice_record v;
    char detail[128];
    if (path_invoice(c, 0, &v) != MG_OK)
        return;
    if (v.status != MG_INV_OPEN || v.paid_micros > 0) {
        pf_fail(c, MG_E_CONFLICT, NULL, v.status != MG_INV_OPEN ? "Only an open invoice can be voided; this one is "
                                                                  "paid or void already."
                                                                : "This invoice has payments recorded; it cannot "
                                                                  "be voided.");
        return;
    }
    int rc = c->store->ops->invoice_set_status(c->store, v.id, MG_INV_VOID);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    v.status = MG_INV_VOID;
    snprintf(detail, sizeof(detail), "invoice %s voided", v.number);
    pf_audit(c, "invoice.void", v.account_id, detail);
    reply_invoice(c, &v);
}

struct close_ctx {
    json_t *arr;
};

static void closed_one(void *arg, const struct mg_invoice_record *v)
{
    struct close_ctx *x = arg;
    if (json_array_size(x->arr) >= CLOSE_LISTED_MAX)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(v->id));
    json_object_set_new(o, "number", json_string(v->number));
    json_object_set_new(o, "account_id", json_integer(v->account_id));
    json_object_set_new(o, "total_micros", json_integer(v->total_micros));
    json_object_set_new(o, "status", json_string(status_name(v->status)));
    json_array_append_new(x->arr, o);
}

void pf_h_admin_invoices_close(struct pf_call *c)
{
    int64_t month;
    char msg[256], detail[128], end[32];
    const char *period = pf_str(c, "period");
    if (mg_period_parse(period, &month) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "period", "period is a month as YYYY-MM, e.g. 2026-11.");
        return;
    }
    struct mg_period p = mg_period_of_month(month);
    if (c->now < p.end_ms) {
        json_t *t = json_object();
        pf_set_time(t, "e", p.end_ms);
        mg_strlcpy(end, json_string_value(json_object_get(t, "e")), sizeof(end));
        json_decref(t);
        snprintf(msg, sizeof(msg), "The period %s has not ended yet (it ends at %s); a month is closed after its end.",
                 period, end);
        pf_fail(c, MG_E_FIELD_INVALID, "period", msg);
        return;
    }
    struct close_ctx x = {json_array()};
    struct mg_close_result r;
    const char *cur = c->pf->cfg.billing.currency[0] ? c->pf->cfg.billing.currency : "USD";
    if (mg_close_month(c->store, month, c->now, cur, closed_one, &x, &r) != MG_OK) {
        json_decref(x.arr);
        pf_store_failed(c, MG_ERR);
        return;
    }
    snprintf(detail, sizeof(detail), "period %s: %zu issued, %zu existed, %zu failed, %zu skipped", period, r.issued,
             r.existing, r.failed, r.skipped);
    pf_audit(c, "invoices.closed", 0, detail);
    json_t *o = json_object();
    json_object_set_new(o, "period", json_string(period));
    json_object_set_new(o, "issued", json_integer((json_int_t)r.issued));
    json_object_set_new(o, "existing", json_integer((json_int_t)r.existing));
    json_object_set_new(o, "failed", json_integer((json_int_t)r.failed));
    json_object_set_new(o, "skipped", json_integer((json_int_t)r.skipped));
    json_object_set_new(o, "invoices", x.arr);
    pf_reply(c, 200, o);
}
