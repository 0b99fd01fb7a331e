/*
 * h_billing_usage.c: what the signed-in account spends (BL-5, issue 12): the
 * month so far with its projection and the cap, the series the console's
 * charts draw (by day, service, key or model), and the usage log as CSV.
 * Every number is summed from the usage ledger (usage_events), so the summary
 * agrees with the usage log to the micro.
 */
#include "billing/period.h"
#include "billing/usage_csv.h"
#include "core/mg.h"
#include "core/money.h"
#include "platform/pf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANGE_DAYS_MAX 400 /* a year and a bit: one call draws last year against this one */

static void set_money(json_t *o, const char *name, int64_t micros)
{
    char key[48], text[32];
    snprintf(key, sizeof(key), "%s_micros", name);
    json_object_set_new(o, key, json_integer(micros));
    mg_money_format(micros, text, sizeof(text));
    json_object_set_new(o, name, json_string(text));
}

static void set_money_or_null(json_t *o, const char *name, int64_t micros, int set)
{
    char key[48];
    if (set) {
        set_money(o, name, micros);
        return;
    }
    snprintf(key, sizeof(key), "%s_micros", name);
    json_object_set_new(o, key, json_null());
    json_object_set_new(o, name, json_null());
}

static void day_text(int64_t ms, char *out, size_t cap)
{
    struct mg_civil d = mg_civil_of(ms);
    snprintf(out, cap, "%04lld-%02d-%02d", (long long)d.year, d.month, d.day);
}

/* "12.5": ms in days with one decimal, rounded half up. */
static void days_text(int64_t ms, char *out, size_t cap)
{
    int64_t tenths = (ms * 10 + MG_DAY_MS / 2) / MG_DAY_MS;
    snprintf(out, cap, "%lld.%lld", (long long)(tenths / 10), (long long)(tenths % 10));
}

struct rows {
    json_t *arr;
    int64_t total;
};

static json_t *total_json(const char *key, const struct mg_usage_total *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(key));
    set_money(o, "cost", t->cost_micros);
    json_object_set_new(o, "requests", json_integer(t->requests));
    json_object_set_new(o, "input_tokens", json_integer(t->input_tokens));
    json_object_set_new(o, "output_tokens", json_integer(t->output_tokens));
    json_object_set_new(o, "cached_tokens", json_integer(t->cached_tokens));
    json_object_set_new(o, "characters", json_integer(t->characters));
    json_object_set_new(o, "images", json_integer(t->images));
    json_object_set_new(o, "videos", json_integer(t->videos));
    json_object_set_new(o, "tracks", json_integer(t->tracks));
    json_object_set_new(o, "voices", json_integer(t->voices));
    return o;
}

static int add_total(void *arg, const struct mg_usage_total *t)
{
    struct rows *r = arg;
    json_array_append_new(r->arr, total_json(t->key, t));
    r->total += t->cost_micros;
    return MG_OK;
}

/* The sentence of how the projection was made (the console says it in its own words from the numbers). */
static void projection_json(json_t *o, int64_t mtd, int64_t now, const struct mg_period *p)
{
    char how[160], spent[32], elapsed[16], length[16];
    int64_t projected;
    int rc = mg_period_project(mtd, now, &projected);
    int64_t since = now - p->start_ms;
    json_t *pj = json_object();
    mg_money_format(mtd, spent, sizeof(spent));
    days_text(since, elapsed, sizeof(elapsed));
    days_text(p->end_ms - p->start_ms, length, sizeof(length));
    if (rc == MG_AGAIN)
        snprintf(how, sizeof(how), "not enough of the month yet (under an hour): projected is what was spent so far");
    else if (since >= p->end_ms - p->start_ms)
        snprintf(how, sizeof(how), "the month is over: projected is what was spent");
    else
        snprintf(how, sizeof(how), "month to date %s x %s days / %s days elapsed", spent, length, elapsed);
    json_object_set_new(pj, "method", json_string(rc == MG_AGAIN ? "too_early" : "linear"));
    json_object_set_new(pj, "how", json_string(how));
    json_object_set_new(pj, "elapsed_ms", json_integer(since));
    json_object_set_new(pj, "period_ms", json_integer(p->end_ms - p->start_ms));
    json_object_set_new(o, "projection", pj);
    set_money(o, "projected", projected);
}

void pf_h_billing_summary(struct pf_call *c)
{
    struct mg_period p = mg_period_of(c->now);
    struct mg_account a;
    struct rows r = {.arr = json_array()};
    int more = 0;
    int rc = c->store->ops->account_get(c->store, c->acct.id, &a);
    if (rc == MG_OK)
        rc = c->store->ops->usage_aggregate(c->store, c->acct.id, p.start_ms, p.end_ms, MG_GROUP_SERVICE,
                                            MG_USAGE_GROUPS_MAX, add_total, &r, &more);
    if (rc != MG_OK) {
        json_decref(r.arr);
        pf_store_failed(c, rc);
        return;
    }
    /* by_service keeps the three fields a breakdown needs; /billing/usage?group_by=service has the rest */
    json_t *by = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(r.arr, i, row)
    {
        json_t *s = json_object();
        json_object_set(s, "service", json_object_get(row, "key"));
        json_object_set(s, "cost_micros", json_object_get(row, "cost_micros"));
        json_object_set(s, "cost", json_object_get(row, "cost"));
        json_object_set(s, "requests", json_object_get(row, "requests"));
        json_array_append_new(by, s);
    }
    json_decref(r.arr);
    json_t *o = json_object();
    json_t *per = json_object();
    pf_set_time(per, "start", p.start_ms);
    pf_set_time(per, "end", p.end_ms);
    json_object_set_new(o, "period", per);
    json_object_set_new(o, "currency", json_string("USD"));
    set_money(o, "month_to_date", r.total);
    projection_json(o, r.total, c->now, &p);
    set_money_or_null(o, "cap", a.cap_micros, a.cap_micros > 0);
    set_money_or_null(o, "remaining", a.cap_micros > r.total ? a.cap_micros - r.total : 0, a.cap_micros > 0);
    json_object_set_new(o, "by_service", by);
    pf_reply(c, 200, o);
}

static const char *const group_names[] = {
    [MG_GROUP_DAY] = "day", [MG_GROUP_SERVICE] = "service", [MG_GROUP_KEY] = "key", [MG_GROUP_MODEL] = "model"};

static int range_param(struct pf_call *c, const char *name, int64_t dflt, int64_t *out)
{
    char buf[48];
    pf_query(c, name, buf, sizeof(buf));
    *out = dflt;
    if (buf[0] && pf_time_parse(buf, out) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, name, "A time in RFC 3339, such as 2027-01-31T00:00:00Z.");
        return MG_DECLINED;
    }
    return MG_OK;
}

/* Days from the day of from to the day of to - 1, every one of them, zeros for a day without usage. */
static json_t *fill_days(json_t *have, int64_t from, int64_t to)
{
    json_t *all = json_array();
    size_t next = 0;
    static const struct mg_usage_total zero;
    for (int64_t d = from - from % MG_DAY_MS; d < to; d += MG_DAY_MS) {
        char day[16];
        day_text(d, day, sizeof(day));
        json_t *row = json_array_get(have, next);
        const char *row_day = row ? json_string_value(json_object_get(row, "key")) : NULL;
        if (row_day != NULL && strcmp(row_day, day) == 0) {
            json_array_append(all, row);
            next++;
        } else {
            json_array_append_new(all, total_json(day, &zero));
        }
    }
    return all;
}

void pf_h_billing_usage(struct pf_call *c)
{
    char g[16];
    struct mg_period p = mg_period_of(c->now);
    int64_t from, to;
    size_t gi;
    pf_query(c, "group_by", g, sizeof(g));
    for (gi = 0; gi < MG_ARRAY_SIZE(group_names); gi++)
        if (strcmp(g[0] ? g : "day", group_names[gi]) == 0)
            break;
    if (gi == MG_ARRAY_SIZE(group_names)) {
        pf_fail(c, MG_E_FIELD_INVALID, "group_by", "group_by is day, service, key or model.");
        return;
    }
    if (range_param(c, "from", p.start_ms, &from) != MG_OK || range_param(c, "to", p.end_ms, &to) != MG_OK)
        return;
    if (to <= from) {
        pf_fail(c, MG_E_FIELD_INVALID, "to", "to must be later than from (by default they are this month).");
        return;
    }
    if (to - from > RANGE_DAYS_MAX * MG_DAY_MS) {
        pf_fail(c, MG_E_FIELD_INVALID, "to", "At most 400 days from from to to: ask for a longer range in parts.");
        return;
    }
    struct rows r = {.arr = json_array()};
    int more = 0;
    int rc = c->store->ops->usage_aggregate(c->store, c->acct.id, from, to, (enum mg_usage_group)gi,
                                            MG_USAGE_GROUPS_MAX, add_total, &r, &more);
    if (rc != MG_OK) {
        json_decref(r.arr);
        pf_store_failed(c, rc);
        return;
    }
    if (gi == MG_GROUP_DAY) {
        json_t *all = fill_days(r.arr, from, to);
        json_decref(r.arr);
        r.arr = all;
    }
    json_t *o = json_object();
    json_object_set_new(o, "group_by", json_string(group_names[gi]));
    pf_set_time(o, "from", from);
    pf_set_time(o, "to", to);
    json_object_set_new(o, "currency", json_string("USD"));
    set_money(o, "total", r.total);
    json_object_set_new(o, "rows", r.arr);
    json_object_set_new(o, "truncated", json_boolean(more));
    pf_reply(c, 200, o);
}

void pf_h_usage_log_csv(struct pf_call *c)
{
    struct mg_usage_filter f;
    struct pf_usage_query q;
    struct mg_buf b;
    size_t rows;
    int truncated;
    char day[16], disposition[96];
    if (pf_usage_filter(c, &f, &q) != MG_OK)
        return;
    mg_buf_init(&b, MG_USAGE_CSV_MAX_BYTES);
    int rc = mg_usage_csv(c->store, &f, MG_USAGE_CSV_MAX_ROWS, &b, &rows, &truncated);
    if (rc != MG_OK) {
        mg_buf_free(&b);
        pf_store_failed(c, rc == MG_DECLINED ? MG_ERR : rc);
        return;
    }
    day_text(c->now, day, sizeof(day));
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"maxgate-usage-%s.csv\"", day);
    size_t len = b.len;
    pf_reply_raw(c, 200, "text/csv; charset=utf-8; header=present", b.data, len, disposition);
}
