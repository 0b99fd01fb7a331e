/*
 * reserve.h: reservations (BL-3).  Before a request is forwarded, its
 * worst-case cost (billing/estimate.h) is reserved against what the
 * account's cap leaves this period (the UTC calendar month, as
 * mg_meter_spend); after the answer the real cost is settled and the rest
 * released.  A cap therefore holds under any concurrency: what is admitted
 * never exceeds the cap, however many requests race.
 *
 * The budget lives in memory, in the meter's per-account table: one 64-bit
 * word of (month, spend + reserved) per account, changed by compare-and-
 * swap.  No lock, no database round trip, no syscall.  "Spent" has one
 * source of truth, the meter; this module only adds and removes holds.
 *
 * A reservation belongs to one request and is used by one thread at a time.
 */
#ifndef MG_BILLING_RESERVE_H
#define MG_BILLING_RESERVE_H

#include "billing/meter.h"

#include <stdatomic.h>
#include <stdint.h>

struct mg_reservation {
    _Atomic uint64_t *word; /* the account's held word; NULL = nothing held */
    int64_t month;          /* the period the hold was taken in */
    int64_t amount;         /* micros held */
};

/* Reserves `amount` micros (>= 0) of a spender's cap `cap` (> 0) for the
 * period of mg_now_ms(); the spender is an account id, or
 * mg_meter_key_spender(key id) for a key's own cap.  Also for the
 * period of mg_now_ms().  MG_OK: *out holds it (an amount of 0 holds
 * nothing but was admitted because the cap is not reached).  MG_DECLINED:
 * spend + reserved + amount would pass the cap; *left gets what the cap
 * leaves (spent and reserved subtracted), *out holds nothing.  MG_AGAIN:
 * the meter's table has no room for the account (logged by the meter); the
 * caller refuses the request (503) rather than waive the cap.  *out needs no
 * initialisation. */
int mg_reserve_take(struct mg_meter *m, int64_t spender, int64_t cap, int64_t amount, struct mg_reservation *out,
                    int64_t *left);
/* Records the usage event that ends the request (mg_meter_record) and
 * settles what the request holds against its account's cap (acct) and its
 * key's (key) in the same atomic steps: spent += the event's cost, reserved
 * -= the hold.  Either may be NULL or hold nothing; afterwards both hold
 * nothing.  Returns mg_meter_record's result. */
int mg_reserve_settle(struct mg_meter *m, struct mg_reservation *acct, struct mg_reservation *key,
                      const struct mg_usage_event *ev);
/* Gives back what r holds (no event was recorded: an error, a timeout, a
 * client gone before any unit).  Idempotent; r may be NULL. */
void mg_reserve_release(struct mg_reservation *r);
/* Whether r holds a reservation. */
int mg_reserve_active(const struct mg_reservation *r);
/* spend + reserved this period of an account, as the cap sees it. */
int64_t mg_reserve_held(struct mg_meter *m, int64_t account_id);
/* Micros reserved and not yet settled or released, process-wide (all
 * meters), for /metrics (maxgate_reserved_micros). */
int64_t mg_reserve_open_micros(void);
/* Seconds from mg_now_ms() to the start of the next period (>= 1). */
int64_t mg_reserve_period_left_s(void);

#endif
