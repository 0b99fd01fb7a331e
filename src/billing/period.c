/*
 * period.c: the billing period (the UTC calendar month) and the month's
 * projected spend.  See period.h for the rules.
 */
#include "billing/period.h"
#include "billing/spendword.h"
#include "core/mg.h"

static int64_t clamp_ms(int64_t ms)
{
    return ms < 0 ? 0 : ms > MG_PERIOD_MS_MAX ? MG_PERIOD_MS_MAX : ms;
}

struct mg_period mg_period_of_month(int64_t month)
{
    int64_t last = mg_month_of(MG_PERIOD_MS_MAX);
    if (month < 0)
        month = 0;
    if (month > last)
        month = last;
    struct mg_period p = {.month = month, .start_ms = mg_month_start_ms(month), .end_ms = mg_month_start_ms(month + 1)};
    return p;
}

struct mg_period mg_period_of(int64_t ms)
{
    return mg_period_of_month(mg_month_of(clamp_ms(ms)));
}

int mg_days_in_month(int64_t year, int month)
{
    if (month < 1 || month > 12)
        return 0;
    int64_t next_y = month == 12 ? year + 1 : year;
    int64_t next_m = month == 12 ? 1 : month + 1;
    return (int)(mg_days_from_civil(next_y, next_m, 1) - mg_days_from_civil(year, month, 1));
}

struct mg_civil mg_civil_of(int64_t ms)
{
    ms = clamp_ms(ms);
    int64_t month = mg_month_of(ms);
    struct mg_civil c = {
        .year = 1970 + month / 12,
        .month = (int)(month % 12) + 1,
        .day = (int)((ms - mg_month_start_ms(month)) / MG_DAY_MS) + 1,
    };
    return c;
}

int mg_project_spend(int64_t mtd_micros, int64_t elapsed_ms, int64_t length_ms, int64_t *projected)
{
    *projected = mtd_micros;
    if (length_ms <= 0 || elapsed_ms < 0)
        return MG_DECLINED;
    if (elapsed_ms < MG_PROJECT_MIN_ELAPSED_MS && elapsed_ms < length_ms)
        return MG_AGAIN;
    if (elapsed_ms >= length_ms || mtd_micros == 0)
        return MG_OK;
    /* |mtd| <= 2^63 and length < 2^63: the product of the magnitudes fits
     * 126 bits; the rounding works on the magnitude, the sign comes back
     * last. */
    unsigned __int128 mag = mtd_micros < 0 ? (unsigned __int128)(-(mtd_micros + 1)) + 1 : (unsigned __int128)mtd_micros;
    unsigned __int128 num = mag * (unsigned __int128)length_ms;
    unsigned __int128 e = (unsigned __int128)elapsed_ms;
    unsigned __int128 q = num / e;
    if (num % e >= e - num % e) /* remainder >= half of elapsed: away from zero */
        q++;
    if (mtd_micros > 0)
        *projected = q > (unsigned __int128)INT64_MAX ? INT64_MAX : (int64_t)q;
    else
        *projected = q > (unsigned __int128)INT64_MAX ? INT64_MIN : -(int64_t)q; /* q = 2^63 is INT64_MIN too */
    return MG_OK;
}

int mg_period_project(int64_t mtd_micros, int64_t now_ms, int64_t *projected)
{
    struct mg_period p = mg_period_of(now_ms);
    return mg_project_spend(mtd_micros, clamp_ms(now_ms) - p.start_ms, p.end_ms - p.start_ms, projected);
}
