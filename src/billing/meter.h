/*
 * meter.h: durable usage events (BL-2).  A thread records an event by
 * copying it into its own memory-mapped journal segment (billing/journal.h):
 * no syscall, no process-wide lock, and the bytes survive kill -9 because
 * the page cache holds them.  A writer thread commits what the segments hold
 * to the store in groups and then marks it committed.  On open, every
 * segment left by a previous process is replayed into the store (idempotent
 * by request id) before anything else, so an event is never lost and never
 * counted twice.
 */
#ifndef MG_BILLING_METER_H
#define MG_BILLING_METER_H

#include "store/store.h"

#include <stdatomic.h>

struct mg_meter;

/* Journal limits; 0 in a field means the default named in meter.c. */
struct mg_meter_opts {
    size_t segment_records; /* records per segment file */
    size_t max_segments;    /* segments per thread waiting for the writer: the ceiling */
    int no_writer;          /* tests: start no writer thread (mg_meter_flush commits) */
    /* Called on the writer thread after each group commit with the events
     * it committed and the writer's store handle (BL-4's alerts); NULL = none. */
    void (*committed)(void *arg, struct mg_store *s, const struct mg_usage_event *ev, size_t n);
    void *committed_arg;
};

/* Opens the store, replays the journal directory `journal_dir` (created if
 * missing; a regular file there is a journal of the previous, one-file
 * format: it is replayed and replaced by the directory), starts the writer
 * thread.  NULL with a reason in err on failure.  opts may be NULL. */
struct mg_meter *mg_meter_open_opts(const char *store_spec, const char *journal_dir, const struct mg_meter_opts *opts,
                                    char *err, size_t errlen);
/* mg_meter_open_opts with the defaults. */
struct mg_meter *mg_meter_open(const char *store_spec, const char *journal_dir, char *err, size_t errlen);
/* Records one event; any thread; no syscall, no lock shared with other
 * threads (except a thread's first event, which claims its segment, and a
 * segment roll every few thousand events when the writer has not prepared
 * the next one).  MG_OK, or MG_ERR if the event could not be journaled: the
 * journal is at its ceiling (the writer is that far behind, e.g. the
 * database is down) or a segment could not be created.  Such an event is
 * logged at error level with its request id, account and cost, and still
 * counts in mg_meter_spend; it is not billed. */
int mg_meter_record(struct mg_meter *m, const struct mg_usage_event *ev);
/* Journals an open stream's usage so far (ev->checkpoint set; the same
 * request id as its event to come).  Same cost as mg_meter_record; it adds
 * no spend.  The store keeps the latest checkpoint of each stream and
 * deletes it when the stream's event is committed; one left at the next
 * open (the process died mid-stream) becomes the stream's event then.
 * MG_OK or MG_ERR as mg_meter_record. */
int mg_meter_checkpoint(struct mg_meter *m, const struct mg_usage_event *ev);
/* Month-to-date spend (UTC calendar month of mg_now_ms()) of an account as
 * this node knows it: the store's sum at open plus what was recorded since.
 * Lock-free. */
int64_t mg_meter_spend(struct mg_meter *m, int64_t account_id);
/* An account's spend in the last month (this month - 1) as this node knows
 * it: what a wallet-only account spent that its wallet has not yet paid
 * until the month is invoiced.  Lock-free. */
int64_t mg_meter_last_month_spend(struct mg_meter *m, int64_t account_id);
/* The spend table counts accounts under their id, keys (for a key's own
 * cap) under the negated key id, and an account's spend per service family
 * (for BL-4's alerts) under MG_METER_SERVICE_BIT | account id << 4 |
 * service: an event adds its cost to all three. */
#define MG_METER_SERVICE_BIT (INT64_C(1) << 60)
static inline int64_t mg_meter_key_spender(int64_t key_id) { return -key_id; }
static inline int64_t mg_meter_service_spender(int64_t account_id, int service)
{
    return MG_METER_SERVICE_BIT | account_id << 4 | (service & 15);
}
/* Month-to-date spend of one key / of one service family of an account (as mg_meter_spend). */
int64_t mg_meter_key_spend(struct mg_meter *m, int64_t key_id);
int64_t mg_meter_service_spend(struct mg_meter *m, int64_t account_id, int service);
/* A reservation an event settles: `micros` of month `month`; 0 = none. */
struct mg_meter_hold {
    int64_t month, micros;
};
/* mg_meter_record for an event that settles reservations (billing/
 * reserve.c): each hold leaves its held word (the account's, the key's) in
 * the same atomic step as the cost enters it. */
int mg_meter_record_settle(struct mg_meter *m, const struct mg_usage_event *ev, struct mg_meter_hold account,
                           struct mg_meter_hold key);
/* The held word (billing/spendword.h: month, spend + reserved micros) of a
 * spender (an account id, or mg_meter_key_spender of a key), created on
 * first use; NULL when the table is full (logged).  For billing/reserve.c
 * only: it lives as long as the meter. */
_Atomic uint64_t *mg_meter_held_word(struct mg_meter *m, int64_t spender);
/* Commits everything recorded before the call, on the calling thread;
 * blocks on the database (never call it on a loop thread).  MG_OK, or MG_ERR
 * if the store refused (the events stay in the journal). */
int mg_meter_flush(struct mg_meter *m);
/* Commits everything recorded, stops the writer, deletes the committed
 * segments, closes.  If the store refuses, the segments stay for the next
 * open to replay.  No thread may record during or after.  NULL is fine. */
void mg_meter_close(struct mg_meter *m);

#endif
