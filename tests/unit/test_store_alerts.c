/* Unit tests: the store's spending alerts (sq_alerts.c): one per service and
 * threshold, the per-account ceiling, due alerts with their account's cap,
 * one firing per month, another account's alert untouchable. */
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
    *state = fixture_store("journal");
    return 0;
}

static int teardown(void **state)
{
    struct mg_store *s = *state;
    s->ops->close(s);
    return fixture_remove();
}

static int add(struct mg_store *s, int64_t account, const char *service, int pct, struct mg_alert *out)
{
    struct mg_alert a;
    memset(&a, 0, sizeof(a));
    a.account_id = account;
    mg_strlcpy(a.service, service, sizeof(a.service));
    a.threshold_percent = pct;
    a.channels = MG_ALERT_EMAIL | MG_ALERT_IN_APP;
    a.created_ms = 1000;
    int rc = s->ops->alert_insert(s, &a);
    if (out)
        *out = a;
    return rc;
}

static int count(void *arg, const struct mg_alert *a)
{
    (void)a;
    (*(int *)arg)++;
    return MG_OK;
}

struct due {
    int n;
    int64_t cap;
    char email[64];
};

static int due_cb(void *arg, const struct mg_alert_due *d)
{
    struct due *x = arg;
    x->n++;
    x->cap = d->cap_micros;
    mg_strlcpy(x->email, d->email, sizeof(x->email));
    return MG_OK;
}

static void insert_list_fire_delete(void **state)
{
    struct mg_store *s = *state;
    int64_t a, b;
    struct mg_alert half, chat;
    int n = 0;
    struct due d = {0};
    assert_int_equal(s->ops->account_create(s, "a@example.com", NULL, 0, &a), MG_OK);
    assert_int_equal(s->ops->account_create(s, "b@example.com", NULL, 0, &b), MG_OK);
    assert_int_equal(s->ops->account_set_cap(s, a, 5000000), MG_OK);
    assert_int_equal(add(s, a, "all", 50, &half), MG_OK);
    assert_true(half.id > 0 && half.fired_month == -1);
    assert_int_equal(add(s, a, "all", 50, NULL), MG_DECLINED); /* the same threshold twice */
    assert_int_equal(add(s, a, "chat", 50, &chat), MG_OK);
    assert_int_equal(add(s, b, "all", 50, NULL), MG_OK);       /* another account's own */
    assert_int_equal(s->ops->alerts_list(s, a, count, &n), MG_OK);
    assert_int_equal(n, 2);

    assert_int_equal(s->ops->alerts_due(s, a, 100, due_cb, &d), MG_OK);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.cap, 5000000);
    assert_string_equal(d.email, "a@example.com");
    /* fires once in month 100, again in 101, never back in 100 */
    assert_int_equal(s->ops->alert_fire(s, half.id, 100), MG_OK);
    assert_int_equal(s->ops->alert_fire(s, half.id, 100), MG_DECLINED);
    memset(&d, 0, sizeof(d));
    assert_int_equal(s->ops->alerts_due(s, a, 100, due_cb, &d), MG_OK);
    assert_int_equal(d.n, 1);
    assert_int_equal(s->ops->alert_fire(s, half.id, 101), MG_OK);
    assert_int_equal(s->ops->alert_fire(s, half.id, 100), MG_DECLINED);

    assert_int_equal(s->ops->alert_delete(s, b, chat.id), MG_DECLINED); /* not b's */
    assert_int_equal(s->ops->alert_delete(s, a, chat.id), MG_OK);
    assert_int_equal(s->ops->alert_delete(s, a, chat.id), MG_DECLINED);
}

static void ceiling(void **state)
{
    struct mg_store *s = *state;
    int64_t a;
    assert_int_equal(s->ops->account_create(s, "c@example.com", NULL, 0, &a), MG_OK);
    for (int i = 1; i <= MG_ALERTS_PER_ACCOUNT; i++)
        assert_int_equal(add(s, a, "all", i, NULL), MG_OK);
    assert_int_equal(add(s, a, "all", 99, NULL), MG_AGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(insert_list_fire_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(ceiling, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
