/*
 * reserve.c: the reservation ledger (BL-3).
 *
 * Per account the meter keeps `held` = spend + open reservations of the
 * current month in one word (billing/spendword.h).  take() adds the worst
 * case with one CAS that also checks the cap; settle() records the event and
 * moves `held` by (real cost - hold) in one CAS (mg_meter_record_settle);
 * release() subtracts the hold.  Because admission, settling and releasing
 * all act on the same word, `held` never passes the cap through admission,
 * whatever the interleaving: a request is admitted only if everything spent
 * and everything in flight still fits.  (A real cost above its estimate can
 * push spend past the cap; then nothing more is admitted.)
 *
 * Month rollover: a hold belongs to the month it was taken in.  When the
 * word moves to a new month it starts from that month's spend (zero), so the
 * old month's holds are forgotten; releasing one later is dropped by
 * mg_spendword_add (older month).  A request that straddles the rollover is
 * billed in the month its event is recorded.
 *
 * Crash: holds live in memory only.  After a restart the meter loads spend
 * from the store (and the replayed journal) and no reservation is open: a
 * request cut by the crash reserved nothing durable, and what its upstream
 * delivered is billed only if its usage event reached the journal.
 */
#include "billing/reserve.h"
#include "billing/spendword.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/mg.h"

int mg_reserve_take(struct mg_meter *m, int64_t spender, int64_t cap, int64_t amount, struct mg_reservation *out,
                    int64_t *left)
{
    int64_t month = mg_month_of(mg_now_ms());
    _Atomic uint64_t *w = mg_meter_held_word(m, spender);
    out->word = NULL;
    out->month = month;
    out->amount = 0;
    *left = cap;
    if (w == NULL) /* the meter's table is full: a cap that cannot be held is not waived */
        return MG_AGAIN;
    if (amount < 0)
        amount = 0;
    if (mg_spendword_take(w, month, cap, amount, left) != MG_OK)
        return MG_DECLINED;
    if (amount > 0) {
        out->word = w;
        out->amount = amount;
        mg_metrics_reserved(amount);
    }
    return MG_OK;
}

/* What r holds, as the meter settles it; r is emptied. */
static struct mg_meter_hold take_hold(struct mg_reservation *r)
{
    struct mg_meter_hold h = {0, 0};
    if (r == NULL || r->word == NULL)
        return h;
    h.month = r->month;
    h.micros = r->amount;
    mg_metrics_reserved(-r->amount);
    r->word = NULL;
    r->amount = 0;
    return h;
}

int mg_reserve_settle(struct mg_meter *m, struct mg_reservation *acct, struct mg_reservation *key,
                      const struct mg_usage_event *ev)
{
    struct mg_meter_hold a = take_hold(acct), k = take_hold(key);
    return mg_meter_record_settle(m, ev, a, k);
}

void mg_reserve_release(struct mg_reservation *r)
{
    if (r == NULL || r->word == NULL)
        return;
    mg_spendword_add(r->word, r->month, -r->amount);
    mg_metrics_reserved(-r->amount);
    r->word = NULL;
    r->amount = 0;
}

int mg_reserve_active(const struct mg_reservation *r) { return r != NULL && r->word != NULL; }

int64_t mg_reserve_held(struct mg_meter *m, int64_t account_id)
{
    _Atomic uint64_t *w = mg_meter_held_word(m, account_id);
    if (w == NULL)
        return 0;
    return (int64_t)mg_spendword_micros(atomic_load_explicit(w, memory_order_relaxed), mg_month_of(mg_now_ms()));
}

int64_t mg_reserve_open_micros(void) { return mg_metrics_reserved_now(); }

int64_t mg_reserve_period_left_s(void)
{
    int64_t now = mg_now_ms();
    int64_t next = mg_month_start_ms(mg_month_of(now) + 1);
    return MG_MAX((next - now + 999) / 1000, (int64_t)1);
}
