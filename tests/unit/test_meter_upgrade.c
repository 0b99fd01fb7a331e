/* Unit tests: a one-file usage journal left by an older maxgated is replayed once on upgrade (billing/meter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "billing/meter.h"
#include "core/clock.h"
#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"


static int setup(void **state)
{
    struct mg_store *s = fixture_store("usage.journal");
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

static int sum_cb(void *arg, const struct mg_usage_event *e)
{
    (*(int *)arg)++;
    return MG_OK;
}

/* A journal left by a crashed process is replayed once, a torn last line is
 * skipped, and events already in the store are not counted twice. */
static void meter_replays_journal(void **state)
{
    struct mg_store *s = *state;
    char err[256];
    FILE *f = fopen(journal, "w");
    assert_non_null(f);
    fprintf(f, "{\"request_id\":\"j1\",\"key_public_id\":\"k\",\"model\":\"m\",\"service\":\"chat\",\"route\":\"/x\","
               "\"ts_ms\":%lld,\"account_id\":9,\"key_id\":1,\"cost_micros\":7,\"http_status\":200}\n",
            (long long)mg_now_ms());
    fprintf(f, "{\"request_id\":\"r1\",\"model\":\"m\",\"ts_ms\":1000,\"account_id\":7,\"cost_micros\":100}\n");
    fprintf(f, "{\"request_id\":\"torn\",\"mod"); /* a crash in the middle of a write */
    fclose(f);
    struct mg_usage_event before[2]; /* r1 and r2 already in the store, r1 again in the journal */
    memset(before, 0, sizeof(before));
    mg_strlcpy(before[0].request_id, "r1", sizeof(before[0].request_id));
    mg_strlcpy(before[1].request_id, "r2", sizeof(before[1].request_id));
    before[0].account_id = before[1].account_id = 7;
    before[0].cost_micros = 100;
    before[1].cost_micros = 50;
    before[0].ts_ms = before[1].ts_ms = 1000;
    assert_int_equal(s->ops->usage_insert(s, before, 2), MG_OK);
    struct mg_meter *m = mg_meter_open(spec, journal, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(mg_meter_spend(m, 9), 7); /* this month's spend includes the replayed event */
    struct mg_usage_event e;
    memset(&e, 0, sizeof(e));
    mg_strlcpy(e.request_id, "j2", sizeof(e.request_id));
    e.account_id = 9;
    e.cost_micros = 3;
    e.ts_ms = mg_now_ms();
    assert_int_equal(mg_meter_record(m, &e), MG_OK);
    assert_int_equal(mg_meter_spend(m, 9), 10);
    mg_meter_close(m);
    int n = 0;
    assert_int_equal(s->ops->usage_list(s, "j1", 10, sum_cb, &n), MG_OK);
    assert_int_equal(s->ops->usage_list(s, "j2", 10, sum_cb, &n), MG_OK);
    assert_int_equal(s->ops->usage_list(s, "torn", 10, sum_cb, &n), MG_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(s->ops->usage_list(s, NULL, 100, sum_cb, &n), MG_OK);
    assert_int_equal(n, 4); /* r1, r2 from before + j1, j2; r1 not twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(meter_replays_journal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
