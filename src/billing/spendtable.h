/*
 * spendtable.h: the month's spend that caps (billing/reserve.h) and alerts
 * (billing/alerts.h) read, per spender: an account (its id), a key
 * (mg_meter_key_spender) and an account's service family
 * (mg_meter_service_spender).  An open-addressed table; each slot packs
 * (month, micros) in one 64-bit word changed by compare-and-swap, so a
 * month's rollover and an addition cannot interleave and readers take no
 * lock (billing/spendword.h); the last month's spend stays beside this
 * month's (a word per month parity) until the next rollover.  A second word, `held`, is spend plus what
 * reservations hold: an event adds its cost to both, a reservation only to
 * `held`, and settling one moves `held` by cost - hold in the same CAS, so
 * a cap checked against `held` holds at every instant.  The ceiling is
 * MG_SPEND_SLOTS spenders a month; past it a spender's cap is not enforced
 * (logged) and mg_spend_held answers NULL.
 */
#ifndef MG_BILLING_SPENDTABLE_H
#define MG_BILLING_SPENDTABLE_H

#include "billing/meter.h"

#include <stdatomic.h>
#include <stdint.h>

#define MG_SPEND_SLOTS 262144 /* accounts, keys and (account, family) with spend this month */

struct mg_spend_table;

struct mg_spend_table *mg_spend_table_new(void);
void mg_spend_table_free(struct mg_spend_table *t);

/* Usage of cost `micros` in `month`: to the account, to its key (key_id > 0)
 * and to its family (`service`, a mg_service_name; another name counts for
 * no family).  acct / key (may be NULL) are reservations this usage settles:
 * each leaves its `held` word in the CAS that adds the cost (dropped when
 * its month is over).  Any thread. */
void mg_spend_add_usage(struct mg_spend_table *t, int64_t account_id, int64_t key_id, const char *service,
                        int64_t month, int64_t micros, const struct mg_meter_hold *acct,
                        const struct mg_meter_hold *key);
/* A spender's spend in the month of mg_now_ms(); 0 if none. */
int64_t mg_spend_get(struct mg_spend_table *t, int64_t spender);
/* ... in `month`, which may be this month or the last (the table keeps two,
 * by parity); 0 for any other. */
int64_t mg_spend_get_month(struct mg_spend_table *t, int64_t spender, int64_t month);
/* A spender's held word, created on first use; NULL when the table is full (logged). */
_Atomic uint64_t *mg_spend_held(struct mg_spend_table *t, int64_t spender);

#endif
