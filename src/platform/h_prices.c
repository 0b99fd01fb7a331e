/*
 * h_prices.c: prices (BL-1).  A customer reads the prices they pay (the
 * official price times their ratio: their account's, else their plan's,
 * else the operator's); an admin reads the official table with the ratios
 * and changes rows and ratios (step-up, audited).  A change is stored, then
 * published to this node's gateway at once (pf->prices_reload); other
 * nodes pick it up within their price poll (1 s).  All amounts are integer
 * micro-units per unit; an effective price is rounded once, half up.
 */
#include "billing/pricebook.h"
#include "core/log.h"
#include "core/mg.h"
#include "core/money.h"
#include "platform/pf.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

static const struct col {
    const char *name;
    size_t off;
} cols[] = {
#define C(f) {#f, offsetof(struct mg_price, f)}
    C(input_per_mtok), C(output_per_mtok), C(cached_per_mtok), C(per_10k_chars), C(per_image),
    C(per_video),      C(per_track),       C(per_voice),
#undef C
};

static int64_t *col_of(struct mg_price *p, size_t i) { return (int64_t *)((char *)p + cols[i].off); }

/* A row's video entries (core/video_price.h) at ratio_ppm: each as an
 * object, and the whole as the text form the console and the CLI show. */
static void video_json(json_t *o, const struct mg_price *p, int64_t ratio_ppm)
{
    json_t *arr = json_array();
    char money[32], text[MG_VIDEO_PRICES_MAX * 40];
    for (int i = 0; i < p->nvideo; i++) {
        const struct mg_video_price *v = &p->video[i];
        int64_t micros = mg_price_apply_ratio(v->micros, ratio_ppm);
        mg_money_format(micros, money, sizeof(money));
        json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:I, s:s}", "resolution", v->res, "seconds",
                                             (json_int_t)v->seconds, "per", v->per_second ? "second" : "video",
                                             "price_micros", (json_int_t)micros, "price", money));
    }
    json_object_set_new(o, "video", arr);
    mg_video_prices_format(p, ratio_ppm, text, sizeof(text));
    json_object_set_new(o, "video_text", json_string(text));
}

/* A fault of a row's field: the field named after where ("" for a row's own PUT, "prices[3]." in a table). */
static void row_fail(struct pf_call *c, enum mg_err e, const char *where, const char *field, const char *detail)
{
    char name[sizeof(c->field)], text[sizeof(c->detail)];
    size_t w = strlen(where);
    if (field != NULL)
        snprintf(name, sizeof(name), "%s%s", where, field);
    else /* the row itself: "prices[3]" */
        snprintf(name, sizeof(name), "%.*s", (int)(w && where[w - 1] == '.' ? w - 1 : w), where);
    snprintf(text, sizeof(text), "%s%s%s", w ? name : "", w ? ": " : "", detail);
    pf_fail(c, e, name[0] ? name : NULL, text);
}

/* A row's video entries from body: "video_text" in the text form, else "video"
 * as objects {resolution, seconds, per, price_micros}.  MG_OK, or answered. */
static int video_from(struct pf_call *c, json_t *body, const char *where, struct mg_price *p)
{
    char err[160], text[MG_VIDEO_PRICES_MAX * 48];
    json_t *t = json_object_get(body, "video_text"), *arr = json_object_get(body, "video"), *v;
    size_t i, used = 0;
    if (json_is_string(t)) {
        if (mg_video_prices_parse(json_string_value(t), p, err, sizeof(err)) == MG_OK)
            return MG_OK;
        row_fail(c, MG_E_FIELD_INVALID, where, "video_text", err);
        return MG_DECLINED;
    }
    if (arr == NULL || json_is_null(arr))
        return MG_OK;
    if (!json_is_array(arr)) {
        row_fail(c, MG_E_FIELD_INVALID, where, "video", "'video' is a list of {resolution, seconds, per, price_micros}.");
        return MG_DECLINED;
    }
    text[0] = '\0';
    json_array_foreach(arr, i, v) { /* each object written as an entry of the text form: one reader checks both */
        const char *res = json_string_value(json_object_get(v, "resolution"));
        const char *per = json_string_value(json_object_get(v, "per"));
        json_t *secs = json_object_get(v, "seconds"), *micros = json_object_get(v, "price_micros");
        char money[32], len[24] = "";
        if (res == NULL || !json_is_integer(micros) || (secs != NULL && !json_is_integer(secs)) ||
            (per != NULL && strcmp(per, "video") != 0 && strcmp(per, "second") != 0) || strchr(res, ',') ||
            strchr(res, '=') || strchr(res, '/')) {
            snprintf(err, sizeof(err), "video[%zu] needs 'resolution' (768P, or * for any), 'price_micros', and "
                     "optionally 'seconds' (0 = any length) and 'per' (video or second).", i);
            row_fail(c, MG_E_FIELD_INVALID, where, "video", err);
            return MG_DECLINED;
        }
        mg_money_format((int64_t)json_integer_value(micros), money, sizeof(money));
        if (json_integer_value(secs) != 0)
            snprintf(len, sizeof(len), "/%llds", (long long)json_integer_value(secs));
        int n = snprintf(text + used, sizeof(text) - used, "%s%.15s%s=%s%s", i ? "," : "", res, len,
                         json_integer_value(micros) < 0 ? "-" : money, per && strcmp(per, "second") == 0 ? "/s" : "");
        if (n < 0 || (size_t)n >= sizeof(text) - used) {
            row_fail(c, MG_E_FIELD_INVALID, where, "video", "Too many video prices: a row has at most 12.");
            return MG_DECLINED;
        }
        used += (size_t)n;
    }
    if (mg_video_prices_parse(text, p, err, sizeof(err)) == MG_OK)
        return MG_OK;
    row_fail(c, MG_E_FIELD_INVALID, where, "video", err);
    return MG_DECLINED;
}

static json_t *row_json(const struct mg_price *p, int64_t ratio_ppm)
{
    json_t *o = json_object();
    char money[32];
    json_object_set_new(o, "model", json_string(p->model));
    for (size_t i = 0; i < MG_ARRAY_SIZE(cols); i++) {
        int64_t v = mg_price_apply_ratio(*col_of((struct mg_price *)p, i), ratio_ppm);
        char name[48];
        snprintf(name, sizeof(name), "%s_micros", cols[i].name);
        json_object_set_new(o, name, json_integer(v));
        mg_money_format(v, money, sizeof(money));
        json_object_set_new(o, cols[i].name, json_string(money));
    }
    json_object_set_new(o, "max_output_tokens", json_integer(mg_price_max_output(p)));
    video_json(o, p, ratio_ppm);
    return o;
}

struct ratios {
    int64_t global, plan, account;
    char plan_scope[32], account_scope[32];
    json_t *list;
};

static int ratio_cb(void *arg, const char *scope, int64_t ppm)
{
    struct ratios *r = arg;
    if (strcmp(scope, "global") == 0)
        r->global = ppm;
    else if (strcmp(scope, r->plan_scope) == 0)
        r->plan = ppm;
    else if (strcmp(scope, r->account_scope) == 0)
        r->account = ppm;
    if (r->list != NULL)
        json_array_append_new(r->list, json_pack("{s:s, s:I}", "scope", scope, "ratio_ppm", (json_int_t)ppm));
    return MG_OK;
}

/* The live table, pinned; MG_DECLINED (answered) when this process has none (an operator command). */
static int pin(struct pf_call *c, struct mg_price_pin *p)
{
    if (c->pf->prices != NULL && mg_pricebook_pin(c->pf->prices, p) == MG_OK)
        return MG_OK;
    pf_fail(c, MG_E_OVERLOADED, NULL, "The price table is read by the running server (GET /platform/v1/prices).");
    return MG_DECLINED;
}

void pf_h_prices(struct pf_call *c)
{
    struct mg_price_pin p;
    struct ratios r = {.global = -1, .plan = -1, .account = -1};
    snprintf(r.plan_scope, sizeof(r.plan_scope), "plan:%s", c->acct.plan[0] ? c->acct.plan : "free");
    snprintf(r.account_scope, sizeof(r.account_scope), "account:%lld", (long long)c->acct.id);
    int rc = c->store->ops->ratios_list(c->store, ratio_cb, &r);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    if (pin(c, &p) != MG_OK)
        return;
    int64_t ratio = r.account >= 0 ? r.account : r.plan >= 0 ? r.plan : mg_prices_ratio(p.t);
    json_t *rows = json_array(), *o = json_object();
    for (size_t i = 0; i < mg_prices_count(p.t); i++)
        json_array_append_new(rows, row_json(mg_prices_row(p.t, i), ratio));
    mg_pricebook_unpin(&p);
    json_object_set_new(o, "prices", rows);
    json_object_set_new(o, "units", json_string("micro-units of the currency per unit: per 1,000,000 tokens, per "
                                                "10,000 characters, per image, video, track or voice; a video by "
                                                "its resolution and length where the row says (video)"));
    pf_reply(c, 200, o);
}

/* ---- administration ------------------------------------------------------------------------ */

struct db_rows {
    json_t *names;
};

static int db_row(void *arg, const struct mg_price *p)
{
    json_array_append_new(((struct db_rows *)arg)->names, json_string(p->model));
    return MG_OK;
}

void pf_h_admin_prices(struct pf_call *c)
{
    struct mg_price_pin p;
    struct ratios r = {.global = -1, .plan = -1, .account = -1, .list = json_array()};
    struct db_rows d = {json_array()};
    int rc = c->store->ops->ratios_list(c->store, ratio_cb, &r);
    if (rc == MG_OK)
        rc = c->store->ops->prices_list(c->store, db_row, &d);
    if (rc != MG_OK || pin(c, &p) != MG_OK) {
        json_decref(r.list);
        json_decref(d.names);
        if (rc != MG_OK)
            pf_store_failed(c, rc);
        return;
    }
    json_t *rows = json_array(), *o = json_object();
    for (size_t i = 0; i < mg_prices_count(p.t); i++) {
        const struct mg_price *row = mg_prices_row(p.t, i);
        json_t *j = row_json(row, MG_RATIO_ONE), *v;
        size_t k;
        int db = 0;
        json_array_foreach(d.names, k, v) db |= strcmp(json_string_value(v), row->model) == 0;
        json_object_set_new(j, "source", json_string(db ? "database" : "built-in or config"));
        json_array_append_new(rows, j);
    }
    json_object_set_new(o, "ratio_ppm", json_integer(mg_prices_ratio(p.t)));
    mg_pricebook_unpin(&p);
    json_object_set_new(o, "ratios", r.list);
    json_object_set_new(o, "prices", rows);
    json_decref(d.names);
    pf_reply(c, 200, o);
}

/* After a change: this node's gateway prices with it from its next request. */
static void publish(struct pf_call *c)
{
    if (c->pf->prices_reload != NULL && c->pf->prices_reload(c->pf->prices_reload_arg, c->store) != MG_OK)
        mg_log(MG_LOG_WARN, "prices: the change is stored; this node's gateway takes it at its next price poll");
}

/* A price row of model from body (checked against its spec): MG_OK, or answered. */
static int price_from(struct pf_call *c, json_t *body, const char *model, const char *where, struct mg_price *p)
{
    memset(p, 0, sizeof(*p));
    if (!mg_model_name_valid(model, strlen(model), 1)) {
        row_fail(c, MG_E_FIELD_INVALID, where, "model",
                 "A model is 1 to 64 characters of letters, digits and . _ : / -, with at most one * (a pattern).");
        return MG_DECLINED;
    }
    mg_strlcpy(p->model, model, sizeof(p->model));
    int any = 0;
    for (size_t i = 0; i < MG_ARRAY_SIZE(cols); i++) { /* each 0..MG_PRICE_MAX_MICROS (router.c's f_price) */
        json_t *v = json_object_get(body, cols[i].name);
        *col_of(p, i) = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
        any |= *col_of(p, i) > 0;
    }
    json_t *mo = json_object_get(body, "max_output_tokens");
    p->max_output_tokens = json_is_integer(mo) ? (int64_t)json_integer_value(mo) : 0;
    if (video_from(c, body, where, p) != MG_OK)
        return MG_DECLINED;
    if (!any && p->nvideo == 0) {
        row_fail(c, MG_E_FIELD_MISSING, where, NULL,
                 "Give at least one price above 0 (e.g. input_per_mtok and output_per_mtok in micro-units, or "
                 "video_text such as \"768P/6s=0.25\").");
        return MG_DECLINED;
    }
    return MG_OK;
}

void pf_h_admin_price_put(struct pf_call *c)
{
    struct mg_price p;
    char detail[160];
    if (price_from(c, c->body, c->params[0], "", &p) != MG_OK)
        return;
    int rc = c->store->ops->price_put(c->store, &p, c->now);
    if (rc == MG_AGAIN) {
        pf_fail(c, MG_E_CONFLICT, NULL, "The price table has 1000 rows of its own, the most it may; remove one first.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    snprintf(detail, sizeof(detail), "price %s set", p.model);
    pf_audit(c, "price.set", c->acct.id, detail);
    publish(c);
    pf_reply(c, 200, row_json(&p, MG_RATIO_ONE));
}

/* ---- the whole table: PUT /admin/prices {prices?, ratio_ppm?} ---------------------------------------- */

struct table_put {
    struct mg_price *rows; /* NULL: the body gave no 'prices', the rows stay */
    size_t n;
    int64_t ratio_ppm; /* -1: not given */
    int64_t now;
    json_t *before;    /* the database's models when the transaction read them */
    json_t *removed;   /* those of them not in rows */
};

static int before_row(void *arg, const struct mg_price *p)
{
    json_array_append_new(arg, json_string(p->model));
    return MG_OK;
}

static int listed(const struct table_put *t, const char *model)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].model, model) == 0)
            return 1;
    return 0;
}

/* The database's rows become t->rows (those not listed removed) and the ratio is set, all or nothing. */
static enum mg_tx table_tx(struct mg_store *s, void *arg)
{
    struct table_put *t = arg;
    size_t i;
    json_t *v;
    json_array_clear(t->before); /* it may run again */
    json_array_clear(t->removed);
    if (t->rows != NULL) {
        if (s->ops->prices_list(s, before_row, t->before) != MG_OK)
            return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
        json_array_foreach(t->before, i, v) {
            if (listed(t, json_string_value(v)))
                continue;
            int rc = s->ops->price_delete(s, json_string_value(v));
            if (rc != MG_OK && rc != MG_DECLINED)
                return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
            json_array_append(t->removed, v);
        }
        for (i = 0; i < t->n; i++)
            if (s->ops->price_put(s, &t->rows[i], t->now) != MG_OK) /* never MG_AGAIN: at most 1000, the rest gone */
                return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    }
    if (t->ratio_ppm >= 0 && s->ops->ratio_set(s, "global", t->ratio_ppm, t->now) != MG_OK)
        return mg_store_soft(s) ? MG_TX_RETRY : MG_TX_HARD;
    return MG_TX_OK;
}

/* The body's rows, each checked as PUT /admin/prices/{model} checks its own, and no model twice. */
static int table_rows(struct pf_call *c, json_t *arr, struct table_put *t)
{
    char where[32];
    size_t i;
    json_t *row;
    t->rows = mg_calloc(json_array_size(arr) + 1, sizeof(*t->rows));
    json_array_foreach(arr, i, row) {
        snprintf(where, sizeof(where), "prices[%zu].", i);
        if (pf_body_check(c, pf_price_row_fields, row) != MG_OK) {
            char field[sizeof(c->field)], detail[sizeof(c->detail)];
            mg_strlcpy(field, c->field, sizeof(field));
            mg_strlcpy(detail, c->detail, sizeof(detail));
            row_fail(c, c->err, where, field[0] ? field : NULL, detail);
            return MG_DECLINED;
        }
        if (price_from(c, row, json_string_value(json_object_get(row, "model")), where, &t->rows[i]) != MG_OK)
            return MG_DECLINED;
        if (listed(t, t->rows[i].model)) {
            row_fail(c, MG_E_FIELD_INVALID, where, "model", "This model is listed twice; give each row once.");
            return MG_DECLINED;
        }
        t->n = i + 1;
    }
    return MG_OK;
}

void pf_h_admin_prices_put(struct pf_call *c)
{
    json_t *arr = json_object_get(c->body, "prices");
    struct table_put t = {.ratio_ppm = pf_has(c, "ratio_ppm") ? pf_int(c, "ratio_ppm", -1) : -1,
                          .now = c->now, .before = json_array(), .removed = json_array()};
    char detail[160], text[32];
    size_t i;
    if (!json_is_array(arr) && t.ratio_ppm < 0) {
        pf_fail(c, MG_E_FIELD_MISSING, "prices",
                "Send 'prices' (the database's rows: each {model, input_per_mtok, ...} as PUT /admin/prices/{model} "
                "takes it; [] removes them all) and/or 'ratio_ppm' (400000 is 40 % of the official price).");
        goto done;
    }
    if (json_is_array(arr) && table_rows(c, arr, &t) != MG_OK)
        goto done;
    int rc = c->store->ops->run_tx(c->store, "price table", table_tx, &t);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        goto done;
    }
    json_t *o = json_object(), *stored = json_array();
    if (t.rows != NULL) {
        snprintf(detail, sizeof(detail), "price table set: %zu rows of the database, %zu removed", t.n,
                 json_array_size(t.removed));
        pf_audit(c, "price.table_set", c->acct.id, detail);
        for (i = 0; i < t.n; i++)
            json_array_append_new(stored, row_json(&t.rows[i], MG_RATIO_ONE));
        json_object_set_new(o, "prices", stored);
        json_object_set(o, "removed", t.removed);
    } else {
        json_decref(stored);
    }
    if (t.ratio_ppm >= 0) {
        mg_money_format(t.ratio_ppm, text, sizeof(text));
        snprintf(detail, sizeof(detail), "ratio global: %s", text);
        pf_audit(c, "price.ratio_set", c->acct.id, detail);
        json_object_set_new(o, "ratio_ppm", json_integer(t.ratio_ppm));
    }
    publish(c);
    pf_reply(c, 200, o);
done:
    free(t.rows);
    json_decref(t.before);
    json_decref(t.removed);
}

void pf_h_admin_price_delete(struct pf_call *c)
{
    char detail[160];
    int rc = c->store->ops->price_delete(c->store, c->params[0]);
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL,
                "No price row of the database has this model; built-in and config rows are changed by setting one.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    snprintf(detail, sizeof(detail), "price %.100s removed", c->params[0]);
    pf_audit(c, "price.removed", c->acct.id, detail);
    publish(c);
    pf_no_content(c);
}

int pf_ratio_store(struct pf_call *c, const char *scope, int64_t ppm, int64_t account_id)
{
    char detail[128], text[32];
    int rc = c->store->ops->ratio_set(c->store, scope, ppm, c->now);
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return MG_DECLINED;
    }
    /* a plan's or an account's ratio is in the key records: this node's next request has it */
    if (c->pf->keys != NULL && strcmp(scope, "global") != 0 && mg_keycache_sync(c->pf->keys, c->store) != MG_OK)
        mg_log(MG_LOG_WARN, "prices: the key cache missed the ratio of %s (the poller will see it)", scope);
    mg_money_format(ppm, text, sizeof(text)); /* ppm as a decimal of 6 places is the ratio: 0.40 */
    snprintf(detail, sizeof(detail), "ratio %s: %s", scope, ppm < 0 ? "removed" : text);
    pf_audit(c, "price.ratio_set", account_id ? account_id : c->acct.id, detail);
    publish(c);
    return MG_OK;
}

/* A ratio of scope from body.ratio_ppm (null or absent on a plan or account: removed). */
static void set_ratio(struct pf_call *c, const char *scope, int64_t account_id)
{
    json_t *v = json_object_get(c->body, "ratio_ppm");
    int64_t ppm = json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
    if (ppm < 0 && strcmp(scope, "global") == 0) {
        pf_fail(c, MG_E_FIELD_MISSING, "ratio_ppm", "Send 'ratio_ppm': 400000 is 40 % of the official price.");
        return;
    }
    if (pf_ratio_store(c, scope, ppm, account_id) != MG_OK)
        return;
    json_t *o = json_object();
    json_object_set_new(o, "scope", json_string(scope));
    json_object_set_new(o, "ratio_ppm", ppm < 0 ? json_null() : json_integer(ppm));
    pf_reply(c, 200, o);
}

void pf_h_admin_ratio_global(struct pf_call *c) { set_ratio(c, "global", 0); }

void pf_h_admin_ratio_plan(struct pf_call *c)
{
    char scope[80];
    const char *plan = c->params[0];
    if (strcmp(plan, "free") != 0 && strcmp(plan, "professional") != 0 && strcmp(plan, "enterprise") != 0) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "The plans are free, professional and enterprise.");
        return;
    }
    snprintf(scope, sizeof(scope), "plan:%s", plan);
    set_ratio(c, scope, 0);
}

void pf_h_admin_ratio_account(struct pf_call *c)
{
    struct mg_account a;
    char scope[32];
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->account_get(c->store, id, &a) : MG_DECLINED;
    if (rc != MG_OK) {
        if (rc == MG_DECLINED)
            pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such account.");
        else
            pf_store_failed(c, rc);
        return;
    }
    snprintf(scope, sizeof(scope), "account:%lld", (long long)id);
    set_ratio(c, scope, id);
}
