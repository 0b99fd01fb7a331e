/* Unit tests: the billing period and the projected spend
 * (billing/period.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "billing/period.h"
#include "billing/spendword.h"
#include "core/mg.h"

/* Unix ms of a UTC date and time, from the calendar (independent of the
 * month arithmetic under test only in that it goes the other way). */
static int64_t at(int64_t y, int m, int d, int hh, int mm, int ss, int ms)
{
    return mg_days_from_civil(y, m, d) * MG_DAY_MS + ((hh * 60 + mm) * 60 + ss) * INT64_C(1000) + ms;
}

static void days_in_month_and_leap_years(void **state)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++)
        assert_int_equal(mg_days_in_month(2026, m), days[m - 1]);
    assert_int_equal(mg_days_in_month(2024, 2), 29);
    assert_int_equal(mg_days_in_month(2100, 2), 28);
    assert_int_equal(mg_days_in_month(2000, 2), 29);
    assert_int_equal(mg_days_in_month(1900, 2), 28);
    assert_int_equal(mg_days_in_month(1970, 2), 28);
    assert_int_equal(mg_days_in_month(1972, 2), 29);
    assert_int_equal(mg_days_in_month(2025, 12), 31); /* the year wraps */
    assert_int_equal(mg_days_in_month(2025, 0), 0);
    assert_int_equal(mg_days_in_month(2025, 13), 0);
    /* every month of four centuries: 146,097 days */
    int64_t total = 0;
    for (int64_t y = 2000; y < 2400; y++)
        for (int m = 1; m <= 12; m++)
            total += mg_days_in_month(y, m);
    assert_int_equal(total, 146097);
}

static void period_bounds_first_and_last_millisecond(void **state)
{
    /* 2026-12: [2026-12-01T00:00:00.000Z, 2027-01-01T00:00:00.000Z) */
    int64_t start = at(2026, 12, 1, 0, 0, 0, 0), end = at(2027, 1, 1, 0, 0, 0, 0);
    assert_int_equal(start, INT64_C(1796083200000));
    struct mg_period p = mg_period_of(start);
    assert_int_equal(p.start_ms, start);
    assert_int_equal(p.end_ms, end);
    assert_int_equal(p.month, (2026 - 1970) * 12 + 11);
    p = mg_period_of(end - 1); /* the last millisecond is still December */
    assert_int_equal(p.start_ms, start);
    assert_int_equal(p.end_ms, end);
    p = mg_period_of(end); /* the next one is January */
    assert_int_equal(p.start_ms, end);
    assert_int_equal(p.end_ms, at(2027, 2, 1, 0, 0, 0, 0));
    /* February of a leap year and of 2100 (not one) */
    p = mg_period_of(at(2024, 2, 29, 23, 59, 59, 999));
    assert_int_equal(p.start_ms, at(2024, 2, 1, 0, 0, 0, 0));
    assert_int_equal(p.end_ms - p.start_ms, 29 * MG_DAY_MS);
    assert_int_equal(mg_period_of(at(2024, 3, 1, 0, 0, 0, 0)).start_ms, at(2024, 3, 1, 0, 0, 0, 0));
    p = mg_period_of(at(2100, 2, 28, 23, 59, 59, 999));
    assert_int_equal(p.end_ms - p.start_ms, 28 * MG_DAY_MS);
    assert_int_equal(p.end_ms, at(2100, 3, 1, 0, 0, 0, 0));
    p = mg_period_of(at(2000, 2, 15, 12, 0, 0, 0));
    assert_int_equal(p.end_ms - p.start_ms, 29 * MG_DAY_MS);
    /* every month end of 2023..2025 is the next month's start */
    for (int64_t mo = mg_month_of(at(2023, 1, 1, 0, 0, 0, 0)); mo < mg_month_of(at(2026, 1, 1, 0, 0, 0, 0)); mo++) {
        struct mg_period a = mg_period_of_month(mo), b = mg_period_of(a.end_ms);
        assert_int_equal(b.start_ms, a.end_ms);
        assert_int_equal(mg_period_of(a.end_ms - 1).start_ms, a.start_ms);
        assert_int_equal(a.end_ms - a.start_ms, mg_days_in_month(1970 + mo / 12, (int)(mo % 12) + 1) * MG_DAY_MS);
    }
}

static void epoch_and_domain_ends(void **state)
{
    struct mg_period p = mg_period_of(0);
    assert_int_equal(p.month, 0);
    assert_int_equal(p.start_ms, 0);
    assert_int_equal(p.end_ms, 31 * MG_DAY_MS);
    assert_int_equal(mg_period_of(31 * MG_DAY_MS - 1).start_ms, 0);
    assert_int_equal(mg_period_of(31 * MG_DAY_MS).month, 1);
    assert_int_equal(mg_period_of(31 * MG_DAY_MS).end_ms, 59 * MG_DAY_MS);
    /* before 1970 clamps to January 1970 */
    p = mg_period_of(-1);
    assert_int_equal(p.start_ms, 0);
    assert_int_equal(p.month, 0);
    assert_int_equal(mg_period_of(INT64_MIN).start_ms, 0);
    assert_int_equal(mg_period_of_month(-5).start_ms, 0);
    /* the last month of the domain, and beyond it */
    p = mg_period_of(MG_PERIOD_MS_MAX);
    assert_int_equal(p.start_ms, at(9999, 12, 1, 0, 0, 0, 0));
    assert_int_equal(p.end_ms, MG_PERIOD_MS_MAX + 1);
    assert_int_equal(mg_period_of(INT64_MAX).start_ms, p.start_ms);
    assert_int_equal(mg_period_of_month(INT64_MAX).start_ms, p.start_ms);
    struct mg_civil c = mg_civil_of(MG_PERIOD_MS_MAX);
    assert_int_equal(c.year, 9999);
    assert_int_equal(c.month, 12);
    assert_int_equal(c.day, 31);
}

static void civil_dates(void **state)
{
    struct mg_civil c = mg_civil_of(0);
    assert_int_equal(c.year, 1970);
    assert_int_equal(c.month, 1);
    assert_int_equal(c.day, 1);
    c = mg_civil_of(at(2024, 2, 29, 23, 59, 59, 999));
    assert_int_equal(c.year, 2024);
    assert_int_equal(c.month, 2);
    assert_int_equal(c.day, 29);
    c = mg_civil_of(at(2100, 3, 1, 0, 0, 0, 0));
    assert_int_equal(c.year, 2100);
    assert_int_equal(c.month, 3);
    assert_int_equal(c.day, 1);
    c = mg_civil_of(at(2026, 12, 31, 23, 59, 59, 999));
    assert_int_equal(c.year, 2026);
    assert_int_equal(c.month, 12);
    assert_int_equal(c.day, 31);
    /* every day of 1999..2001 round-trips */
    for (int64_t d = mg_days_from_civil(1999, 1, 1); d < mg_days_from_civil(2002, 1, 1); d++) {
        c = mg_civil_of(d * MG_DAY_MS + 12 * MG_HOUR_MS);
        assert_int_equal(mg_days_from_civil(c.year, c.month, c.day), d);
    }
}

static void projection_arithmetic_and_rounding(void **state)
{
    int64_t out = -1;
    int64_t len = 30 * MG_DAY_MS;
    /* ten days of thirty: x3 */
    assert_int_equal(mg_project_spend(1000000, 10 * MG_DAY_MS, len, &out), MG_OK);
    assert_int_equal(out, 3000000);
    /* 1 micro over 7 of 30 days = 4.2857 -> 4; over 4 of 30 days = 7.5 -> 8 (half up); 2/3 -> 1 */
    assert_int_equal(mg_project_spend(1, 7 * MG_DAY_MS, len, &out), MG_OK);
    assert_int_equal(out, 4);
    assert_int_equal(mg_project_spend(1, 4 * MG_DAY_MS, len, &out), MG_OK);
    assert_int_equal(out, 8);
    assert_int_equal(mg_project_spend(1, 45 * MG_DAY_MS, len * 2, &out), MG_OK); /* 4/3 -> 1 */
    assert_int_equal(out, 1);
    assert_int_equal(mg_project_spend(5, 3 * MG_DAY_MS, 4 * MG_DAY_MS, &out), MG_OK); /* 6.67 -> 7 */
    assert_int_equal(out, 7);
    /* a negative adjustment rounds away from zero too: -7.5 -> -8 */
    assert_int_equal(mg_project_spend(-1, 4 * MG_DAY_MS, len, &out), MG_OK);
    assert_int_equal(out, -8);
    /* zero spend projects zero */
    assert_int_equal(mg_project_spend(0, 5 * MG_DAY_MS, len, &out), MG_OK);
    assert_int_equal(out, 0);
    /* the period is over: the spend is the total */
    assert_int_equal(mg_project_spend(123, len, len, &out), MG_OK);
    assert_int_equal(out, 123);
    assert_int_equal(mg_project_spend(123, len + 5, len, &out), MG_OK);
    assert_int_equal(out, 123);
    /* not a period */
    assert_int_equal(mg_project_spend(123, 5, 0, &out), MG_DECLINED);
    assert_int_equal(out, 123);
    assert_int_equal(mg_project_spend(123, -1, len, &out), MG_DECLINED);
    assert_int_equal(out, 123);
}

static void projection_waits_an_hour(void **state)
{
    int64_t out = -1, len = 31 * MG_DAY_MS;
    assert_int_equal(mg_project_spend(500, 0, len, &out), MG_AGAIN);
    assert_int_equal(out, 500);
    assert_int_equal(mg_project_spend(500, MG_HOUR_MS - 1, len, &out), MG_AGAIN);
    assert_int_equal(out, 500);
    /* at one hour of a 31-day month: x744 */
    assert_int_equal(mg_project_spend(500, MG_HOUR_MS, len, &out), MG_OK);
    assert_int_equal(out, 500 * 744);
    /* through the clock: 2026-12-01T00:59:59.999Z is too early, 01:00 is not */
    int64_t start = mg_days_from_civil(2026, 12, 1) * MG_DAY_MS;
    assert_int_equal(mg_period_project(500, start, &out), MG_AGAIN);
    assert_int_equal(out, 500);
    assert_int_equal(mg_period_project(500, start + MG_HOUR_MS - 1, &out), MG_AGAIN);
    assert_int_equal(mg_period_project(500, start + MG_HOUR_MS, &out), MG_OK);
    assert_int_equal(out, 500 * 744);
    /* half of February 2024 (29 days) doubles; of February 2100 (28) too */
    int64_t feb = mg_days_from_civil(2024, 2, 1) * MG_DAY_MS;
    assert_int_equal(mg_period_project(1001, feb + 29 * MG_DAY_MS / 2, &out), MG_OK);
    assert_int_equal(out, 2002);
    feb = mg_days_from_civil(2100, 2, 1) * MG_DAY_MS;
    assert_int_equal(mg_period_project(1001, feb + 7 * MG_DAY_MS, &out), MG_OK);
    assert_int_equal(out, 4004);
    /* the last millisecond of a month: elapsed = length - 1, rounds to about mtd */
    int64_t dec = mg_days_from_civil(2026, 12, 1) * MG_DAY_MS;
    assert_int_equal(mg_period_project(1000000, dec + 31 * MG_DAY_MS - 1, &out), MG_OK);
    assert_int_equal(out, 1000000); /* 1e6 x 2678400000 / 2678399999 = 1000000.0004 */
}

static void projection_saturates(void **state)
{
    int64_t out = 0, len = 31 * MG_DAY_MS;
    /* INT64_MAX x 744 overflows 64 bits but not the 128-bit product */
    assert_int_equal(mg_project_spend(INT64_MAX, MG_HOUR_MS, len, &out), MG_OK);
    assert_int_equal(out, INT64_MAX);
    assert_int_equal(mg_project_spend(INT64_MIN, MG_HOUR_MS, len, &out), MG_OK);
    assert_int_equal(out, INT64_MIN);
    /* just below the edge stays exact: (INT64_MAX / 744) x 744 */
    assert_int_equal(mg_project_spend(INT64_MAX / 744, MG_HOUR_MS, len, &out), MG_OK);
    assert_int_equal(out, INT64_MAX / 744 * 744);
    /* a huge length with a huge spend */
    assert_int_equal(mg_project_spend(INT64_MAX, MG_HOUR_MS, INT64_MAX, &out), MG_OK);
    assert_int_equal(out, INT64_MAX);
    /* the full month's spend at INT64_MAX stays INT64_MAX (no rounding past it) */
    assert_int_equal(mg_project_spend(INT64_MAX, len - 1, len, &out), MG_OK);
    assert_int_equal(out, INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(days_in_month_and_leap_years),
        cmocka_unit_test(period_bounds_first_and_last_millisecond),
        cmocka_unit_test(epoch_and_domain_ends),
        cmocka_unit_test(civil_dates),
        cmocka_unit_test(projection_arithmetic_and_rounding),
        cmocka_unit_test(projection_waits_an_hour),
        cmocka_unit_test(projection_saturates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
