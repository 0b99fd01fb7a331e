/*
 * h_usage.c: the signed-in account's usage log (issue 12): its billed
 * requests newest first, filtered and paged, as the usage writer recorded
 * them.  Another account's request id is simply not found (an empty page).
 */
#include "billing/prices.h"
#include "core/mg.h"
#include "core/service.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PAGE_DEFAULT 50

struct page {
    json_t *arr;
    struct mg_usage_event last; /* the page's oldest event: where next_cursor goes on */
};

static json_t *usage_json(const struct mg_usage_event *e)
{
    char cost[32];
    json_t *o = json_object();
    json_t *u = json_object();
    json_object_set_new(o, "request_id", json_string(e->request_id));
    pf_set_time(o, "time", e->ts_ms);
    json_object_set_new(o, "key", json_string(e->key_public_id));
    json_object_set_new(o, "model", json_string(e->model));
    json_object_set_new(o, "service", json_string(e->service));
    json_object_set_new(o, "route", json_string(e->route));
    json_object_set_new(u, "input_tokens", json_integer(e->input_tokens));
    json_object_set_new(u, "output_tokens", json_integer(e->output_tokens));
    json_object_set_new(u, "cached_tokens", json_integer(e->cached_tokens));
    json_object_set_new(u, "characters", json_integer(e->characters));
    json_object_set_new(u, "images", json_integer(e->images));
    json_object_set_new(u, "videos", json_integer(e->videos));
    json_object_set_new(u, "tracks", json_integer(e->tracks));
    json_object_set_new(u, "voices", json_integer(e->voices));
    json_object_set_new(o, "units", u);
    json_object_set_new(o, "cost_micros", json_integer(e->cost_micros));
    mg_money_format(e->cost_micros, cost, sizeof(cost));
    json_object_set_new(o, "cost", json_string(cost));
    json_object_set_new(o, "http_status", json_integer(e->http_status));
    json_object_set_new(o, "estimated", json_boolean(e->estimated));
    json_object_set_new(o, "latency_ms", json_integer(e->latency_ms));
    if (e->video_seconds || e->video_res[0]) { /* a video: its length and resolution as its creation asked */
        json_object_set_new(o, "video_seconds", e->video_seconds ? json_integer(e->video_seconds) : json_null());
        json_object_set_new(o, "video_resolution", e->video_res[0] ? json_string(e->video_res) : json_null());
    }
    return o;
}

static int add_event(void *arg, const struct mg_usage_event *e)
{
    struct page *p = arg;
    json_array_append_new(p->arr, usage_json(e));
    p->last = *e;
    return MG_OK;
}

/* The cursor is base64url("ts_ms:request_id") of the previous page's last event. */
static json_t *cursor_json(const struct mg_usage_event *e)
{
    char raw[80];
    int n = snprintf(raw, sizeof(raw), "%lld:%s", (long long)e->ts_ms, e->request_id);
    return pf_b64url((const uint8_t *)raw, (size_t)n);
}

static int cursor_parse(const char *s, int64_t *ts, char *id, size_t idcap)
{
    char raw[80];
    size_t n = 0;
    if (sodium_base642bin((unsigned char *)raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return MG_DECLINED;
    raw[n] = '\0';
    char *colon = memchr(raw, ':', n);
    if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= idcap ||
        mg_parse_i64(raw, (size_t)(colon - raw), ts) != MG_OK || *ts <= 0)
        return MG_DECLINED;
    mg_strlcpy(id, colon + 1, idcap);
    return MG_OK;
}

/* ?name= into out (cap bytes); "" when absent.  A value too long for out is
 * refused (a cut one could name something else). */
static int text_param(struct pf_call *c, const char *name, char *out, size_t cap, const char **dst)
{
    char buf[256];
    pf_query(c, name, buf, sizeof(buf));
    if (strlen(buf) >= cap) {
        pf_fail(c, MG_E_FIELD_INVALID, name, "This filter value is longer than any stored one.");
        return MG_DECLINED;
    }
    mg_strlcpy(out, buf, cap);
    *dst = out[0] ? out : NULL;
    return MG_OK;
}

static int time_param(struct pf_call *c, const char *name, int64_t *out)
{
    char buf[48];
    pf_query(c, name, buf, sizeof(buf));
    if (buf[0] && pf_time_parse(buf, out) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, name, "A time in RFC 3339, such as 2027-01-31T12:00:00Z.");
        return MG_DECLINED;
    }
    return MG_OK;
}

static int status_param(struct pf_call *c, int *out)
{
    char buf[16];
    int64_t code = 0;
    pf_query(c, "status", buf, sizeof(buf));
    if (strcmp(buf, "ok") == 0)
        *out = MG_USAGE_STATUS_OK;
    else if (strcmp(buf, "error") == 0)
        *out = MG_USAGE_STATUS_ERROR;
    else if (buf[0] && (mg_parse_i64(buf, strlen(buf), &code) != MG_OK || code < 100 || code > 599)) {
        pf_fail(c, MG_E_FIELD_INVALID, "status", "status is ok (2xx), error (anything else) or a code 100-599.");
        return MG_DECLINED;
    } else {
        *out = (int)code;
    }
    return MG_OK;
}

int pf_usage_filter(struct pf_call *c, struct mg_usage_filter *f, struct pf_usage_query *q)
{
    enum mg_service svc;
    memset(f, 0, sizeof(*f));
    f->account_id = c->acct.id;
    if (text_param(c, "request_id", q->rid, sizeof(q->rid), &f->request_id) != MG_OK ||
        text_param(c, "key", q->key, sizeof(q->key), &f->key_public_id) != MG_OK ||
        text_param(c, "model", q->model, sizeof(q->model), &f->model) != MG_OK ||
        text_param(c, "service", q->service, sizeof(q->service), &f->service) != MG_OK ||
        status_param(c, &f->status) != MG_OK || time_param(c, "from", &f->from_ms) != MG_OK ||
        time_param(c, "to", &f->to_ms) != MG_OK)
        return MG_DECLINED;
    if (f->service && mg_service_parse(f->service, &svc) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "service", "service is one of chat, speech, video, image, music, voice, files.");
        return MG_DECLINED;
    }
    if (f->from_ms && f->to_ms && f->to_ms <= f->from_ms) {
        pf_fail(c, MG_E_FIELD_INVALID, "to", "to must be later than from.");
        return MG_DECLINED;
    }
    return MG_OK;
}

void pf_h_usage_log(struct pf_call *c)
{
    struct mg_usage_filter f;
    struct pf_usage_query q;
    char cur[128], before_id[40];
    int64_t limit;
    if (pf_usage_filter(c, &f, &q) != MG_OK)
        return;
    pf_query(c, "cursor", cur, sizeof(cur));
    if (cur[0] && cursor_parse(cur, &f.before_ts_ms, before_id, sizeof(before_id)) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "cursor", "cursor is the next_cursor of the previous page, unchanged.");
        return;
    }
    f.before_id = cur[0] ? before_id : NULL;
    if (pf_query_limit(c, PAGE_DEFAULT, MG_USAGE_LOG_MAX, &limit) != MG_OK)
        return;
    struct page p = {.arr = json_array()};
    int rc = c->store->ops->usage_log(c->store, &f, (size_t)limit, add_event, &p);
    if (rc != MG_OK) {
        json_decref(p.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "events", p.arr);
    json_object_set_new(o, "next_cursor", json_array_size(p.arr) == (size_t)limit ? cursor_json(&p.last) : json_null());
    pf_reply(c, 200, o);
}
