/* Unit tests: reservations against a cap (billing/reserve.c, spendword.h):
 * take/settle/release, N threads racing with the invariant spent + reserved
 * <= cap checked at every step, and the month rollover with the injectable
 * clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "billing/meter.h"
#include "billing/reserve.h"
#include "billing/spendword.h"
#include "core/clock.h"
#include "core/mg.h"
#include "store/store.h"
#include "fixture_store.h"


static int setup(void **state)
{
    char err[256];
    struct mg_store *s = fixture_store("journal");
    s->ops->close(s);
    struct mg_meter *m = mg_meter_open(spec, journal, err, sizeof(err));
    assert_non_null(m);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    mg_meter_close(*state);
    mg_clock_set(0);
    return fixture_remove();
}

static void event(struct mg_usage_event *e, const char *id, int64_t account, int64_t cost)
{
    memset(e, 0, sizeof(*e));
    mg_strlcpy(e->request_id, id, sizeof(e->request_id));
    mg_strlcpy(e->model, "MiniMax-M2.7", sizeof(e->model));
    mg_strlcpy(e->service, "chat", sizeof(e->service));
    mg_strlcpy(e->route, "/v1/chat/completions", sizeof(e->route));
    e->ts_ms = mg_now_ms();
    e->account_id = account;
    e->cost_micros = cost;
    e->http_status = 200;
}

static void take_settle_release(void **state)
{
    struct mg_meter *m = *state;
    struct mg_reservation a, b, c;
    struct mg_usage_event ev;
    int64_t left;
    assert_int_equal(mg_reserve_take(m, 7, 100, 60, &a, &left), MG_OK);
    assert_true(mg_reserve_active(&a));
    assert_int_equal(mg_reserve_held(m, 7), 60);
    assert_int_equal(mg_reserve_take(m, 7, 100, 41, &b, &left), MG_DECLINED);
    assert_int_equal(left, 40);
    assert_false(mg_reserve_active(&b));
    assert_int_equal(mg_reserve_take(m, 7, 100, 40, &b, &left), MG_OK);
    assert_int_equal(mg_reserve_open_micros(), 100);
    /* full: an amount of 0 (a request with no units) is refused too */
    assert_int_equal(mg_reserve_take(m, 7, 100, 0, &c, &left), MG_DECLINED);
    assert_int_equal(left, 0);
    /* settle a at 25: spent 25, reserved 40 */
    event(&ev, "r-a", 7, 25);
    assert_int_equal(mg_reserve_settle(m, &a, NULL, &ev), MG_OK);
    assert_false(mg_reserve_active(&a));
    assert_int_equal(mg_meter_spend(m, 7), 25);
    assert_int_equal(mg_reserve_held(m, 7), 65);
    mg_reserve_release(&b);
    mg_reserve_release(&b); /* idempotent */
    mg_reserve_release(NULL);
    assert_int_equal(mg_reserve_held(m, 7), 25);
    assert_int_equal(mg_reserve_open_micros(), 0);
    assert_int_equal(mg_reserve_take(m, 7, 100, 0, &c, &left), MG_OK);
    assert_false(mg_reserve_active(&c));
    assert_int_equal(left, 75);
    /* an event without a reservation counts in both words */
    event(&ev, "r-free", 7, 5);
    assert_int_equal(mg_reserve_settle(m, NULL, NULL, &ev), MG_OK);
    assert_int_equal(mg_meter_spend(m, 7), 30);
    assert_int_equal(mg_reserve_held(m, 7), 30);
    /* other accounts are apart */
    assert_int_equal(mg_reserve_held(m, 8), 0);
}

#define THREADS 4
#define ROUNDS 3000
#define CAP 5000

struct racer {
    struct mg_meter *m;
    unsigned seed;
    int idx;
    int64_t spent; /* what this thread's settled events cost */
};

static _Atomic int stop_checker, violations;

static void *race(void *arg)
{
    struct racer *r = arg;
    struct mg_usage_event ev;
    struct mg_reservation res;
    int64_t left;
    char id[40];
    for (int i = 0; i < ROUNDS; i++) {
        int64_t amount = 1 + rand_r(&r->seed) % 400;
        if (mg_reserve_take(r->m, 42, CAP, amount, &res, &left) != MG_OK) {
            if (left >= amount)
                atomic_fetch_add(&violations, 1); /* declined although it fitted */
            continue;
        }
        if (mg_reserve_held(r->m, 42) > CAP)
            atomic_fetch_add(&violations, 1);
        if (rand_r(&r->seed) % 2) {
            int64_t real = rand_r(&r->seed) % (amount + 1);
            if (real == amount && amount > 1)
                real--; /* keep spend growing slowly so the race lasts */
            real = real / 8;
            snprintf(id, sizeof(id), "t%d-%d", r->idx, i);
            event(&ev, id, 42, real);
            assert_int_equal(mg_reserve_settle(r->m, &res, NULL, &ev), MG_OK);
            r->spent += real;
        } else {
            mg_reserve_release(&res);
        }
    }
    return NULL;
}

static void *checker(void *arg)
{
    struct mg_meter *m = arg;
    while (!atomic_load(&stop_checker))
        if (mg_reserve_held(m, 42) > CAP)
            atomic_fetch_add(&violations, 1);
    return NULL;
}

static void threads_never_pass_the_cap(void **state)
{
    struct mg_meter *m = *state;
    pthread_t t[THREADS], chk;
    struct racer r[THREADS];
    atomic_store(&stop_checker, 0);
    atomic_store(&violations, 0);
    assert_int_equal(pthread_create(&chk, NULL, checker, m), 0);
    for (int i = 0; i < THREADS; i++) {
        r[i] = (struct racer){.m = m, .seed = 1234u + (unsigned)i, .idx = i};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    int64_t spent = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        spent += r[i].spent;
    }
    atomic_store(&stop_checker, 1);
    pthread_join(chk, NULL);
    assert_int_equal(atomic_load(&violations), 0);
    assert_int_equal(mg_meter_spend(m, 42), spent);
    assert_int_equal(mg_reserve_held(m, 42), spent); /* nothing left reserved */
    assert_true(spent <= CAP);
    assert_int_equal(mg_reserve_open_micros(), 0);
}

/* 2026-01-31 23:59:59 UTC and the next second. */
#define JAN_END_MS INT64_C(1769903999000)
#define FEB_START_MS INT64_C(1769904000000)

static void month_rollover(void **state)
{
    struct mg_meter *m = *state;
    struct mg_reservation jan, feb;
    struct mg_usage_event ev;
    int64_t left;
    assert_int_equal(mg_month_of(JAN_END_MS) + 1, mg_month_of(FEB_START_MS));
    assert_int_equal(mg_month_start_ms(mg_month_of(JAN_END_MS) + 1), FEB_START_MS);
    mg_clock_set(JAN_END_MS);
    assert_int_equal(mg_reserve_period_left_s(), 1);
    event(&ev, "jan-spend", 9, 100);
    assert_int_equal(mg_reserve_settle(m, NULL, NULL, &ev), MG_OK);
    assert_int_equal(mg_reserve_take(m, 9, 150, 50, &jan, &left), MG_OK);
    assert_int_equal(mg_reserve_take(m, 9, 150, 1, &feb, &left), MG_DECLINED);
    mg_clock_set(FEB_START_MS);
    assert_int_equal(mg_reserve_held(m, 9), 0); /* a new period starts from nothing */
    assert_int_equal(mg_reserve_period_left_s(), 28 * 86400);
    assert_int_equal(mg_reserve_take(m, 9, 150, 150, &feb, &left), MG_OK);
    /* January's hold ends in February: it must not free February's budget */
    mg_reserve_release(&jan);
    assert_int_equal(mg_reserve_held(m, 9), 150);
    /* settling February's hold with an event in February */
    event(&ev, "feb-1", 9, 70);
    assert_int_equal(mg_reserve_settle(m, &feb, NULL, &ev), MG_OK);
    assert_int_equal(mg_reserve_held(m, 9), 70);
    assert_int_equal(mg_meter_spend(m, 9), 70);
    assert_int_equal(mg_reserve_open_micros(), 0);
    /* January's spend stays readable in February (a wallet's, until January is invoiced) */
    assert_int_equal(mg_meter_last_month_spend(m, 9), 100);
    event(&ev, "jan-late", 9, 5); /* a January event committed late still counts for January */
    ev.ts_ms = JAN_END_MS;
    assert_int_equal(mg_reserve_settle(m, NULL, NULL, &ev), MG_OK);
    assert_int_equal(mg_meter_last_month_spend(m, 9), 105);
    assert_int_equal(mg_meter_spend(m, 9), 70);
    /* March: February is the last month, January is gone */
    mg_clock_set(FEB_START_MS + 28LL * 86400000);
    event(&ev, "mar-1", 9, 3);
    assert_int_equal(mg_reserve_settle(m, NULL, NULL, &ev), MG_OK);
    assert_int_equal(mg_meter_spend(m, 9), 3);
    assert_int_equal(mg_meter_last_month_spend(m, 9), 70);
}

/* A key's own cap: its spend counts apart from its account's (and from its
 * sibling key's), and one event settles both holds. */
static void key_cap_beside_the_account(void **state)
{
    struct mg_meter *m = *state;
    struct mg_reservation a, k;
    struct mg_usage_event ev;
    int64_t left, key = mg_meter_key_spender(31);
    event(&ev, "k31-first", 5, 40);
    ev.key_id = 31;
    assert_int_equal(mg_reserve_settle(m, NULL, NULL, &ev), MG_OK);
    event(&ev, "k32-first", 5, 25);
    ev.key_id = 32;
    assert_int_equal(mg_reserve_settle(m, NULL, NULL, &ev), MG_OK);
    assert_int_equal(mg_meter_spend(m, 5), 65);
    assert_int_equal(mg_meter_key_spend(m, 31), 40);
    assert_int_equal(mg_meter_key_spend(m, 32), 25);
    /* key 31 has a cap of 100: 60 more fits, 61 does not, whatever the account has left */
    assert_int_equal(mg_reserve_take(m, key, 100, 61, &k, &left), MG_DECLINED);
    assert_int_equal(left, 60);
    assert_int_equal(mg_reserve_take(m, 5, 1000, 60, &a, &left), MG_OK);
    assert_int_equal(mg_reserve_take(m, key, 100, 60, &k, &left), MG_OK);
    assert_int_equal(mg_reserve_held(m, key), 100);
    event(&ev, "k31-second", 5, 15);
    ev.key_id = 31;
    assert_int_equal(mg_reserve_settle(m, &a, &k, &ev), MG_OK);
    assert_int_equal(mg_reserve_held(m, 5), 80);
    assert_int_equal(mg_reserve_held(m, key), 55);
    assert_int_equal(mg_meter_key_spend(m, 31), 55);
    assert_int_equal(mg_reserve_open_micros(), 0);
}

/* The arithmetic months agree with gmtime_r over decades, leap years included. */
static void months_match_gmtime(void **state)
{
    (void)state;
    for (int64_t s = -86400LL * 400; s < 86400LL * 365 * 80; s += 86400LL * 7 + 3601) {
        time_t t = (time_t)s;
        struct tm tm;
        gmtime_r(&t, &tm);
        int64_t month = (int64_t)(tm.tm_year - 70) * 12 + tm.tm_mon;
        assert_int_equal(mg_month_of(s * 1000), month);
        assert_true(mg_month_start_ms(month) <= s * 1000 && s * 1000 < mg_month_start_ms(month + 1));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(take_settle_release, setup, teardown),
        cmocka_unit_test_setup_teardown(threads_never_pass_the_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(month_rollover, setup, teardown),
        cmocka_unit_test_setup_teardown(key_cap_beside_the_account, setup, teardown),
        cmocka_unit_test(months_match_gmtime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
