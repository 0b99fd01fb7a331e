/*
 * h_reports.c: the operator's revenue report (issue 12): for a billing
 * period, what customers were billed against what the same units cost at
 * the official price (what the operator pays upstream), in total, per
 * account and per model.  The official cost is the units priced by the
 * live price table at ratio 1: at today's official prices, which the
 * answer says.
 */
#include "billing/close.h"
#include "billing/period.h"
#include "billing/pricebook.h"
#include "core/mg.h"
#include "core/money.h"
#include "platform/pf.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

#define REPORT_ACCOUNTS 1000 /* accounts listed by name; the rest are in the totals */

struct report {
    const struct mg_price_table *t;
    int64_t revenue, official, rows;
    json_t *by_model, *by_account;
    struct {
        int64_t id, revenue, official;
    } acct[REPORT_ACCOUNTS];
    size_t nacct;
};

static void money(json_t *o, const char *name, int64_t micros)
{
    char text[32], key[48];
    mg_money_format(micros, text, sizeof(text));
    snprintf(key, sizeof(key), "%s_micros", name);
    json_object_set_new(o, key, json_integer(micros));
    json_object_set_new(o, name, json_string(text));
}

static json_t *model_row(json_t *arr, const char *model, const char *service)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) if (strcmp(json_string_value(json_object_get(v, "model")), model) == 0 &&
                                      strcmp(json_string_value(json_object_get(v, "service")), service) == 0) return v;
    v = json_pack("{s:s, s:s, s:I, s:I, s:I}", "model", model, "service", service, "requests", (json_int_t)0,
                  "revenue_micros", (json_int_t)0, "official_cost_micros", (json_int_t)0);
    json_array_append_new(arr, v);
    return v;
}

static void add_int(json_t *o, const char *name, int64_t n)
{
    json_object_set_new(o, name, json_integer(json_integer_value(json_object_get(o, name)) + n));
}

static int add_row(void *arg, const struct mg_usage_event *sum, int64_t requests)
{
    struct report *r = arg;
    int64_t official = mg_prices_find(r->t, sum->model) ? mg_prices_cost(r->t, sum, MG_RATIO_ONE) : 0;
    r->revenue += sum->cost_micros;
    r->official += official;
    r->rows++;
    json_t *m = model_row(r->by_model, sum->model, sum->service);
    add_int(m, "requests", requests);
    add_int(m, "revenue_micros", sum->cost_micros);
    add_int(m, "official_cost_micros", official);
    size_t i = 0;
    while (i < r->nacct && r->acct[i].id != sum->account_id)
        i++;
    if (i == r->nacct && r->nacct < REPORT_ACCOUNTS)
        r->acct[r->nacct++].id = sum->account_id;
    if (i < r->nacct) {
        r->acct[i].revenue += sum->cost_micros;
        r->acct[i].official += official;
    }
    return MG_OK;
}

void pf_h_admin_report_revenue(struct pf_call *c)
{
    struct mg_price_pin pin;
    char period[16], q[32];
    int64_t month = mg_period_of(c->now).month;
    pf_query(c, "period", q, sizeof(q));
    if (q[0] != '\0' && mg_period_parse(q, &month) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "period", "period is a month such as 2026-11.");
        return;
    }
    if (c->pf->prices == NULL || mg_pricebook_pin(c->pf->prices, &pin) != MG_OK) {
        pf_fail(c, MG_E_OVERLOADED, NULL, "The report is made by the running server.");
        return;
    }
    struct mg_period p = mg_period_of_month(month);
    struct report *r = mg_calloc(1, sizeof(*r));
    r->t = pin.t;
    r->by_model = json_array();
    int rc = c->store->ops->usage_by_account_model(c->store, p.start_ms, p.end_ms, MG_REPORT_ROWS_MAX, add_row, r);
    mg_pricebook_unpin(&pin);
    if (rc != MG_OK) {
        json_decref(r->by_model);
        free(r);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object(), *accts = json_array(), *v;
    size_t i;
    mg_period_format(month, period, sizeof(period));
    json_object_set_new(o, "period", json_string(period));
    money(o, "revenue", r->revenue);
    money(o, "official_cost", r->official);
    money(o, "margin", r->revenue - r->official);
    json_object_set_new(o, "official_prices", json_string("today's official prices (the live price table at ratio 1)"));
    json_object_set_new(o, "truncated", json_boolean(r->rows >= MG_REPORT_ROWS_MAX));
    for (i = 0; i < r->nacct; i++) {
        struct mg_account a;
        json_t *row = json_object();
        json_object_set_new(row, "account_id", json_integer(r->acct[i].id));
        if (c->store->ops->account_get(c->store, r->acct[i].id, &a) == MG_OK)
            json_object_set_new(row, "email", json_string(a.email));
        money(row, "revenue", r->acct[i].revenue);
        money(row, "official_cost", r->acct[i].official);
        json_array_append_new(accts, row);
    }
    json_array_foreach(r->by_model, i, v) {
        money(v, "revenue", json_integer_value(json_object_get(v, "revenue_micros")));
        money(v, "official_cost", json_integer_value(json_object_get(v, "official_cost_micros")));
    }
    json_object_set_new(o, "by_account", accts);
    json_object_set_new(o, "by_model", r->by_model);
    free(r);
    pf_reply(c, 200, o);
}
