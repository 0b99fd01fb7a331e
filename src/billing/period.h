/*
 * period.h: the billing period and its arithmetic.
 *
 * The billing period is the UTC calendar month, the same month the meter
 * and the cap count in (billing/spendword.h: mg_month_of, months since
 * January 1970, and mg_month_start_ms; this file builds on them).  A period
 * is the half-open interval [start_ms, end_ms): end_ms is the first
 * millisecond of the next month.  Times are Unix milliseconds.
 *
 * Domain: 1970-01-01T00:00:00.000Z (0) up to MG_PERIOD_MS_MAX, the last
 * millisecond of 9999-12-31.  A time outside is clamped to the nearest end
 * of the domain (billing never runs before 1970; the clamp keeps every
 * result defined).  Pure integer arithmetic, no locks, no gmtime_r.
 */
#ifndef MG_BILLING_PERIOD_H
#define MG_BILLING_PERIOD_H

#include <stdint.h>

#define MG_DAY_MS INT64_C(86400000)
#define MG_HOUR_MS INT64_C(3600000)
/* The last millisecond of 9999-12-31 (10000-01-01 is day 2,932,897). */
#define MG_PERIOD_MS_MAX (INT64_C(2932897) * MG_DAY_MS - 1)

/* Before this much of a period has passed, no projection is made (below). */
#define MG_PROJECT_MIN_ELAPSED_MS MG_HOUR_MS

struct mg_period {
    int64_t month;    /* months since January 1970 (mg_month_of) */
    int64_t start_ms; /* first millisecond of the month */
    int64_t end_ms;   /* first millisecond of the next month (exclusive) */
};

/* A UTC calendar date. */
struct mg_civil {
    int64_t year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* The period holding ms. */
struct mg_period mg_period_of(int64_t ms);

/* The period of a month (months since January 1970, clamped to 0 .. the
 * month of MG_PERIOD_MS_MAX). */
struct mg_period mg_period_of_month(int64_t month);

/* Days in a month of the proleptic Gregorian calendar (month 1..12; 0 for a
 * month outside 1..12).  February has 29 days in a year divisible by 4,
 * except a year divisible by 100 and not by 400: 2024 and 2000 have 29,
 * 2100 and 1900 have 28. */
int mg_days_in_month(int64_t year, int month);

/* The UTC date of ms (clamped to the domain). */
struct mg_civil mg_civil_of(int64_t ms);

/*
 * Projects a period's total spend from its spend so far:
 *
 *     projected = mtd * length_ms / elapsed_ms
 *
 * with a 128-bit product and one rounding, half away from zero (so exactly
 * x.5 micros rounds up for spend, down for a negative adjustment).  The
 * result saturates at INT64_MAX / INT64_MIN instead of overflowing.
 *
 * The rule for the start of a period: until MG_PROJECT_MIN_ELAPSED_MS (one
 * hour) has passed, nothing is projected beyond what was spent, the answer
 * is mtd itself and the return is MG_AGAIN.  Extrapolating from minutes
 * multiplies by up to 2.7e9 (one request in the first millisecond would
 * "project" a fortune); after an hour the factor is at most 744 (31 days)
 * and falls from there.  MG_AGAIN lets a caller say "not enough of the
 * month yet" while still holding a true lower bound.
 *
 * elapsed_ms >= length_ms (the period is over) projects mtd, MG_OK.
 * length_ms <= 0 or elapsed_ms < 0 is not a period: mtd, MG_DECLINED.
 */
int mg_project_spend(int64_t mtd_micros, int64_t elapsed_ms, int64_t length_ms, int64_t *projected);

/* mg_project_spend for the period holding now_ms, elapsed = now_ms - its
 * start (mtd covers [start, now_ms)).  Returns as mg_project_spend. */
int mg_period_project(int64_t mtd_micros, int64_t now_ms, int64_t *projected);

#endif
