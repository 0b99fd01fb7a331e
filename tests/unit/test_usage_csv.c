/* Unit tests: the usage aggregates (usage_aggregate: groups, order, the row
 * ceiling) and the usage log as CSV (RFC 4180 quoting, formula cells, paging
 * past one usage_log page, the row ceiling with its closing comment, the
 * column order with the appended latency and video columns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "billing/usage_csv.h"
#include "core/buf.h"
#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"

#define DAY 86400000LL
#define D0 1796083200000LL /* 2026-12-01T00:00:00Z */

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

static void put(struct mg_store *s, const char *rid, int64_t account, int64_t ts, const char *key, const char *model,
                const char *service, int64_t cost)
{
    struct mg_usage_event e;
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.request_id, rid, sizeof(e.request_id));
    e.account_id = account;
    e.ts_ms = ts;
    mg_strlcpy(e.key_public_id, key, sizeof(e.key_public_id));
    mg_strlcpy(e.model, model, sizeof(e.model));
    mg_strlcpy(e.service, service, sizeof(e.service));
    mg_strlcpy(e.route, "/v1/chat/completions", sizeof(e.route));
    e.input_tokens = 10;
    e.output_tokens = 5;
    e.cost_micros = cost;
    e.http_status = 200;
    assert_int_equal(s->ops->usage_insert(s, &e, 1), MG_OK);
}

struct got {
    int n;
    struct mg_usage_total t[16];
};

static int got_cb(void *arg, const struct mg_usage_total *t)
{
    struct got *g = arg;
    if (g->n < 16)
        g->t[g->n] = *t;
    g->n++;
    return MG_OK;
}

static void agg(struct mg_store *s, int64_t account, enum mg_usage_group by, size_t limit, struct got *g, int *more)
{
    memset(g, 0, sizeof(*g));
    assert_int_equal(s->ops->usage_aggregate(s, account, D0, D0 + 31 * DAY, by, limit, got_cb, g, more), MG_OK);
}

static void aggregates_group_and_order(void **state)
{
    struct mg_store *s = *state;
    struct got g;
    int more;
    put(s, "a1", 1, D0 + 1000, "keyone", "MiniMax-M2.7", "chat", 100);
    put(s, "a2", 1, D0 + DAY - 1, "keyone", "MiniMax-M2.7", "chat", 200);    /* the last ms of Dec 1 */
    put(s, "a3", 1, D0 + DAY, "keytwo", "image-01", "image", 1000);          /* the first of Dec 2 */
    put(s, "a4", 1, D0 + 5 * DAY, "keytwo", "speech-02", "speech", 50);
    put(s, "a5", 1, D0 - 1, "keyone", "MiniMax-M2.7", "chat", 7);            /* November: outside */
    put(s, "b1", 2, D0 + 1000, "keyb", "MiniMax-M2.7", "chat", 99999);       /* another account */
    agg(s, 1, MG_GROUP_DAY, 100, &g, &more);
    assert_int_equal(g.n, 3);
    assert_false(more);
    assert_string_equal(g.t[0].key, "2026-12-01");
    assert_int_equal(g.t[0].cost_micros, 300);
    assert_int_equal(g.t[0].requests, 2);
    assert_int_equal(g.t[0].input_tokens, 20);
    assert_string_equal(g.t[1].key, "2026-12-02");
    assert_string_equal(g.t[2].key, "2026-12-06");
    agg(s, 1, MG_GROUP_SERVICE, 100, &g, &more);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.t[0].key, "image"); /* biggest first */
    assert_string_equal(g.t[1].key, "chat");
    assert_string_equal(g.t[2].key, "speech");
    agg(s, 1, MG_GROUP_KEY, 100, &g, &more);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.t[0].key, "keytwo");
    assert_int_equal(g.t[0].cost_micros, 1050);
    agg(s, 1, MG_GROUP_MODEL, 100, &g, &more);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.t[2].key, "speech-02");
    agg(s, 3, MG_GROUP_MODEL, 100, &g, &more); /* an account without usage */
    assert_int_equal(g.n, 0);
}

static void aggregates_have_a_ceiling(void **state)
{
    struct mg_store *s = *state;
    struct got g;
    int more;
    char rid[16], model[24];
    for (int i = 0; i < 5; i++) {
        snprintf(rid, sizeof(rid), "m%d", i);
        snprintf(model, sizeof(model), "model-%d", i);
        put(s, rid, 1, D0 + i, "k", model, "chat", 10 + i);
    }
    agg(s, 1, MG_GROUP_MODEL, 3, &g, &more);
    assert_int_equal(g.n, 3);
    assert_true(more);
    assert_string_equal(g.t[0].key, "model-4");
    agg(s, 1, MG_GROUP_MODEL, 5, &g, &more);
    assert_int_equal(g.n, 5);
    assert_false(more);
    agg(s, 1, MG_GROUP_MODEL, MG_USAGE_GROUPS_MAX + 100, &g, &more); /* clamped, and 5 are below it */
    assert_int_equal(g.n, 5);
}

static void fields_are_quoted(void **state)
{
    struct mg_buf b;
    (void)state;
    mg_buf_init(&b, 1024);
    const char *in[] = {"plain", "a,b", "say \"hi\"", "two\r\nlines", "=1+2", "-x,y", "@home", ""};
    for (size_t i = 0; i < MG_ARRAY_SIZE(in); i++) {
        assert_int_equal(mg_csv_field(&b, in[i]), MG_OK);
        assert_int_equal(mg_buf_append(&b, "|", 1), MG_OK);
    }
    assert_string_equal(b.data, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\r\nlines\"|'=1+2|\"'-x,y\"|'@home||");
    mg_buf_free(&b);
    mg_buf_init(&b, 4); /* never half a field at the ceiling */
    assert_int_equal(mg_csv_field(&b, "a,bc"), MG_DECLINED);
    assert_int_equal(b.len, 0);
    mg_buf_free(&b);
}

static int lines(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "\r\n")) != NULL; p += 2)
        n++;
    return n;
}

static void csv_pages_and_stops_at_its_ceiling(void **state)
{
    struct mg_store *s = *state;
    struct mg_buf b;
    size_t rows;
    int truncated;
    char rid[16];
    int total = MG_USAGE_LOG_MAX * 2 + 30; /* three usage_log pages */
    for (int i = 0; i < total; i++) {
        snprintf(rid, sizeof(rid), "r%04d", i);
        put(s, rid, 1, D0 + i / 3, "k", "MiniMax-M2.7", "chat", 1000 + i); /* equal times across page ends */
    }
    put(s, "zz", 2, D0, "k", "MiniMax-M2.7", "chat", 1);
    struct mg_usage_filter f = {.account_id = 1};
    mg_buf_init(&b, MG_USAGE_CSV_MAX_BYTES);
    assert_int_equal(mg_usage_csv(s, &f, MG_USAGE_CSV_MAX_ROWS, &b, &rows, &truncated), MG_OK);
    assert_int_equal(rows, total);
    assert_false(truncated);
    assert_int_equal(lines(b.data), total + 1);
    assert_true(strncmp(b.data, "request_id,time,key,model,service,route,http_status,", 52) == 0);
    assert_non_null(strstr(b.data, "\r\nr0429,2026-12-01T00:00:00Z,k,MiniMax-M2.7,chat,/v1/chat/completions,200,false,"
                                   "10,5,0,0,0,0,0,0,1429,0.001429,0,0,\r\n"));
    assert_non_null(strstr(b.data, "\r\nr0000,"));
    assert_null(strstr(b.data, "zz"));
    assert_null(strstr(b.data, "#"));
    /* the ceiling: max rows, then the comment saying how to get the rest */
    mg_buf_reset(&b);
    assert_int_equal(mg_usage_csv(s, &f, 250, &b, &rows, &truncated), MG_OK);
    assert_int_equal(rows, 250);
    assert_true(truncated);
    assert_int_equal(lines(b.data), 252);
    const char *last = strstr(b.data, "\r\n# truncated after 250 rows (newest first): export again with to=");
    assert_non_null(last);
    assert_int_equal(strlen(strchr(last + 2, '\r')), 2); /* it is the last line */
    /* a byte ceiling below the rows is a refusal, not a cut row */
    mg_buf_free(&b);
    mg_buf_init(&b, 4096);
    assert_int_equal(mg_usage_csv(s, &f, MG_USAGE_CSV_MAX_ROWS, &b, &rows, &truncated), MG_DECLINED);
    mg_buf_free(&b);
}

/* The columns a spreadsheet reads by position: the first ones as they were,
 * the latency and a video's length and resolution appended after cost. */
static void csv_columns_keep_their_order(void **state)
{
    struct mg_store *s = *state;
    struct mg_buf b;
    struct mg_usage_event e;
    size_t rows;
    int truncated;
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.request_id, "video-123", sizeof(e.request_id));
    e.account_id = 1;
    e.ts_ms = D0 + 5000;
    mg_strlcpy(e.key_public_id, "k", sizeof(e.key_public_id));
    mg_strlcpy(e.model, "MiniMax-Hailuo-2.3", sizeof(e.model));
    mg_strlcpy(e.service, "video", sizeof(e.service));
    mg_strlcpy(e.route, "/v1/query/video_generation", sizeof(e.route));
    e.videos = 1;
    e.video_seconds = 6;
    mg_strlcpy(e.video_res, "768P", sizeof(e.video_res));
    e.cost_micros = 250000;
    e.latency_ms = 1234;
    e.http_status = 200;
    assert_int_equal(s->ops->usage_insert(s, &e, 1), MG_OK);
    put(s, "chat1", 1, D0, "k", "MiniMax-M2.7", "chat", 7);
    struct mg_usage_filter f = {.account_id = 1};
    mg_buf_init(&b, MG_USAGE_CSV_MAX_BYTES);
    assert_int_equal(mg_usage_csv(s, &f, MG_USAGE_CSV_MAX_ROWS, &b, &rows, &truncated), MG_OK);
    assert_int_equal(rows, 2);
    assert_string_equal(b.data,
                        "request_id,time,key,model,service,route,http_status,estimated,input_tokens,output_tokens,"
                        "cached_tokens,characters,images,videos,tracks,voices,cost_micros,cost,latency_ms,"
                        "video_seconds,video_resolution\r\n"
                        "video-123,2026-12-01T00:00:05Z,k,MiniMax-Hailuo-2.3,video,/v1/query/video_generation,200,false,"
                        "0,0,0,0,0,1,0,0,250000,0.25,1234,6,768P\r\n"
                        "chat1,2026-12-01T00:00:00Z,k,MiniMax-M2.7,chat,/v1/chat/completions,200,false,"
                        "10,5,0,0,0,0,0,0,7,0.000007,0,0,\r\n");
    mg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(aggregates_group_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(aggregates_have_a_ceiling, setup, teardown),
        cmocka_unit_test(fields_are_quoted),
        cmocka_unit_test_setup_teardown(csv_pages_and_stops_at_its_ceiling, setup, teardown),
        cmocka_unit_test_setup_teardown(csv_columns_keep_their_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
