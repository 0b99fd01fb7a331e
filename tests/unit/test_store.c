/* Unit tests: the SQLite store (store/): accounts, keys, usage events, owners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"


static int setup(void **state)
{
    struct mg_store *s = fixture_store("journal");
    assert_int_equal(s->ops->migrate(s), MG_OK); /* idempotent */
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct mg_store *s = *state;
    s->ops->close(s);
    return fixture_remove();
}

static int64_t new_key(struct mg_store *s, int64_t account, const char *pub, uint8_t fill)
{
    struct mg_key_record k;
    memset(&k, 0, sizeof(k));
    k.account_id = account;
    mg_strlcpy(k.public_id, pub, sizeof(k.public_id));
    mg_strlcpy(k.name, "test", sizeof(k.name));
    memset(k.digest, fill, sizeof(k.digest));
    k.scopes = 1;
    assert_int_equal(s->ops->key_insert(s, &k), MG_OK);
    return k.seq;
}

static int count_cb(void *arg, const struct mg_key_record *k)
{
    (*(int *)arg)++;
    return MG_OK;
}

static void accounts_and_keys(void **state)
{
    struct mg_store *s = *state;
    int64_t id, seq = 0;
    struct mg_account a;
    struct mg_key_record k;
    uint8_t d[32];
    int n = 0;
    assert_int_equal(s->ops->account_create(s, "Ann@Example.COM", NULL, 0, &id), MG_OK);
    assert_int_equal(s->ops->account_create(s, "ann@example.com", NULL, 0, &id), MG_DECLINED);
    assert_int_equal(s->ops->account_by_email(s, "ANN@example.com", &a), MG_OK);
    assert_string_equal(a.email, "ann@example.com");
    int64_t s1 = new_key(s, a.id, "AAAAAAAAAAAA", 1);
    int64_t s2 = new_key(s, a.id, "BBBBBBBBBBBB", 2);
    assert_true(s2 > s1);
    memset(d, 2, sizeof(d));
    assert_int_equal(s->ops->key_by_digest(s, d, &k), MG_OK);
    assert_string_equal(k.public_id, "BBBBBBBBBBBB");
    memset(d, 9, sizeof(d));
    assert_int_equal(s->ops->key_by_digest(s, d, &k), MG_DECLINED);
    /* a revocation shows up in keys_since with a newer seq */
    assert_int_equal(s->ops->keys_since(s, s2, count_cb, &n, &seq), MG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s->ops->key_set_status(s, "AAAAAAAAAAAA", MG_KEY_REVOKED), MG_OK);
    assert_int_equal(s->ops->key_set_status(s, "nonexistent1", MG_KEY_REVOKED), MG_DECLINED);
    seq = s2;
    assert_int_equal(s->ops->keys_since(s, s2, count_cb, &n, &seq), MG_OK);
    assert_int_equal(n, 1);
    assert_true(seq > s2);
    /* suspending the account touches both keys */
    int64_t before = seq;
    n = 0;
    assert_int_equal(s->ops->account_set_suspended(s, a.id, 1), MG_OK);
    assert_int_equal(s->ops->keys_since(s, before, count_cb, &n, &seq), MG_OK);
    assert_int_equal(n, 2);
}

static int sum_cb(void *arg, const struct mg_usage_event *e)
{
    (*(int *)arg)++;
    return MG_OK;
}

static int spend_cb(void *arg, int64_t account_id, int64_t key_id, const char *service, int64_t micros)
{
    (void)key_id;
    (void)service;
    if (account_id == 7)
        *(int64_t *)arg += micros; /* one row per key of the account */
    return MG_OK;
}

static void usage_is_idempotent(void **state)
{
    struct mg_store *s = *state;
    struct mg_usage_event e[2];
    int n = 0;
    int64_t spend;
    memset(e, 0, sizeof(e));
    mg_strlcpy(e[0].request_id, "r1", sizeof(e[0].request_id));
    mg_strlcpy(e[1].request_id, "r2", sizeof(e[1].request_id));
    e[0].account_id = e[1].account_id = 7;
    e[0].cost_micros = 100;
    e[1].cost_micros = 50;
    e[0].ts_ms = e[1].ts_ms = 1000;
    assert_int_equal(s->ops->usage_insert(s, e, 2), MG_OK);
    assert_int_equal(s->ops->usage_insert(s, e, 2), MG_OK);
    assert_int_equal(s->ops->usage_list(s, NULL, 100, sum_cb, &n), MG_OK);
    assert_int_equal(n, 2);
    spend = 0;
    assert_int_equal(s->ops->usage_spend_all(s, 0, 2000, spend_cb, &spend), MG_OK);
    assert_int_equal(spend, 150);
}

struct found {
    int n;
    int64_t output;
    int estimated, status;
};

static int found_cb(void *arg, const struct mg_usage_event *e)
{
    struct found *f = arg;
    f->n++;
    f->output = e->output_tokens;
    f->estimated = e->estimated;
    f->status = e->http_status;
    return MG_OK;
}

/* GW-5: a stream's checkpoints replace each other, its event deletes them,
 * and one left over (the process died) becomes its event at the settle. */
static void stream_checkpoints(void **state)
{
    struct mg_store *s = *state;
    struct mg_usage_event c[2], e;
    struct found f = {0};
    size_t settled;
    memset(c, 0, sizeof(c));
    for (int i = 0; i < 2; i++) {
        mg_strlcpy(c[i].request_id, i ? "open" : "done", sizeof(c[i].request_id));
        c[i].checkpoint = c[i].estimated = 1;
        c[i].http_status = 503;
        c[i].output_tokens = 10;
        c[i].ts_ms = 3000;
    }
    assert_int_equal(s->ops->usage_insert(s, c, 2), MG_OK);
    c[1].output_tokens = 25; /* a later checkpoint of the open stream */
    assert_int_equal(s->ops->usage_insert(s, &c[1], 1), MG_OK);
    assert_int_equal(s->ops->usage_list(s, "open", 10, found_cb, &f), MG_OK);
    assert_int_equal(f.n, 0); /* a checkpoint is not an event */
    e = c[0];
    e.checkpoint = e.estimated = 0;
    e.http_status = 200;
    e.output_tokens = 40;
    assert_int_equal(s->ops->usage_insert(s, &e, 1), MG_OK); /* "done" ends: its checkpoint goes */
    assert_int_equal(s->ops->usage_settle_checkpoints(s, &settled), MG_OK);
    assert_int_equal(settled, 1);
    assert_int_equal(s->ops->usage_list(s, "open", 10, found_cb, &f), MG_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.output, 25);
    assert_int_equal(f.estimated, 1);
    assert_int_equal(f.status, 503);
    memset(&f, 0, sizeof(f));
    assert_int_equal(s->ops->usage_list(s, "done", 10, found_cb, &f), MG_OK);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.output, 40);
    assert_int_equal(f.estimated, 0);
    assert_int_equal(s->ops->usage_settle_checkpoints(s, &settled), MG_OK);
    assert_int_equal(settled, 0);
}

static void owners(void **state)
{
    struct mg_store *s = *state;
    struct mg_owned o = {.account_id = 5, .key_id = 9, .created_ms = 1000, .model = "MiniMax-Hailuo-2.3",
                         .video_seconds = 10, .video_res = "1080P"}, got;
    assert_int_equal(s->ops->owner_put(s, MG_OWNED_VIDEO_TASK, "123", &o), MG_OK);
    assert_int_equal(s->ops->owner_get(s, MG_OWNED_VIDEO_TASK, "123", &got), MG_OK);
    assert_int_equal(got.account_id, 5);
    assert_int_equal(got.key_id, 9);
    assert_int_equal(got.created_ms, 1000);
    assert_string_equal(got.model, "MiniMax-Hailuo-2.3");
    assert_int_equal(got.video_seconds, 10);
    assert_string_equal(got.video_res, "1080P");
    assert_string_equal(got.state, "");
    /* a query's state is kept; the same state again keeps its first time */
    assert_int_equal(s->ops->owner_state(s, MG_OWNED_VIDEO_TASK, "123", "Processing", 2000), MG_OK);
    assert_int_equal(s->ops->owner_state(s, MG_OWNED_VIDEO_TASK, "123", "Processing", 3000), MG_OK);
    assert_int_equal(s->ops->owner_get(s, MG_OWNED_VIDEO_TASK, "123", &got), MG_OK);
    assert_string_equal(got.state, "Processing");
    assert_int_equal(got.state_ms, 2000);
    /* a second put (the same id answered twice) keeps the first record */
    o.account_id = 6;
    assert_int_equal(s->ops->owner_put(s, MG_OWNED_VIDEO_TASK, "123", &o), MG_OK);
    assert_int_equal(s->ops->owner_get(s, MG_OWNED_VIDEO_TASK, "123", &got), MG_OK);
    assert_int_equal(got.account_id, 5);
    assert_string_equal(got.state, "Processing");
    assert_int_equal(s->ops->owner_state(s, MG_OWNED_FILE, "nobody", "Success", 1), MG_OK); /* unknown: no error */
    assert_int_equal(s->ops->owner_get(s, MG_OWNED_FILE, "123", &got), MG_DECLINED);
    assert_int_equal(s->ops->owner_delete(s, MG_OWNED_VIDEO_TASK, "123"), MG_OK);
    assert_int_equal(s->ops->owner_get(s, MG_OWNED_VIDEO_TASK, "123", &got), MG_DECLINED);
}

/* files/list is filtered with one batched lookup: each id's owner, 0 for nobody's. */
static void owners_lookup(void **state)
{
    struct mg_store *s = *state;
    const char *ids[] = {"301", "302", "303", "301"};
    int64_t acc[4] = {-1, -1, -1, -1};
    assert_int_equal(s->ops->owner_put(s, MG_OWNED_FILE, "301", &(struct mg_owned){.account_id = 7}), MG_OK);
    assert_int_equal(s->ops->owner_put(s, MG_OWNED_FILE, "302", &(struct mg_owned){.account_id = 8}), MG_OK);
    assert_int_equal(s->ops->owner_put(s, MG_OWNED_VOICE, "303", &(struct mg_owned){.account_id = 7}), MG_OK); /* another kind */
    assert_int_equal(s->ops->owners_lookup(s, MG_OWNED_FILE, ids, 4, acc), MG_OK);
    assert_int_equal(acc[0], 7);
    assert_int_equal(acc[1], 8);
    assert_int_equal(acc[2], 0);
    assert_int_equal(acc[3], 7);
    assert_int_equal(s->ops->owners_lookup(s, MG_OWNED_FILE, ids, 0, acc), MG_OK);
}

static void channels(void **state)
{
    struct mg_store *s = *state;
    struct mg_channel_record c, got;
    memset(&c, 0, sizeof(c));
    mg_strlcpy(c.name, "east", sizeof(c.name));
    c.region = MG_REGION_CN;
    mg_strlcpy(c.base_url, "https://a.example", sizeof(c.base_url));
    mg_strlcpy(c.key_ref, "db", sizeof(c.key_ref));
    memset(c.key_enc, 7, 48);
    c.key_enc_len = 48;
    c.weight = 2;
    c.enabled = 1;
    assert_int_equal(s->ops->channel_insert(s, &c), MG_OK);
    assert_int_equal(s->ops->channel_insert(s, &c), MG_DECLINED);
    assert_int_equal(s->ops->channel_get(s, "west", &got), MG_DECLINED);
    assert_int_equal(s->ops->channel_get(s, "east", &got), MG_OK);
    assert_int_equal(got.weight, 2);
    assert_int_equal(got.key_enc_len, 48);
    assert_int_equal(got.region, MG_REGION_CN);
    /* update: base URL, weight, models, enabled; the key and region stay */
    mg_strlcpy(got.base_url, "https://b.example/v", sizeof(got.base_url));
    mg_strlcpy(got.models, "m1,m2", sizeof(got.models));
    got.weight = 9;
    got.enabled = 0;
    got.region = MG_REGION_GLOBAL;
    got.key_enc_len = 0;
    assert_int_equal(s->ops->channel_update(s, &got), MG_OK);
    assert_int_equal(s->ops->channel_get(s, "east", &c), MG_OK);
    assert_string_equal(c.base_url, "https://b.example/v");
    assert_string_equal(c.models, "m1,m2");
    assert_int_equal(c.weight, 9);
    assert_int_equal(c.enabled, 0);
    assert_int_equal(c.region, MG_REGION_CN);
    assert_int_equal(c.key_enc_len, 48);
    mg_strlcpy(got.name, "west", sizeof(got.name));
    assert_int_equal(s->ops->channel_update(s, &got), MG_DECLINED);
    assert_int_equal(s->ops->channel_delete(s, "east"), MG_OK);
    assert_int_equal(s->ops->channel_get(s, "east", &c), MG_DECLINED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accounts_and_keys),
        cmocka_unit_test(usage_is_idempotent),
        cmocka_unit_test(owners_lookup),
        cmocka_unit_test(stream_checkpoints),
        cmocka_unit_test(owners),
        cmocka_unit_test(channels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
