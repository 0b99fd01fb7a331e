/*
 * h_usage_tasks.c: the signed-in account's async tasks (issue 12), next to
 * its usage log: each video and speech task newest first with the last
 * state a query answer reported (gateway/owners.c), filtered by kind and
 * key, a page at a time.  Another account's tasks never appear: the store
 * reads one account's rows only.
 */
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define PAGE_DEFAULT 50
#define CURSOR_RAW_MAX (24 + 4 + MG_TASK_ID_MAX) /* "created_ms:kind:id" */

static const struct {
    const char *name;
    enum mg_owned_kind kind;
} kinds[] = {{"video", MG_OWNED_VIDEO_TASK}, {"speech", MG_OWNED_SPEECH_TASK}};

static const char *kind_name(int kind)
{
    for (size_t i = 0; i < MG_ARRAY_SIZE(kinds); i++)
        if ((int)kinds[i].kind == kind)
            return kinds[i].name;
    return "";
}

struct page {
    json_t *arr;
    struct mg_task_record last; /* the page's oldest task: where next_cursor goes on */
};

static json_t *task_json(const struct mg_task_record *t)
{
    json_t *o = json_object();
    json_object_set_new(o, "task_id", json_string(t->id));
    json_object_set_new(o, "kind", json_string(kind_name(t->kind)));
    json_object_set_new(o, "model", json_string(t->o.model));
    json_object_set_new(o, "key", json_string(t->key_public_id));
    pf_set_time(o, "created_at", t->o.created_ms); /* null: recorded before tasks kept their time */
    /* the upstream's own word (Queueing, Processing, Success, Fail, ...); none reported yet = submitted */
    json_object_set_new(o, "state", json_string(t->o.state[0] ? t->o.state : "submitted"));
    pf_set_time(o, "state_at", t->o.state_ms);
    if (t->kind == MG_OWNED_VIDEO_TASK) {
        json_object_set_new(o, "video_seconds", t->o.video_seconds ? json_integer(t->o.video_seconds) : json_null());
        json_object_set_new(o, "video_resolution", t->o.video_res[0] ? json_string(t->o.video_res) : json_null());
        json_object_set_new(o, "billed", json_boolean(t->billed)); /* a speech task is billed at its creation */
    }
    return o;
}

static int add_task(void *arg, const struct mg_task_record *t)
{
    struct page *p = arg;
    json_array_append_new(p->arr, task_json(t));
    p->last = *t;
    return MG_OK;
}

/* The cursor is base64url("created_ms:kind:id") of the previous page's last task. */
static json_t *cursor_json(const struct mg_task_record *t)
{
    char raw[CURSOR_RAW_MAX];
    int n = snprintf(raw, sizeof(raw), "%lld:%c:%s", (long long)t->o.created_ms, t->kind, t->id);
    return pf_b64url((const uint8_t *)raw, (size_t)n);
}

static int cursor_parse(const char *s, struct mg_task_filter *f, char *id, size_t idcap)
{
    char raw[CURSOR_RAW_MAX];
    size_t n = 0;
    if (sodium_base642bin((unsigned char *)raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return MG_DECLINED;
    raw[n] = '\0';
    char *colon = memchr(raw, ':', n);
    if (colon == NULL || n - (size_t)(colon - raw) < 4 || colon[2] != ':' || colon[3] == '\0' ||
        kind_name((unsigned char)colon[1])[0] == '\0' || strlen(colon + 3) >= idcap ||
        mg_parse_i64(raw, (size_t)(colon - raw), &f->before_ms) != MG_OK || f->before_ms < 0)
        return MG_DECLINED;
    f->before_kind = (unsigned char)colon[1];
    mg_strlcpy(id, colon + 3, idcap);
    f->before_id = id;
    return MG_OK;
}

/* ?kind= and ?key= into f (key's text in keybuf); MG_DECLINED with a 400 naming the parameter. */
static int filters(struct pf_call *c, struct mg_task_filter *f, char *keybuf, size_t keycap)
{
    char kind[16], key[64];
    pf_query(c, "kind", kind, sizeof(kind));
    for (size_t i = 0; kind[0] && i < MG_ARRAY_SIZE(kinds); i++)
        if (strcmp(kind, kinds[i].name) == 0)
            f->kind = kinds[i].kind;
    if (kind[0] && f->kind == 0) {
        pf_fail(c, MG_E_FIELD_INVALID, "kind", "kind is video or speech (or absent for both).");
        return MG_DECLINED;
    }
    pf_query(c, "key", key, sizeof(key));
    if (strlen(key) >= keycap) {
        pf_fail(c, MG_E_FIELD_INVALID, "key", "key is an API key's id, as the keys list shows it.");
        return MG_DECLINED;
    }
    mg_strlcpy(keybuf, key, keycap);
    f->key_public_id = keybuf[0] ? keybuf : NULL;
    return MG_OK;
}

void pf_h_usage_tasks(struct pf_call *c)
{
    struct mg_task_filter f = {.account_id = c->acct.id};
    char key[MG_KEY_PUBID_LEN + 1], cur[256], before_id[MG_TASK_ID_MAX];
    int64_t limit;
    if (filters(c, &f, key, sizeof(key)) != MG_OK)
        return;
    pf_query(c, "cursor", cur, sizeof(cur));
    if (cur[0] && cursor_parse(cur, &f, before_id, sizeof(before_id)) != MG_OK) {
        pf_fail(c, MG_E_FIELD_INVALID, "cursor", "cursor is the next_cursor of the previous page, unchanged.");
        return;
    }
    if (pf_query_limit(c, PAGE_DEFAULT, MG_TASKS_PAGE_MAX, &limit) != MG_OK)
        return;
    struct page p = {.arr = json_array()};
    int rc = c->store->ops->tasks_list(c->store, &f, (size_t)limit, add_task, &p);
    if (rc != MG_OK) {
        json_decref(p.arr);
        pf_store_failed(c, rc);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "tasks", p.arr);
    json_object_set_new(o, "next_cursor", json_array_size(p.arr) == (size_t)limit ? cursor_json(&p.last) : json_null());
    pf_reply(c, 200, o);
}
