/* Unit tests: the per-key rate limits' GCRA words (gateway/ratelimit.c): a
 * burst of exactly N, the exact wait, the steady rate, holds settled with
 * the real count or given back, and N threads racing for one word admitting
 * exactly N. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "core/mg.h"
#include "gateway/ratelimit.h"

#define SEC INT64_C(1000000000)
#define T0 (INT64_C(1790000000) * SEC) /* a time in 2026, as the gateway's clock gives */

static void burst_then_exact_wait(void **state)
{
    (void)state;
    _Atomic int64_t tat = 0;
    int64_t wait = 0;
    for (int i = 0; i < 10; i++)
        assert_int_equal(mg_rate_take(&tat, 10, 1, T0, &wait), MG_OK);
    assert_int_equal(mg_rate_take(&tat, 10, 1, T0, &wait), MG_DECLINED);
    assert_int_equal(wait, 6 * SEC); /* 10 a minute: one slot frees every 6 s */
    assert_int_equal(mg_rate_retry_s(wait), 6);
    assert_int_equal(mg_rate_take(&tat, 10, 1, T0 + 6 * SEC - 1, &wait), MG_DECLINED);
    assert_int_equal(wait, 1);
    assert_int_equal(mg_rate_retry_s(wait), 1); /* never 0 */
    assert_int_equal(mg_rate_take(&tat, 10, 1, T0 + 6 * SEC, &wait), MG_OK);
    /* a minute idle: the whole burst again, not more */
    int n = 0;
    while (mg_rate_take(&tat, 10, 1, T0 + 120 * SEC, &wait) == MG_OK)
        n++;
    assert_int_equal(n, 10);
}

/* A limit that does not divide a minute still lets exactly N through at once. */
static void odd_limits_admit_exactly_n(void **state)
{
    (void)state;
    static const int64_t limits[] = {1, 3, 7, 13, 999, 1000000};
    for (size_t i = 0; i < MG_ARRAY_SIZE(limits); i++) {
        _Atomic int64_t tat = 0;
        int64_t wait, n = 0;
        while (n <= limits[i] && mg_rate_take(&tat, limits[i], 1, T0, &wait) == MG_OK)
            n++;
        assert_int_equal(n, limits[i]);
        assert_true(wait > 0 && wait <= mg_rate_interval(limits[i]));
    }
}

static void tokens_held_then_settled(void **state)
{
    (void)state;
    _Atomic int64_t tat = 0;
    struct mg_rate_hold h = {0}, g = {0};
    int64_t wait;
    /* 1000 tokens a minute: a worst case of 800 fits, a second one does not */
    assert_int_equal(mg_rate_hold_take(&h, &tat, 1000, 800, T0, &wait), MG_OK);
    assert_int_equal(mg_rate_hold_take(&g, &tat, 1000, 800, T0, &wait), MG_DECLINED);
    assert_int_equal(wait, 600 * mg_rate_interval(1000)); /* the 600 that do not fit, at 60 ms each */
    assert_null(g.tat);
    /* it used 100: 700 come back, and the second now fits */
    mg_rate_settle(&h, 100);
    assert_null(h.tat);
    mg_rate_settle(&h, 100); /* once only */
    assert_int_equal(mg_rate_hold_take(&g, &tat, 1000, 800, T0, &wait), MG_OK);
    /* released (no usage came), then settled late: the real count is charged whole */
    mg_rate_release(&g);
    mg_rate_release(&g);
    assert_int_equal(atomic_load(&tat), T0 + 100 * mg_rate_interval(1000));
    mg_rate_settle(&g, 50);
    assert_int_equal(atomic_load(&tat), T0 + 150 * mg_rate_interval(1000));
    /* more than held (a report above the estimate) takes the rest */
    struct mg_rate_hold k = {0};
    assert_int_equal(mg_rate_hold_take(&k, &tat, 1000, 10, T0, &wait), MG_OK);
    mg_rate_settle(&k, 30);
    assert_int_equal(atomic_load(&tat), T0 + 180 * mg_rate_interval(1000));
}

#define THREADS 8
#define TRIES 2000

static _Atomic int64_t shared_tat;
static _Atomic int admitted;

static void *racer(void *arg)
{
    (void)arg;
    int64_t wait;
    for (int i = 0; i < TRIES; i++)
        if (mg_rate_take(&shared_tat, 500, 1, T0, &wait) == MG_OK)
            atomic_fetch_add(&admitted, 1);
    return NULL;
}

static void threads_admit_exactly_the_limit(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    atomic_store(&shared_tat, 0);
    atomic_store(&admitted, 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, racer, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&admitted), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_exact_wait),
        cmocka_unit_test(odd_limits_admit_exactly_n),
        cmocka_unit_test(tokens_held_then_settled),
        cmocka_unit_test(threads_admit_exactly_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
