/*
 * spendword.h: the 64-bit words the meter and the
 * reservations keep per account, and the UTC month arithmetic they share.
 *
 * A word packs (month, micros): the month since 1970 in the top 16 bits
 * (until year 7431), micro-units in the low 48 bits (2.8e8 currency units a
 * month, saturating).  One compare-and-swap updates both, so a month's
 * rollover and an addition never interleave, and readers take no lock.
 *
 * The months are computed with integer arithmetic (days from the civil
 * calendar), not gmtime_r: glibc's gmtime_r takes a process-wide lock, which
 * the hot path must not.
 */
#ifndef MG_BILLING_SPENDWORD_H
#define MG_BILLING_SPENDWORD_H

#include "core/mg.h"

#include <stdatomic.h>
#include <stdint.h>

#define MG_SPENDWORD_MICROS_BITS 48
#define MG_SPENDWORD_MICROS_MAX ((UINT64_C(1) << MG_SPENDWORD_MICROS_BITS) - 1)

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static inline int64_t mg_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The UTC calendar month of a Unix time in ms, as months since January 1970. */
static inline int64_t mg_month_of(int64_t ms)
{
    int64_t days = (ms >= 0 ? ms : ms - 86399999) / 86400000;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    return (y - 1970) * 12 + (m - 1);
}

/* The first millisecond of a month (months since January 1970). */
static inline int64_t mg_month_start_ms(int64_t month)
{
    return mg_days_from_civil(1970 + month / 12, month % 12 + 1, 1) * 86400000;
}

static inline uint64_t mg_spendword_pack(int64_t month, uint64_t micros)
{
    return (uint64_t)month << MG_SPENDWORD_MICROS_BITS | micros;
}

/* The micros a word holds for `month`: 0 if it holds an older month (or
 * nothing); a newer month's micros as they are. */
static inline uint64_t mg_spendword_micros(uint64_t w, int64_t month)
{
    if (w == 0 || (int64_t)(w >> MG_SPENDWORD_MICROS_BITS) < month)
        return 0;
    return w & MG_SPENDWORD_MICROS_MAX;
}

/* Adds delta (negative to subtract) to `month`'s micros, clamped to
 * [0, MAX]: a newer month starts from zero; a delta for an older month than
 * the word holds is dropped (that month is over). */
static inline void mg_spendword_add(_Atomic uint64_t *w, int64_t month, int64_t delta)
{
    uint64_t old = atomic_load_explicit(w, memory_order_relaxed), next;
    do {
        int64_t cur_month = old ? (int64_t)(old >> MG_SPENDWORD_MICROS_BITS) : -1;
        int64_t cur = (int64_t)(old & MG_SPENDWORD_MICROS_MAX);
        if (cur_month > month)
            return;
        if (cur_month < month)
            cur = 0;
        if (delta < 0)
            cur = cur + delta < 0 ? 0 : cur + delta;
        else
            cur = (uint64_t)cur + (uint64_t)delta > MG_SPENDWORD_MICROS_MAX ? (int64_t)MG_SPENDWORD_MICROS_MAX
                                                                           : cur + delta;
        next = mg_spendword_pack(month, (uint64_t)cur);
    } while (!atomic_compare_exchange_weak_explicit(w, &old, next, memory_order_acq_rel, memory_order_relaxed));
}

/* Adds amount to `month`'s micros only if the result stays <= cap (for an
 * amount of 0: only if the micros are below the cap).  MG_OK, or
 * MG_DECLINED with *left = what the cap leaves (>= 0). */
static inline int mg_spendword_take(_Atomic uint64_t *w, int64_t month, int64_t cap, int64_t amount, int64_t *left)
{
    uint64_t old = atomic_load_explicit(w, memory_order_relaxed), next;
    if (cap > (int64_t)MG_SPENDWORD_MICROS_MAX)
        cap = (int64_t)MG_SPENDWORD_MICROS_MAX;
    do {
        int64_t cur_month = old ? (int64_t)(old >> MG_SPENDWORD_MICROS_BITS) : -1;
        int64_t cur = cur_month < month ? 0 : (int64_t)(old & MG_SPENDWORD_MICROS_MAX);
        *left = cap > cur ? cap - cur : 0;
        if (amount > *left || (amount == 0 && *left == 0))
            return MG_DECLINED;
        /* a word of a newer month (the clock went back) keeps its month */
        next = mg_spendword_pack(MG_MAX(cur_month, month), (uint64_t)(cur + amount));
    } while (!atomic_compare_exchange_weak_explicit(w, &old, next, memory_order_acq_rel, memory_order_relaxed));
    return MG_OK;
}

#endif
