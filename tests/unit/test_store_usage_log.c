/* Unit tests: the store's usage log read (usage_log): one account only, the
 * filters, the (ts, request_id) cursor through equal times, the row ceiling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"

static int setup(void **state)
{
    *state = fixture_store("journal");
    return 0;
}

static int teardown(void **state)
{
    struct mg_store *s = *state;
    s->ops->close(s);
    return fixture_remove();
}

static void put(struct mg_store *s, const char *rid, int64_t account, int64_t ts, const char *key, int status)
{
    struct mg_usage_event e;
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.request_id, rid, sizeof(e.request_id));
    e.account_id = account;
    e.ts_ms = ts;
    mg_strlcpy(e.key_public_id, key, sizeof(e.key_public_id));
    mg_strlcpy(e.model, "MiniMax-M2.7", sizeof(e.model));
    mg_strlcpy(e.service, "chat", sizeof(e.service));
    e.http_status = status;
    assert_int_equal(s->ops->usage_insert(s, &e, 1), MG_OK);
}

struct seen {
    int n;
    char ids[300][40];
    int64_t ts[300];
};

static int seen_cb(void *arg, const struct mg_usage_event *e)
{
    struct seen *v = arg;
    mg_strlcpy(v->ids[v->n], e->request_id, sizeof(v->ids[0]));
    v->ts[v->n++] = e->ts_ms;
    return MG_OK;
}

static void run(struct mg_store *s, const struct mg_usage_filter *f, size_t limit, struct seen *v)
{
    memset(v, 0, sizeof(*v));
    assert_int_equal(s->ops->usage_log(s, f, limit, seen_cb, v), MG_OK);
}

static void filters_and_account(void **state)
{
    struct mg_store *s = *state;
    struct seen v;
    put(s, "a1", 1, 1000, "keyone", 200);
    put(s, "a2", 1, 2000, "keytwo", 502);
    put(s, "a3", 1, 3000, "keyone", 429);
    put(s, "b1", 2, 2500, "keyb", 200);
    struct mg_usage_filter f = {.account_id = 1};
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.ids[0], "a3");
    assert_string_equal(v.ids[2], "a1");
    f.request_id = "b1"; /* another account's: not there */
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 0);
    f.request_id = NULL;
    f.key_public_id = "keyone";
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 2);
    f.key_public_id = NULL;
    f.status = MG_USAGE_STATUS_ERROR;
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 2);
    f.status = MG_USAGE_STATUS_OK;
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "a1");
    f.status = 429;
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "a3");
    f.status = 0;
    f.from_ms = 2000; /* [from, to) */
    f.to_ms = 3000;
    run(s, &f, 50, &v);
    assert_int_equal(v.n, 1);
    assert_string_equal(v.ids[0], "a2");
}

/* Pages of 3 through 10 events sharing one millisecond and 2 older: no row twice, none lost. */
static void cursor_through_equal_times(void **state)
{
    struct mg_store *s = *state;
    struct seen v, all;
    char rid[16];
    for (int i = 0; i < 10; i++) {
        snprintf(rid, sizeof(rid), "same%02d", i);
        put(s, rid, 3, 5000, "k", 200);
    }
    put(s, "older1", 3, 4000, "k", 200);
    put(s, "older2", 3, 10, "k", 200);
    struct mg_usage_filter f = {.account_id = 3};
    char keep[40];
    run(s, &f, 50, &all);
    assert_int_equal(all.n, 12);
    int got = 0;
    for (int page = 0; page < 10; page++) {
        run(s, &f, 3, &v);
        for (int i = 0; i < v.n; i++)
            assert_string_equal(v.ids[i], all.ids[got + i]);
        got += v.n;
        if (v.n < 3)
            break;
        f.before_ts_ms = v.ts[v.n - 1];
        mg_strlcpy(keep, v.ids[v.n - 1], sizeof(keep)); /* v is refilled by the next page */
        f.before_id = keep;
    }
    assert_int_equal(got, 12);
}

static void rows_per_call_have_a_ceiling(void **state)
{
    struct mg_store *s = *state;
    struct seen v;
    char rid[16];
    for (int i = 0; i < MG_USAGE_LOG_MAX + 50; i++) {
        snprintf(rid, sizeof(rid), "c%04d", i);
        put(s, rid, 4, 1000 + i, "k", 200);
    }
    struct mg_usage_filter f = {.account_id = 4};
    run(s, &f, 100000, &v);
    assert_int_equal(v.n, MG_USAGE_LOG_MAX);
    assert_int_equal(v.ts[0], 1000 + MG_USAGE_LOG_MAX + 49);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(filters_and_account, setup, teardown),
        cmocka_unit_test_setup_teardown(cursor_through_equal_times, setup, teardown),
        cmocka_unit_test_setup_teardown(rows_per_call_have_a_ceiling, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
